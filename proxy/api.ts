import { randomBytes } from 'node:crypto';
import { BodyTooLargeError, readBody as readWholeBody } from '../lib/http_body';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyCollection } from './collection';
import { ApiError } from './errors';
import { renderMetrics } from './metrics';
import type { Proxy } from './proxy';
import { configEntry, decode, parseJson, proxyBody, toxicBody, toxicUpdateBody } from './schemas';
import { toxicJson, updateToxic } from './toxic_factory';
import { z } from 'zod';

export const TOXIPROXY_VERSION = '2.12.0';

type Params = Record<string, string>;
type Reply = { status: number; body?: unknown; raw?: { type: string; text: string } };
type Handler = (params: Params, body: () => Promise<string>) => Promise<Reply>;

const json = (status: number, body?: unknown): Reply => ({ status, body });

export function proxyJson(proxy: Proxy) {
  return {
    name: proxy.name,
    listen: proxy.listen,
    upstream: proxy.upstream,
    enabled: proxy.enabled,
    Logger: {},
    toxics: [...proxy.chain('upstream'), ...proxy.chain('downstream')].map(toxicJson),
  };
}

/**
 * The Toxiproxy 2.x HTTP API over a proxy collection: routing, JSON and error mapping only;
 * nothing here touches a socket.
 */
export function createApi(collection: ProxyCollection) {
  // A route is its path's segments: a literal, or `{key}` for a parameter.
  const routes: { parts: string[]; methods: Record<string, Handler> }[] = [];
  const route = (path: string, methods: Record<string, Handler>) => routes.push({ parts: path.split('/'), methods });
  const match = (parts: string[], segments: string[]): Params | undefined => {
    if (parts.length !== segments.length) return undefined;
    const params: Params = {};
    for (let i = 0; i < parts.length; i++) {
      const key = /^\{(\w+)\}$/.exec(parts[i])?.[1];
      if (key === undefined ? segments[i] !== parts[i] : segments[i] === '') return undefined;
      if (key !== undefined) params[key] = segments[i];
    }
    return params;
  };

  const updateProxy: Handler = async ({ proxy }, body) => {
    collection.get(proxy);
    const input = decode(proxyBody, parseJson(await body()));
    return json(200, proxyJson(await collection.update(proxy, input)));
  };
  const updateToxicHandler: Handler = async ({ proxy, toxic }, body) => {
    const p = collection.get(proxy);
    const t = p.findToxic(toxic);
    if (!t) throw new ApiError(404, 'toxic not found');
    updateToxic(t, decode(toxicUpdateBody, parseJson(await body())));
    p.toxicChanged(t);
    return json(200, toxicJson(t));
  };

  route('/proxies', {
    GET: async () => json(200, Object.fromEntries(collection.list().map((p) => [p.name, proxyJson(p)]))),
    POST: async (_, body) => json(201, proxyJson(await collection.create(decode(proxyBody, parseJson(await body()))))),
  });
  route('/populate', {
    POST: async (_, body) => populate(collection, body),
  });
  route('/proxies/{proxy}', {
    GET: async ({ proxy }) => json(200, proxyJson(collection.get(proxy))),
    POST: updateProxy,
    PATCH: updateProxy,
    DELETE: async ({ proxy }) => (await collection.remove(proxy), json(204)),
  });
  route('/proxies/{proxy}/toxics', {
    GET: async ({ proxy }) => {
      const p = collection.get(proxy);
      return json(200, [...p.chain('upstream'), ...p.chain('downstream')].map(toxicJson));
    },
    POST: async ({ proxy }, body) => {
      const p = collection.get(proxy);
      return json(200, toxicJson(collection.addToxic(p, decode(toxicBody, parseJson(await body())))));
    },
  });
  route('/proxies/{proxy}/toxics/{toxic}', {
    GET: async ({ proxy, toxic }) => {
      const t = collection.get(proxy).findToxic(toxic);
      if (!t) throw new ApiError(404, 'toxic not found');
      return json(200, toxicJson(t));
    },
    POST: updateToxicHandler,
    PATCH: updateToxicHandler,
    DELETE: async ({ proxy, toxic }) => (collection.get(proxy).removeToxic(toxic), json(204)),
  });
  route('/reset', { POST: async () => (await collection.reset(), json(204)) });
  route('/version', {
    GET: async () => ({
      status: 200,
      raw: { type: 'application/json;charset=utf-8', text: `{"version": "${TOXIPROXY_VERSION}"}\n` },
    }),
  });
  route('/metrics', {
    GET: async () => ({ status: 200, raw: { type: 'text/plain; version=0.0.4; charset=utf-8', text: renderMetrics(collection) } }),
  });

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      // Toxiproxy refuses browsers: a page must not be able to reconfigure proxies behind a developer's back.
      return send(res, 403, 'text/plain', 'User agent not allowed\n');
    }
    const segments = pathSegments(req.url ?? '/');
    // Go's HTTP server refuses a request URI it cannot unescape before any route sees it.
    if (segments === undefined) return send(res, 400, 'text/plain; charset=utf-8', '400 Bad Request');
    for (const r of routes) {
      const params = match(r.parts, segments);
      if (!params) continue;
      res.setHeader('X-Toxiproxy-Request-Id', requestId());
      const handler = r.methods[req.method ?? 'GET'];
      if (!handler) return send(res, 405, undefined, '');
      try {
        const reply = await handler(params, () => readBody(req));
        if (reply.raw) return send(res, reply.status, reply.raw.type, reply.raw.text);
        if (reply.body === undefined) return send(res, reply.status, undefined, '');
        return send(res, reply.status, 'application/json', JSON.stringify(reply.body));
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError(500, (err as Error).message ?? String(err));
        // The rest of a body past the limit is not worth reading: close once answered.
        if (e.status === 413) res.shouldKeepAlive = false;
        return send(res, e.status, 'text/plain; charset=utf-8', JSON.stringify({ error: e.message, status: e.status }) + '\n');
      }
    }
    send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
  };
}

async function populate(collection: ProxyCollection, body: () => Promise<string>): Promise<Reply> {
  // /populate answers in JSON even for errors, carrying what it created before failing; Toxiproxy
  // writes that body as marshalled, without the newline its other errors get from http.Error.
  const failure = (e: ApiError, proxies: Proxy[] | null): Reply => ({
    status: e.status,
    raw: { type: 'application/json', text: JSON.stringify({ error: e.message, status: e.status, proxies: proxies?.map(proxyJson) ?? null }) },
  });
  let entries;
  try {
    const parsed = parseJson(await body());
    if (!Array.isArray(parsed)) throw new ApiError(400, `bad request body: json: cannot unmarshal ${typeof parsed === 'object' && parsed !== null ? 'object' : typeof parsed} into Go value of type []proxy.Proxy`);
    entries = decode(z.array(configEntry), parsed);
    const result = await collection.populate(entries);
    if (result.error) return failure(result.error, result.proxies.length ? result.proxies : null);
    return { status: 201, raw: { type: 'application/json', text: JSON.stringify({ proxies: result.proxies.length ? result.proxies.map(proxyJson) : null }) } };
  } catch (err) {
    if (err instanceof ApiError) return failure(err, null);
    throw err;
  }
}

const BODY_LIMIT = 1 << 20;

/**
 * The path of a request URL as segments, each unescaped on its own; undefined when an escape is
 * malformed. A name holding `/` (sent as %2F) is one segment, so a proxy or toxic of any name the
 * API accepts can be addressed, and deleted (unescaped whole, as Toxiproxy's router does, such a
 * name could be created but never named again: found by the API fuzz).
 */
function pathSegments(url: string): string[] | undefined {
  try {
    return url.split('?')[0].split('/').map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return readWholeBody(req, BODY_LIMIT).then(
    (b) => b.toString('utf8'),
    (e) => {
      throw e instanceof BodyTooLargeError ? new ApiError(413, 'bad request body: larger than 1 MiB') : e;
    },
  );
}

function send(res: ServerResponse, status: number, type: string | undefined, text: string): void {
  // The client may have gone while the request was handled: nothing to answer.
  if (res.headersSent || res.destroyed) return void res.end();
  if (type) res.setHeader('Content-Type', type);
  res.statusCode = status;
  res.end(text);
}

// Toxiproxy's request ids are 20-character xids (base32hex); same length and alphabet here.
function requestId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  return [...randomBytes(20)].map((b) => alphabet[b & 31]).join('');
}
