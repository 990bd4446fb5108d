import * as http from 'node:http';
import { readBody } from '../../lib/http_body';
import { Pool } from 'undici';

export type ServiceName = 'pas' | 'booking' | 'theatre';
export const SERVICES: readonly ServiceName[] = ['pas', 'booking', 'theatre'];

export interface FrontdoorOptions {
  host: string;
  port: number;
  /** Per site, per service: where the app is reached (its `SITE-SERVICE` proxy). */
  upstreams: Record<string, Record<ServiceName, string>>;
  controllerUrl: string;
  initialSite: string;
  /** An app that does not answer within this time gets the client a 504. */
  upstreamTimeoutMs: number;
}

/**
 * The regional endpoint (a GSLB/load balancer): `/pas/...`, `/booking/...`, `/theatre/...` go to
 * the app of the active site. The controller pushes switches; the front door also polls it, so a
 * lost push does not leave it pointing at a dead site.
 */
export class Frontdoor {
  private site: string;
  private epoch = 0;
  private readonly pools = new Map<string, Pool>();
  private server: http.Server | undefined;
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: FrontdoorOptions) {
    this.site = o.initialSite;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host, () => resolve());
    });
    void this.poll();
  }

  async stop(): Promise<void> {
    clearTimeout(this.pollTimer);
    this.server?.closeAllConnections();
    this.server?.close();
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
  }

  private route(site: string, epoch: number): void {
    if (epoch < this.epoch || !this.o.upstreams[site]) return;
    this.epoch = epoch;
    this.site = site;
  }

  private async poll(): Promise<void> {
    try {
      const res = await fetch(`${this.o.controllerUrl}/active`, { signal: AbortSignal.timeout(500) });
      if (res.ok) {
        const active = (await res.json()) as { site: string; epoch: number };
        this.route(active.site, active.epoch);
      }
    } catch {
      // Keep routing where we were.
    }
    this.pollTimer = setTimeout(() => void this.poll(), 500);
  }

  private pool(address: string): Pool {
    let pool = this.pools.get(address);
    if (!pool) {
      pool = new Pool(`http://${address}`, {
        connections: 64,
        headersTimeout: this.o.upstreamTimeoutMs,
        bodyTimeout: this.o.upstreamTimeoutMs,
        keepAliveTimeout: 10_000,
      });
      this.pools.set(address, pool);
    }
    return pool;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (url.startsWith('/_frontdoor/')) return this.admin(req, res, url);
    const match = /^\/(pas|booking|theatre)(\/.*)?$/.exec(url.split('?')[0]);
    if (!match) return reply(res, 404, { error: `no service at ${url}: use /pas, /booking or /theatre` });
    const service = match[1] as ServiceName;
    const site = this.site;
    const path = url.slice(service.length + 1) || '/';
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && !HOP_BY_HOP.has(k)) headers[k] = v;
    }
    try {
      const upstream = await this.pool(this.o.upstreams[site][service]).request({
        method: req.method as 'GET',
        path,
        headers,
        body: body.length > 0 ? body : undefined,
      });
      const payload = Buffer.from(await upstream.body.arrayBuffer());
      const out: Record<string, string | string[]> = { 'x-blackstart-frontdoor-site': site };
      for (const [k, v] of Object.entries(upstream.headers)) {
        if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      }
      res.writeHead(upstream.statusCode, out);
      res.end(payload);
    } catch (e) {
      const err = e as { code?: string; message: string };
      const timedOut = err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT';
      // 504: the app may have applied the request; 502: it never got it.
      reply(res, timedOut ? 504 : 502, { error: `${service} at ${site}: ${err.code ?? err.message}` }, {
        'x-blackstart-frontdoor-site': site,
        'x-blackstart-indeterminate': String(timedOut || req.method !== 'GET'),
      });
    }
  }

  private async admin(req: http.IncomingMessage, res: http.ServerResponse, url: string): Promise<void> {
    if (url === '/_frontdoor/route' && req.method === 'POST') {
      const { site, epoch } = JSON.parse((await readBody(req)).toString() || '{}') as { site: string; epoch: number };
      if (!this.o.upstreams[site]) return reply(res, 400, { error: `unknown site ${site}` });
      this.route(site, epoch ?? this.epoch);
      return reply(res, 200, { site: this.site, epoch: this.epoch });
    }
    if (url === '/_frontdoor/route') return reply(res, 200, { site: this.site, epoch: this.epoch });
    if (url === '/_frontdoor/health') return reply(res, 200, { ok: true });
    reply(res, 404, { error: 'not found' });
  }
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'proxy-connection', 'te', 'trailer']);

function reply(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}


