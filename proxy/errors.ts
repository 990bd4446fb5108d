/** An API error: the HTTP status and message Toxiproxy would answer with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// Toxiproxy's error values, declared once with their status codes.
export const errors = {
  proxyNotFound: () => new ApiError(404, 'proxy not found'),
  toxicNotFound: () => new ApiError(404, 'toxic not found'),
  proxyExists: () => new ApiError(409, 'proxy already exists'),
  toxicExists: () => new ApiError(409, 'toxic already exists'),
  missingField: (field: string, suffix = '') => new ApiError(400, `missing required field: ${field}${suffix}`),
  invalidStream: () => new ApiError(400, 'stream was invalid, can be either upstream or downstream'),
  invalidToxicType: () => new ApiError(400, 'invalid toxic type'),
  badRequestBody: (detail: string) => new ApiError(400, `bad request body: ${detail}`),
  badUpstream: (detail: string) => new ApiError(400, `invalid upstream: ${detail}`),
  listenFailed: (detail: string) => new ApiError(500, detail),
  // Not Toxiproxy's (it has no limits): bounds that keep a hostile or runaway client from taking
  // every file descriptor and all the memory of the server whose links a drill depends on.
  tooManyProxies: (max: number) => new ApiError(400, `too many proxies: at most ${max}; delete one first`),
  tooManyToxics: (max: number) => new ApiError(400, `too many toxics on this proxy: at most ${max}; delete one first`),
};
