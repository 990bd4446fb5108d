import * as http from 'node:http';
import { z } from 'zod';
import { HttpError, errorReply, type Issue } from './outcome';

/**
 * A small router for the mock apps: method + path pattern (`/Patient/:id`, `/Encounter/:id/$discharge`),
 * zod schemas for the query and the JSON body checked at the edge, and one error mapping.
 */

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Ctx<B = unknown, Q = Record<string, string>> {
  method: string;
  /** The decoded path, without the query. */
  path: string;
  params: Record<string, string>;
  query: Q;
  /** The body after its schema (the raw JSON when the route declares none). */
  body: B;
  /** The body as parsed JSON, before any schema: what an idempotency fingerprint is taken over. */
  json: unknown;
  headers: http.IncomingHttpHeaders;
}

/** Runs after the query is checked and before the body is: a chance to answer early (an idempotent replay). */
export type Before = (ctx: Ctx<unknown, unknown>) => Promise<Reply | undefined>;

export interface RouteOptions<B extends z.ZodType, Q extends z.ZodType> {
  body?: B;
  query?: Q;
  before?: Before;
}

const rawQuery = z.record(z.string(), z.string());

interface Route {
  method: string;
  segments: string[];
  options: RouteOptions<z.ZodType, z.ZodType>;
  handler: (ctx: Ctx<any, any>) => Promise<Reply>;
}

export class Router {
  private readonly routes: Route[] = [];

  route<B extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = typeof rawQuery>(
    method: string,
    path: string,
    options: RouteOptions<B, Q>,
    handler: (ctx: Ctx<z.output<B>, z.output<Q>>) => Promise<Reply>,
  ): this {
    this.routes.push({ method, segments: splitPath(path), options, handler });
    return this;
  }

  get<B extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = typeof rawQuery>(
    path: string,
    options: RouteOptions<B, Q>,
    handler: (ctx: Ctx<z.output<B>, z.output<Q>>) => Promise<Reply>,
  ): this {
    return this.route('GET', path, options, handler);
  }

  post<B extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = typeof rawQuery>(
    path: string,
    options: RouteOptions<B, Q>,
    handler: (ctx: Ctx<z.output<B>, z.output<Q>>) => Promise<Reply>,
  ): this {
    return this.route('POST', path, options, handler);
  }

  put<B extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = typeof rawQuery>(
    path: string,
    options: RouteOptions<B, Q>,
    handler: (ctx: Ctx<z.output<B>, z.output<Q>>) => Promise<Reply>,
  ): this {
    return this.route('PUT', path, options, handler);
  }

  handle(req: http.IncomingMessage): Promise<Reply> {
    return this.dispatch(req.method ?? 'GET', req.url ?? '/', req.headers, () => readJson(req));
  }

  /** Runs one request through the routes without a socket (a FHIR batch entry, docs in services/README.md). */
  async dispatch(method: string, url: string, headers: http.IncomingHttpHeaders, readBody: () => Promise<unknown> = async () => undefined): Promise<Reply> {
    const [rawPath, search = ''] = url.split('?', 2);
    let segments: string[];
    try {
      segments = splitPath(rawPath).map(decodeURIComponent);
    } catch {
      throw new HttpError(400, 'invalid', `malformed path: ${rawPath}`);
    }
    const path = '/' + segments.join('/');
    const matching = this.routes
      .map((route) => ({ route, params: match(route.segments, segments) }))
      .filter((m): m is { route: Route; params: Record<string, string> } => m.params !== undefined);
    if (matching.length === 0) throw new HttpError(404, 'not-found', `no such resource: ${method} ${path}`);
    const found = matching.find((m) => m.route.method === method);
    if (!found) {
      const allow = [...new Set(matching.map((m) => m.route.method))].join(', ');
      throw new HttpError(405, 'not-supported', `${method} is not supported on ${path} (allowed: ${allow})`, {
        headers: { Allow: allow },
      });
    }
    const { route, params } = found;
    const json = method === 'GET' || method === 'HEAD' ? undefined : await readBody();
    const ctx: Ctx<unknown, unknown> = {
      method,
      path,
      params,
      query: parse(route.options.query ?? rawQuery, Object.fromEntries(new URLSearchParams(search)), 'query'),
      body: json,
      json,
      headers,
    };
    const early = await route.options.before?.(ctx);
    if (early) return early;
    if (route.options.body) ctx.body = parse(route.options.body, json, 'body');
    return route.handler(ctx);
  }
}

/** Checks `value` against `schema`; a failure is a 400 with one issue per field at fault. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: Issue[] = result.error.issues.map((issue) => {
    const field = fieldName(issue.path);
    const subject = where === 'query' ? `query parameter '${field}'` : field ? `field '${field}'` : 'request body';
    return { severity: 'error', code: 'invalid', diagnostics: `${subject}: ${issue.message}`, expression: field ? [field] : undefined };
  });
  throw new HttpError(400, 'invalid', issues.map((i) => i.diagnostics).join('; '), { issues });
}

const fieldName = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');

const splitPath = (path: string): string[] => path.split('/').filter((s) => s !== '');

function match(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i].startsWith(':')) params[pattern[i].slice(1)] = segments[i];
    else if (pattern[i] !== segments[i]) return undefined;
  }
  return params;
}

const BODY_LIMIT = 1 << 20;

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw new HttpError(413, 'too-long', 'request body is larger than 1 MiB');
    parts.push(chunk as Buffer);
  }
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'invalid', `request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** An HTTP server for a router; every answer, errors included, names the site that gave it. */
export function createHttpServer(router: Router, site: string): http.Server {
  const server = http.createServer((req, res) => {
    router
      .handle(req)
      .catch(errorReply)
      .then((reply) => send(res, site, reply))
      .catch(() => res.destroy());
  });
  server.keepAliveTimeout = 30_000;
  return server;
}

function send(res: http.ServerResponse, site: string, reply: Reply): void {
  res.statusCode = reply.status;
  res.setHeader('x-blackstart-site', site);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(reply.body));
}
