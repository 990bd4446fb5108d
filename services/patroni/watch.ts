import http from 'node:http';
import type { ControllerEvent } from '../../model/controller';
import { observe, type ClusterView, type NodeView, type ObserverState } from './observe';

/**
 * A Patroni cluster's failover as blackstart's controller API (model/controller.ts: GET /events,
 * GET /active), so a drill on the Patroni estate gets detect and promote times, the active site
 * and split-brain from the real stack: it polls each node's REST API (GET /patroni, GET /cluster)
 * and turns what changed into events (services/patroni/observe.ts). It only watches: it decides
 * nothing. It reaches the nodes directly (the file's `${host:...}`), not through the links, so a
 * partition of the estate does not blind the observer.
 */
export interface PatroniWatchOptions {
  host: string;
  port: number;
  /** Per site, the host:port of its node's Patroni REST API. */
  nodes: Record<string, string>;
  /** Per site, Patroni's member name (dc1-db), to read GET /cluster's leader. */
  members: Record<string, string>;
  /** HAProxies in front of the nodes, by name: the host:port of each one's stats page (`stats uri /stats`). */
  haproxies?: Record<string, string>;
  /** How often each node is asked (ms). Default 200. */
  everyMs?: number;
}

const MAX_EVENTS = 10_000;

export class PatroniWatch {
  private server: http.Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private state: ObserverState = { view: undefined, timeline: 0, active: undefined };
  private readonly events: ControllerEvent[] = [];
  /** Promotions to a new timeline whose time is still the poll's, not yet the timeline history's. */
  private readonly unrefined: ControllerEvent[] = [];
  private polling = false;

  constructor(private readonly o: PatroniWatchOptions) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url === '/events') return send(200, this.events);
      if (req.method === 'GET' && req.url === '/active') {
        return this.state.active === undefined ? send(503, { error: 'no primary seen yet' }) : send(200, { site: this.state.active, epoch: this.state.timeline });
      }
      send(404, { error: `no route ${req.method} ${req.url}` });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host, () => resolve());
    });
    this.timer = setInterval(() => void this.poll(), this.o.everyMs ?? 200);
    await this.poll();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const sites = Object.keys(this.o.nodes);
      const nodes = await Promise.all(sites.map((s) => nodeView(this.o.nodes[s])));
      const view: ClusterView = { nodes: Object.fromEntries(sites.map((s, i) => [s, nodes[i]])), leader: await this.leader(sites, nodes), routes: await this.routes() };
      const { state, events } = observe(this.state, view, performance.timeOrigin + performance.now());
      this.state = state;
      for (const e of events) {
        if (this.events.length < MAX_EVENTS) this.events.push(e);
        if (e.type === 'promote' && /on timeline/.test(e.detail ?? '') && !/took the leader key back/.test(e.detail ?? '')) this.unrefined.push(e);
        process.stderr.write(`${new Date(e.t).toISOString()} ${e.type} ${e.site ?? ''}: ${e.detail ?? ''}\n`);
      }
      if (this.unrefined.length > 0) await this.refine(sites, nodes);
    } finally {
      this.polling = false;
    }
  }

  /**
   * A promotion is seen at the next poll after it (and a poll waits for a frozen node's timeout):
   * its time is taken from Patroni's timeline history (GET /history: the new timeline's history
   * file's time, which PostgreSQL writes as it promotes), once the leader has recorded it there
   * (its next loop). Split-brain is judged against this time, so a poll's lag must not count as two
   * primaries. Given up after 30 s: the poll's time stays.
   */
  private async refine(sites: string[], nodes: (NodeView | null)[]): Promise<void> {
    const at = sites.findIndex((_, i) => nodes[i] !== null);
    const lines = at < 0 ? null : await getJson(`http://${this.o.nodes[sites[at]]}/history`);
    const now = performance.timeOrigin + performance.now();
    for (const e of [...this.unrefined]) {
      const line = Array.isArray(lines) ? lines.find((l) => Array.isArray(l) && l[0] === e.epoch - 1 && typeof l[3] === 'string') : undefined;
      const t = line ? Date.parse(line[3] as string) : NaN;
      if (Number.isFinite(t) && t <= e.t && e.t - t < 30_000) {
        e.detail = `${e.detail}; promoted at ${new Date(t).toISOString()} by the timeline history (seen ${Math.round(e.t - t)} ms later)`;
        // The DCS named the new leader when it took the key, just before it promoted: a poll that saw
        // the new name later than the promotion saw it late.
        for (const d of this.events) if (d.type === 'detect' && d.detail?.includes(`names ${e.site} leader`) && d.t > t && d.t - e.t < 5000) d.t = t;
        e.t = t;
      }
      if (Number.isFinite(t) || now - e.t > 30_000) this.unrefined.splice(this.unrefined.indexOf(e), 1);
    }
  }

  /** The site of the leader GET /cluster names, asked of a node that answers; undefined when none does. */
  private async leader(sites: string[], nodes: (NodeView | null)[]): Promise<string | null | undefined> {
    for (const [i, s] of sites.entries()) {
      if (nodes[i] === null) continue;
      const cluster = (await getJson(`http://${this.o.nodes[s]}/cluster`)) as { members?: { name?: string; role?: string }[] } | null;
      if (!cluster || !Array.isArray(cluster.members)) continue;
      const name = cluster.members.find((m) => m.role === 'leader')?.name;
      if (name === undefined) return null;
      return Object.entries(this.o.members).find(([, m]) => m === name)?.[0] ?? null;
    }
    return undefined;
  }

  /** Per HAProxy that answers, the site of the one node it has UP (its stats as CSV: a server's svname is its member name). */
  private async routes(): Promise<Record<string, string | null>> {
    const out: Record<string, string | null> = {};
    await Promise.all(
      Object.entries(this.o.haproxies ?? {}).map(async ([name, hostPort]) => {
        const csv = await getText(`http://${hostPort}/stats;csv`);
        if (csv === null) return;
        const up = csv
          .split('\n')
          .map((l) => l.split(','))
          .filter((f) => f[0] === 'postgres' && f[17]?.startsWith('UP'))
          .map((f) => Object.entries(this.o.members).find(([, m]) => m === f[1])?.[0])
          .filter((s): s is string => s !== undefined);
        out[name] = up.length === 1 ? up[0] : null;
      }),
    );
    return out;
  }

  stop(): void {
    clearInterval(this.timer);
    this.server?.close();
  }
}

async function nodeView(hostPort: string): Promise<NodeView | null> {
  const body = (await getJson(`http://${hostPort}/patroni`)) as Partial<Record<'role' | 'state', string>> & { timeline?: number } | null;
  if (!body || typeof body.role !== 'string') return null;
  return { role: body.role, state: body.state ?? 'unknown', timeline: typeof body.timeline === 'number' ? body.timeline : 0 };
}

/** A text answer (200 only); null when none came within 400 ms. */
async function getText(url: string): Promise<string | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(400) });
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}

/** A JSON answer whatever the status (Patroni answers 503 with its state on a replica's /primary); null when none came within 400 ms. */
async function getJson(url: string): Promise<unknown> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(400) });
    return await res.json();
  } catch {
    return null;
  }
}
