import { EventEmitter } from 'node:events';
import { Pool } from 'undici';
import { classify, classifyError } from './classify';
import type { Executor } from './executors/executor';
import { LiveStats } from './live';
import { OutcomeCode, RequestLog, type ServiceName } from './records';
import { versionNumber } from './version';

/** One request, as the workload builds it at its due time. */
export interface Operation {
  op: string;
  service: ServiceName;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: unknown;
  /** Headers of this request only (e.g. FHIR's If-None-Exist, If-Match, Content-Type application/fhir+json). */
  headers?: Record<string, string>;
  write: boolean;
  /** Idempotency-Key of a write. */
  key?: string;
  /** The request was acknowledged: the workload learns ids (to cancel, to look up). */
  onOk?(body: unknown): void;
  /** Any outcome: the workload can release what it reserved. */
  onDone?(outcome: OutcomeCode, status: number): void;
}

export interface Workload {
  next(index: number): Operation;
}

export interface LoadOptions {
  executor: Executor;
  /** Base URL per service, e.g. http://127.0.0.1:8000/booking */
  targets: Record<ServiceName, string>;
  workload: Workload;
  /** Requests in flight at most; a request due when all are busy is dropped. */
  maxInFlight?: number;
  /** A request that has not finished this long after its start is abandoned as indeterminate. */
  timeoutMs?: number;
  /** A request that cannot start within this of its due time is dropped, never started late. */
  maxLagMs?: number;
  /** Hard bound on the count of requests, whatever the executor says. */
  maxRequests?: number;
  log?: RequestLog;
  /** Extra headers on every request (e.g. a vendor's auth). */
  headers?: Record<string, string>;
  /** Connection pools opened (and warmed) beforehand: see `openPools`. Closed when the run is done. */
  pools?: LoadPools;
}

/** One undici pool per origin of the targets, and each service's pool and path prefix. */
export interface LoadPools {
  readonly byOrigin: ReadonlyMap<string, Pool>;
  readonly targets: Record<ServiceName, { pool: Pool; prefix: string }>;
}

/** The pools a run uses: one per origin, up to `maxInFlight` connections each. */
export function openPools(targets: Record<ServiceName, string>, maxInFlight = 256): LoadPools {
  const byOrigin = new Map<string, Pool>();
  const byService = Object.fromEntries(
    Object.entries(targets).map(([service, base]) => {
      const url = new URL(base);
      if (!byOrigin.has(url.origin)) byOrigin.set(url.origin, new Pool(url.origin, { connections: maxInFlight, keepAliveTimeout: 30_000 }));
      return [service, { pool: byOrigin.get(url.origin)!, prefix: url.pathname.replace(/\/$/, '') }];
    }),
  ) as LoadPools['targets'];
  return { byOrigin, targets: byService };
}

/**
 * Opens `connections` keep-alive connections in each pool before the schedule starts, by as many
 * concurrent HEAD requests on each origin's first service path (safe by definition; any status
 * will do, 404 included): otherwise undici opens a connection for each request that finds the
 * others busy, and a run's first second spends its CPU on connecting instead of on its schedule.
 * Bounded by `timeoutMs`; a connection that cannot be opened now is left to the run.
 */
export async function warmPools(pools: LoadPools, connections: number, timeoutMs = 5000): Promise<void> {
  const prefixOf = new Map<Pool, string>();
  for (const t of Object.values(pools.targets)) if (!prefixOf.has(t.pool)) prefixOf.set(t.pool, t.prefix);
  await Promise.all(
    [...prefixOf].flatMap(([pool, prefix]) =>
      Array.from({ length: connections }, () =>
        pool
          .request({ method: 'HEAD', path: prefix || '/', signal: AbortSignal.timeout(timeoutMs) })
          .then((res) => res.body.dump())
          .catch(() => undefined),
      ),
    ),
  );
}

/** How many connections to warm for a peak rate: 20 ms of arrivals (at least 4), at most maxInFlight. */
export function warmConnections(peakRatePerS: number, maxInFlight = 256): number {
  return Math.min(maxInFlight, Math.max(4, Math.ceil(peakRatePerS * 0.02)));
}

export interface LoadRun {
  readonly log: RequestLog;
  readonly live: LiveStats;
  /** performance.now() at the start of the schedule. */
  readonly t0: number;
  /** Requests in flight now; -1 where the engine cannot say (k6). */
  inFlight(): number;
  /** Stop scheduling (e.g. an abort condition tripped); in-flight requests finish or time out. */
  stop(): void;
  /** Resolves when the schedule is over and every request has finished. */
  readonly done: Promise<LoadSummary>;
}

export interface LoadSummary {
  scheduled: number;
  dropped: number;
  /** Schedule lag (start - due) of the requests that started, ms. */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  durationMs: number;
}

/**
 * The open-model engine: requests start on the executor's schedule whether or not earlier ones
 * finished. Nothing is ever started late to catch up: a request that cannot start on time is
 * recorded as dropped, so an outage shows in the records at the scheduled rate, never as a gap.
 */
export function runLoad(options: LoadOptions): LoadRun {
  const maxInFlight = options.maxInFlight ?? 256;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxLagMs = options.maxLagMs ?? 100;
  const maxRequests = options.maxRequests ?? 10_000_000;
  const log = options.log ?? new RequestLog();
  const live = new LiveStats();
  const { byOrigin: pools, targets } = options.pools ?? openPools(options.targets, maxInFlight);

  const t0 = performance.now();
  const firstRow = log.length;
  let inFlight = 0;
  let stopped = false;
  let scheduled = 0;
  let dropped = 0;
  let finishSchedule!: () => void;
  const scheduleOver = new Promise<void>((r) => (finishSchedule = r));
  let drained: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let due = options.executor.next();

  const tick = () => {
    const now = performance.now();
    while (!stopped && due !== undefined && t0 + due <= now && scheduled < maxRequests) {
      launch(t0 + due, now);
      due = options.executor.next();
    }
    if (stopped || due === undefined || scheduled >= maxRequests) {
      finishSchedule();
      return;
    }
    const wait = t0 + due - performance.now();
    // Timers are coarse (about 1 ms): sleep to just before the next due time, then spin on setImmediate.
    timer = wait > 1.5 ? setTimeout(tick, wait - 1) : (setImmediate(tick) as unknown as NodeJS.Timeout);
  };

  const launch = (dueAt: number, now: number) => {
    const index = scheduled++;
    const op = options.workload.next(index);
    const i = log.add(dueAt, op.op, op.service, op.write, op.key);
    if (inFlight >= maxInFlight || now - dueAt > maxLagMs) {
      dropped++;
      log.dropped(i, now);
      live.add(now, now - dueAt, false);
      op.onDone?.(OutcomeCode.Dropped, 0);
      return;
    }
    inFlight++;
    const started = performance.now();
    log.started(i, started);
    void send(op).then(({ outcome, status, site, body, seq, etagVersion }) => {
      const end = performance.now();
      let ack: { id?: string; version?: number; seq?: number } | undefined;
      if (outcome === OutcomeCode.Ok && op.write && body && typeof body === 'object') {
        const b = body as { id?: string; meta?: { versionId?: string } };
        // The mock's versions are numbers; a vendor's may be opaque (a UUID): kept as their hash.
        ack = { id: b.id, version: versionNumber(b.meta?.versionId ?? etagVersion), seq };
      }
      log.finished(i, end, outcome, status, site, ack);
      live.add(end, end - dueAt, outcome === OutcomeCode.Ok);
      if (outcome === OutcomeCode.Ok) op.onOk?.(body);
      op.onDone?.(outcome, status);
      inFlight--;
      if (inFlight === 0 && drained) drained();
    });
  };

  const send = async (op: Operation) => {
    const target = targets[op.service];
    // undici takes an EventEmitter as the abort signal (its documented alternative to an AbortSignal):
    // an AbortController cost about a third of a request's CPU, an emitter little (README, Load engine).
    const signal = new EventEmitter();
    const timeout = setTimeout(() => signal.emit('abort'), timeoutMs);
    try {
      const res = await target.pool.request({
        method: op.method,
        path: target.prefix + op.path,
        headers: {
          ...options.headers,
          ...(op.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(op.key ? { 'idempotency-key': op.key } : {}),
          ...op.headers,
        },
        body: op.body !== undefined ? JSON.stringify(op.body) : undefined,
        signal,
      });
      const text = await res.body.text();
      const header = (name: string) => {
        const v = res.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const outcome = classify(res.statusCode, op.write, header('x-blackstart-indeterminate'));
      let body: unknown;
      if (outcome === OutcomeCode.Ok && text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
      }
      const tag = header('etag');
      return {
        outcome,
        status: res.statusCode,
        site: header('x-blackstart-site') ?? '',
        body,
        seq: Number(header('x-blackstart-seq') ?? 0),
        etagVersion: tag === undefined ? undefined : tag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1'),
      };
    } catch (e) {
      return { outcome: classifyError((e as { code?: string }).code), status: 0, site: '', body: undefined, seq: 0, etagVersion: undefined };
    } finally {
      clearTimeout(timeout);
    }
  };

  const done = (async (): Promise<LoadSummary> => {
    await scheduleOver;
    if (inFlight > 0) await new Promise<void>((r) => (drained = r));
    await Promise.all([...pools.values()].map((p) => p.close()));
    // Schedule lag of every request this run started, from its own records.
    const lags: number[] = [];
    for (let i = firstRow; i < log.length; i++) if (!Number.isNaN(log.start[i])) lags.push(log.start[i] - log.scheduled[i]);
    lags.sort((a, b) => a - b);
    const pick = (q: number) => (lags.length ? lags[Math.min(lags.length - 1, Math.ceil(lags.length * q) - 1)] : 0);
    return {
      scheduled,
      dropped,
      lagP50Ms: pick(0.5),
      lagP99Ms: pick(0.99),
      lagMaxMs: lags.length ? lags[lags.length - 1] : 0,
      durationMs: performance.now() - t0,
    };
  })();

  timer = setTimeout(tick, 0);
  return {
    log,
    live,
    t0,
    inFlight: () => inFlight,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      finishSchedule();
    },
    done,
  };
}
