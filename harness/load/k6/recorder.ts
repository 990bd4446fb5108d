import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SERVICES, type Service } from '../../../model/estate';
import { versionNumber } from '../version';
import type { K6Answer } from './reader';

/**
 * blackstart's key recorder, for a k6 user's own script: k6's points carry no request headers, so
 * the script's service URLs point here and each request is forwarded to the estate's service as it
 * came. What a write carrying an `Idempotency-Key` sent and got back (key, status, serving site,
 * SAN sequence number, id, version, x-blackstart-indeterminate) is kept, and matched afterwards to
 * k6's record of the same request: same method and URL, the nearest start (within 1 s). One hop
 * more on the clients' path (in the harness process, on loopback): about 0.2 ms a request.
 */
export interface KeyRecorder {
  /** The base URL per service to give the script: `http://127.0.0.1:<port>/<service>`. */
  readonly services: Record<Service, string>;
  /** The recorded answer of a k6 request, matched once. */
  answerFor(r: { method: string; url: string; start: number; end: number; status: number }): K6Answer | undefined;
  readonly recorded: number;
  close(): Promise<void>;
}

interface Entry extends K6Answer {
  method: string;
  path: string;
  /** Harness clock (performance.now()) when the request reached the recorder. */
  start: number;
  used: boolean;
}

export async function startKeyRecorder(targets: Record<Service, string>, host = '127.0.0.1'): Promise<KeyRecorder> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  const entries: Entry[] = [];
  const bases = Object.fromEntries(SERVICES.map((s) => [s, new URL(targets[s])])) as Record<Service, URL>;

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const start = performance.now();
    const m = /^\/([a-z]+)(\/.*)?$/.exec(req.url ?? '');
    const service = m?.[1] as Service | undefined;
    if (!service || !(service in bases)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`blackstart key recorder: no service in ${req.url}`);
      return;
    }
    const base = bases[service];
    const keyHeader = req.headers['idempotency-key'];
    const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
    const entry: Entry | undefined = key ? { method: (req.method ?? 'GET').toUpperCase(), path: req.url ?? '', start, key, used: false } : undefined;
    if (entry) entries.push(entry);
    const headers = { ...req.headers, host: base.host };
    const up = httpRequest({ agent, host: base.hostname, port: base.port, method: req.method, path: base.pathname.replace(/\/$/, '') + (m?.[2] ?? ''), headers }, (upRes) => {
      const chunks: Buffer[] = [];
      upRes.on('data', (d: Buffer) => entry && chunks.push(d));
      upRes.on('end', () => {
        if (!entry) return;
        const h = (n: string) => {
          const v = upRes.headers[n];
          return Array.isArray(v) ? v[0] : v;
        };
        entry.site = h('x-blackstart-site');
        entry.seq = Number(h('x-blackstart-seq') ?? 0) || undefined;
        entry.indeterminate = h('x-blackstart-indeterminate');
        if ((upRes.statusCode ?? 0) >= 200 && (upRes.statusCode ?? 0) < 300) {
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: string; meta?: { versionId?: string } };
            entry.id = body.id;
            entry.version = versionNumber(body.meta?.versionId ?? h('etag')?.replace(/^W\//, '').replace(/"/g, ''));
          } catch {
            // Not JSON: no id or version to compare.
          }
        }
      });
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => {
      // The client sees its connection closed, as it would have at the estate's door.
      req.socket.destroy();
    });
    req.pipe(up);
  };

  const server = createServer(forward);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  const services = Object.fromEntries(SERVICES.map((s) => [s, `http://${host}:${port}/${s}`])) as Record<Service, string>;
  return {
    services,
    get recorded() {
      return entries.length;
    },
    answerFor(r) {
      let path: string;
      try {
        const u = new URL(r.url);
        path = u.pathname + u.search;
      } catch {
        return undefined;
      }
      let best: Entry | undefined;
      for (const e of entries) {
        if (e.used || e.method !== r.method || e.path !== path) continue;
        if (Math.abs(e.start - r.start) > 1000) continue;
        if (!best || Math.abs(e.start - r.start) < Math.abs(best.start - r.start)) best = e;
      }
      if (best) best.used = true;
      return best;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      agent.destroy();
    },
  };
}
