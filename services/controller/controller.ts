import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { Toxiproxy } from 'toxiproxy-node-client';
import type { ControllerEvent } from '../../model/controller';
import { wallNow } from '../san/wire';

export type SiteName = string;
export type PromotionPolicy = 'auto' | 'manual' | 'broken';

export interface SiteEndpoints {
  /** The SAN's control plane (not proxied: fencing must work when the heartbeat link does not). */
  sanAdmin: string;
  /** Upstream of the `heartbeat` proxy when this site is active: its PAS app. */
  heartbeatUpstream: string;
  /** Upstream of the `replication` proxy when this site is the replica: its SAN's replication port. */
  replicationUpstream: string;
}

export interface ControllerOptions {
  host: string;
  port: number;
  stateFile: string;
  sites: Record<SiteName, SiteEndpoints>;
  initialPrimary: SiteName;
  /** The `heartbeat` proxy's URL of the active site's readiness (http://listen/health/ready). */
  heartbeatUrl: string;
  heartbeatMs: number;
  detectAfter: number;
  promotion: PromotionPolicy;
  promotionDelayMs: number;
  /** No second automatic failover within this time of the last one (anti-flap). */
  holdDownMs: number;
  proxyApi: string;
  proxies: { heartbeat: string; replication: string };
  frontdoorAdmin: string;
}


interface State {
  epoch: number;
  primary: SiteName;
  /** Sites refused writes during a planned switchover. */
  fenced: SiteName[];
}

/**
 * The failover controller: watches the active site through the `heartbeat` proxy, declares it
 * down after `detectAfter` missed beats, then fences it, promotes the other site's SAN, re-points
 * replication and heartbeat, and switches the front door. Every step is an event.
 */
export class Controller {
  private state: State;
  private readonly events: ControllerEvent[] = [];
  private misses = 0;
  private armed = false;
  /** A failover was declared and did not happen: wait for the site to answer again before retrying. */
  private stalled = false;
  private busy = false;
  private lastFailover = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private server: http.Server | undefined;
  private awaitingManual = false;
  private readonly toxiproxy: Toxiproxy;

  constructor(private readonly o: ControllerOptions) {
    this.state = existsSync(o.stateFile)
      ? (JSON.parse(readFileSync(o.stateFile, 'utf8')) as State)
      : { epoch: 1, primary: o.initialPrimary, fenced: [] };
    this.toxiproxy = new Toxiproxy(o.proxyApi);
    this.persist();
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host, () => resolve());
    });
    this.event('start', this.state.primary, `primary ${this.state.primary}, promotion ${this.o.promotion}`);
    this.timer = setTimeout(() => void this.beat(), this.o.heartbeatMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.server?.close();
    this.server?.closeAllConnections();
  }

  private other(site: SiteName): SiteName {
    return Object.keys(this.o.sites).find((s) => s !== site)!;
  }

  private roleOf(site: SiteName): { role: 'primary' | 'replica' | 'fenced'; epoch: number } {
    const role = this.state.fenced.includes(site) ? 'fenced' : site === this.state.primary ? 'primary' : 'replica';
    return { role, epoch: this.state.epoch };
  }

  /** `at`: when it happened (unix ms), if earlier than now (see `promote`). */
  private event(type: string, site?: SiteName, detail?: string, at = wallNow()): void {
    this.events.push({ t: at, type, site, detail, epoch: this.state.epoch });
    if (this.events.length > 10_000) this.events.shift();
  }

  private persist(): void {
    writeFileSync(this.o.stateFile, JSON.stringify(this.state));
  }

  private async beat(): Promise<void> {
    const started = performance.now();
    if (!this.busy) {
      const healthy = await probe(this.o.heartbeatUrl, this.o.heartbeatMs);
      if (!this.armed) {
        // A site that has never been up (the estate is starting) is not a failed site.
        if (healthy) {
          this.armed = true;
          this.event('armed', this.state.primary, 'first healthy heartbeat: watching');
        }
      } else if (healthy) {
        if (this.misses >= this.o.detectAfter || this.stalled) this.event('site-healthy', this.state.primary, 'heartbeat answered again');
        this.misses = 0;
        this.stalled = false;
      } else {
        this.misses++;
        if (this.misses === 1 && !this.stalled) this.event('heartbeat-missed', this.state.primary);
        if (this.misses === this.o.detectAfter && !this.stalled) {
          this.event('detect', this.state.primary, `${this.misses} heartbeats of ${this.o.heartbeatMs} ms missed`);
          void this.failover();
        }
      }
    }
    const wait = Math.max(0, this.o.heartbeatMs - (performance.now() - started));
    this.timer = setTimeout(() => void this.beat(), wait);
  }

  private async failover(): Promise<void> {
    const failed = this.state.primary;
    const target = this.other(failed);
    if (performance.now() - this.lastFailover < this.o.holdDownMs) {
      this.event('failover-held', target, `within hold-down of ${this.o.holdDownMs} ms after the last failover`);
      return;
    }
    if (this.o.promotion === 'manual') {
      this.awaitingManual = true;
      this.event('awaiting-manual-promotion', target, 'POST /promote to fail over');
      return;
    }
    this.busy = true;
    try {
      await sleep(this.o.promotionDelayMs);
      if (this.o.promotion === 'broken') {
        this.event('promotion-failed', target, 'the backup did not come up (promotion: broken)');
        this.stalled = true;
        return;
      }
      if (!(await this.promote(target, failed, 'failover'))) this.stalled = true;
    } finally {
      this.busy = false;
      this.misses = 0;
    }
  }

  /** Makes `target` primary: fence the old one where reachable, promote, re-point, switch. */
  private async promote(target: SiteName, old: SiteName, why: string): Promise<boolean> {
    // A busy backup answers late: give it three chances before declaring that it did not come up.
    let status: unknown;
    for (let attempt = 0; attempt < 3 && !status; attempt++) status = await getJson(`${this.o.sites[target].sanAdmin}/status`, 1000);
    if (!status) {
      this.event('promotion-failed', target, `${target} SAN unreachable`);
      return false;
    }
    // The decision: from here on the target is primary. Its SAN may take writes before the promote
    // request below reaches it (it polls its role here every rolePollMs, and the front door polls
    // /active), so the promote event is stamped now, not when the request is answered; writes the
    // target acknowledged in between are not split-brain (docs/ARCHITECTURE.md § 7).
    const decided = wallNow();
    this.state = { epoch: this.state.epoch + 1, primary: target, fenced: [] };
    this.persist();
    this.lastFailover = performance.now();
    const fenced = await postJson(`${this.o.sites[old].sanAdmin}/demote`, { epoch: this.state.epoch }, 300);
    this.event(fenced ? 'fence' : 'fence-unreachable', old, fenced ? `${old} SAN demoted to replica` : `${old} SAN not reachable: it fences itself when its lease lapses`);
    const promoted = await postJson(`${this.o.sites[target].sanAdmin}/promote`, { epoch: this.state.epoch }, 3000);
    if (!promoted) {
      this.event('promotion-failed', target, `${target} SAN refused promotion`);
      return false;
    }
    this.event('promote', target, `${why}: ${target} SAN writable at epoch ${this.state.epoch}`, decided);
    await this.retarget(this.o.proxies.replication, this.o.sites[old].replicationUpstream);
    await this.retarget(this.o.proxies.heartbeat, this.o.sites[target].heartbeatUpstream);
    const switched = await postJson(`${this.o.frontdoorAdmin}/_frontdoor/route`, { site: target, epoch: this.state.epoch }, 1000);
    this.event(switched ? 'switch' : 'switch-failed', target, switched ? `front door routes to ${target}` : 'front door unreachable');
    return true;
  }

  private async retarget(proxyName: string, upstream: string): Promise<void> {
    try {
      const proxy = await this.toxiproxy.get(proxyName);
      if (proxy.upstream === upstream) return;
      // Only the upstream: an `enabled` read a moment ago would undo a drill's cut of this link.
      await proxy.update({ upstream } as Parameters<typeof proxy.update>[0]);
    } catch (e) {
      this.event('retarget-failed', undefined, `${proxyName}: ${(e as Error).message}`);
    }
  }

  /** Planned switchover with zero lost writes: fence, wait for the replica to catch up, promote. */
  private async failback(): Promise<{ ok: boolean; detail: string }> {
    const from = this.state.primary;
    const to = this.other(from);
    this.busy = true;
    try {
      this.event('failback-start', to, `switching from ${from} to ${to}`);
      const target = (await getJson(`${this.o.sites[to].sanAdmin}/status`, 1000)) as { role: string } | undefined;
      if (target?.role !== 'replica') return this.abortFailback(`${to} SAN is ${target?.role ?? 'unreachable'}, not a replica`);
      this.state.fenced = [from];
      this.persist();
      const fenced = (await postJson(`${this.o.sites[from].sanAdmin}/fence`, { epoch: this.state.epoch }, 1000)) as { seq: number } | undefined;
      if (!fenced) return this.abortFailback(`${from} SAN could not be fenced`);
      this.event('fence', from, `${from} SAN fenced at seq ${fenced.seq} for the switchover`);
      const deadline = performance.now() + 15_000;
      for (;;) {
        const s = (await getJson(`${this.o.sites[to].sanAdmin}/status`, 1000)) as { seq: number } | undefined;
        if (s && s.seq >= fenced.seq) break;
        if (performance.now() > deadline) return this.abortFailback(`${to} did not catch up to seq ${fenced.seq} within 15 s`);
        await sleep(20);
      }
      this.event('caught-up', to, `${to} has every write up to seq ${fenced.seq}`);
      const ok = await this.promote(to, from, 'failback');
      this.event(ok ? 'failback-complete' : 'failback-failed', to);
      return { ok, detail: ok ? `${to} is primary` : 'promotion failed' };
    } finally {
      this.busy = false;
      this.misses = 0;
    }
  }

  private abortFailback(detail: string): { ok: boolean; detail: string } {
    this.state.fenced = [];
    this.persist();
    void postJson(`${this.o.sites[this.state.primary].sanAdmin}/promote`, { epoch: this.state.epoch }, 1000);
    this.event('failback-aborted', undefined, detail);
    return { ok: false, detail };
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://controller');
    const role = /^\/sites\/([^/]+)\/role$/.exec(url.pathname);
    if (req.method === 'GET' && role) {
      if (!this.o.sites[role[1]]) return reply(404, { error: `unknown site ${role[1]}` });
      return reply(200, this.roleOf(role[1]));
    }
    if (req.method === 'GET' && url.pathname === '/health') return reply(200, { ok: true });
    if (req.method === 'GET' && url.pathname === '/active') return reply(200, { site: this.state.primary, epoch: this.state.epoch, watching: this.armed });
    if (req.method === 'GET' && url.pathname === '/state') {
      return reply(200, { ...this.state, promotion: this.o.promotion, misses: this.misses, busy: this.busy, awaitingManual: this.awaitingManual });
    }
    if (req.method === 'GET' && url.pathname === '/events') return reply(200, this.events);
    if (req.method === 'POST' && url.pathname === '/promote') {
      if (this.busy) return reply(409, { error: 'a switchover is in progress' });
      this.awaitingManual = false;
      this.busy = true;
      try {
        const from = this.state.primary;
        const ok = await this.promote(this.other(from), from, 'manual promotion');
        return reply(ok ? 200 : 500, { ok, primary: this.state.primary, epoch: this.state.epoch });
      } finally {
        this.busy = false;
        this.misses = 0;
      }
    }
    if (req.method === 'POST' && url.pathname === '/failback') {
      if (this.busy) return reply(409, { error: 'a switchover is in progress' });
      const result = await this.failback();
      return reply(result.ok ? 200 : 409, { ...result, primary: this.state.primary, epoch: this.state.epoch });
    }
    reply(404, { error: 'not found' });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function probe(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.json() : undefined;
  } catch {
    return undefined;
  }
}

async function postJson(url: string, body: unknown, timeoutMs: number): Promise<unknown> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return res.ok ? await res.json() : undefined;
  } catch {
    return undefined;
  }
}
