import { httpSync } from './runtime.mjs';

function request(method, url, body, params) {
  const p = params || {};
  const r = httpSync({ method: String(method).toUpperCase(), url: String(url), body: body === undefined || body === null ? null : String(body), headers: p.headers || {}, tags: p.tags || {}, timeout: p.timeout === undefined ? '60s' : p.timeout });
  return {
    status: r.status,
    body: r.body,
    headers: r.headers,
    error: r.error,
    error_code: r.errorCode,
    timings: r.timings,
    url: String(url),
    json(selector) {
      const v = JSON.parse(r.body);
      return selector ? v[selector] : v;
    },
  };
}

const http = {
  request,
  get: (url, params) => request('GET', url, null, params),
  post: (url, body, params) => request('POST', url, body, params),
  put: (url, body, params) => request('PUT', url, body, params),
  patch: (url, body, params) => request('PATCH', url, body, params),
  del: (url, body, params) => request('DELETE', url, body, params),
};
export default http;
export const { get, post, put, patch, del } = http;
export { request };
