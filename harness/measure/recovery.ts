import type { z } from 'zod';
import { CLOCK_RESOLUTION } from '../../model/figures/figure';
import type { FaultSpan } from '../../model/figures/phases';
import { recoveryOptionsSchema, type Recovery, type RecoveryOptions, type ScopeRecovery } from '../../model/figures/recovery';
import { OutcomeCode, type RequestLog } from '../load/records';
import { baselineP95, LATENCY_DEFINITION, latencyOf } from './percentile';
import { inScope, scopesOf, type Scope } from './scope';

/**
 * Recovery of one fault (docs/ARCHITECTURE.md § 7 "Phases", "Recovered", "Outage"): when each service failed,
 * first answered again and was healthy again, from the records alone. The controller's phase
 * timestamps (detect, promote, switch) are passed in and only turned into durations here.
 */

const DEFINITION =
  'Per scope (each service, and all services together), over requests by SCHEDULED time. ' +
  't_first_failure: the earliest scheduled time of a non-ok request (fail, info or dropped) due at or after t_fault. ' +
  't_first_ok: the earliest end of an ok request due at or after t_first_failure. ' +
  'A window [a, a + windowMs) is healthy when it has at least one request due in it, ok / (ok + fail + info + dropped) >= minSuccessRatio (dropped and indeterminate count as failures), ' +
  `and its exact nearest-rank p95 of ${LATENCY_DEFINITION} is <= l (l = maxP95Ms, else p95Factor x the p95 of the baseline window; no latency test when neither exists). ` +
  'A window with no requests is NOT healthy (no evidence of service), so choose windowMs >> the inter-arrival time of each service. ' +
  't_recovered: the earliest scheduled time t of an OK request due at or after t_first_failure such that the n windows [t + k*windowMs, t + (k+1)*windowMs), k = 0..n-1, ' +
  'all end by tEnd and are all healthy: recovery begins at the request that starts the healthy run. RTO = t_recovered - t_fault; RTO = 0 (t_recovered = t_fault) when nothing failed; ' +
  '"not recovered" (rto.recovered = false, no number) when no such t exists. ' +
  'Relapse: the first unhealthy window after the recovering run, windows continuing from t_recovered in steps of windowMs up to tEnd. ' +
  'Outage: the latest end of a non-ok request due in [t_first_failure, t_recovered, or tEnd when not recovered) (the first failure included) minus t_first_failure. ' +
  'Times to detect/promote/switch/first ok: that timestamp - t_fault (null when absent).';

export function recovery(log: RequestLog, options: RecoveryOptions): Recovery {
  const o = recoveryOptionsSchema.parse(options);
  const tEnd = o.tEnd ?? lastTime(log);
  const { tFault } = o.fault;
  const byService: Record<string, ScopeRecovery> = {};
  let all: ScopeRecovery | undefined;
  for (const scope of scopesOf(log)) {
    const r = scopeRecovery(log, scope, o, tEnd);
    if (scope.code < 0) all = r;
    else byService[scope.name] = r;
  }
  const since = (t: number | undefined) => (t === undefined ? null : t - tFault);
  return {
    definition: DEFINITION,
    parameters: {
      n: o.n,
      windowMs: o.windowMs,
      minSuccessRatio: o.minSuccessRatio,
      maxP95Ms: o.maxP95Ms ?? null,
      p95Factor: o.p95Factor,
      baselineFrom: o.baseline.from,
      baselineTo: o.baseline.to,
      tEnd,
    },
    resolution: `${CLOCK_RESOLUTION}; t_recovered is the scheduled time of a request, so RTO is resolved to one inter-arrival time of the scope's requests (each scope's resolutionMs: the gap to the request before t_recovered)`,
    tFault,
    tDetect: o.fault.tDetect ?? null,
    tPromote: o.fault.tPromote ?? null,
    tSwitch: o.fault.tSwitch ?? null,
    timeToDetectMs: since(o.fault.tDetect),
    timeToPromoteMs: since(o.fault.tPromote),
    timeToSwitchMs: since(o.fault.tSwitch),
    byService,
    all: all!,
  };
}

type Parsed = z.output<typeof recoveryOptionsSchema>;

function scopeRecovery(log: RequestLog, scope: Scope, o: Parsed, tEnd: number): ScopeRecovery {
  const { tFault } = o.fault;
  const base = baselineP95(log, scope, o.baseline);
  const l = o.maxP95Ms ?? (base === null ? null : o.p95Factor * base);

  let tFirstFailure = Infinity;
  for (let i = 0; i < log.length; i++) {
    const s = log.scheduled[i];
    if (s >= tFault && s < tEnd && s < tFirstFailure && log.outcome[i] !== OutcomeCode.Ok && inScope(log, scope, i)) tFirstFailure = s;
  }
  if (tFirstFailure === Infinity) {
    return {
      baselineP95Ms: base,
      maxP95Ms: l,
      failed: false,
      tFirstFailure: null,
      tFirstOk: null,
      tRecovered: tFault,
      rto: { recovered: true, ms: 0 },
      outageMs: 0,
      timeToFirstOkMs: null,
      resolutionMs: null,
      windows: { judged: 0, healthy: 0, empty: 0 },
      tRelapse: null,
    };
  }

  // The scope's requests from the first failure on, in scheduled order, with prefix counts so any
  // window's success ratio and p95 test cost two binary searches.
  const episode = episodeRequests(log, scope, tFirstFailure, tEnd, l);
  let tFirstOk = Infinity;
  for (let j = 0; j < episode.length; j++) if (episode.ok[j] && episode.end[j] < tFirstOk) tFirstOk = episode.end[j];
  const w = o.windowMs;
  const healthy = (from: number) => episode.healthy(from, from + w, o.minSuccessRatio);
  const recoversAt = (t: number) => {
    for (let k = 0; k < o.n; k++) if (!healthy(t + k * w)) return false;
    return true;
  };

  let recoveredIndex = -1;
  for (let j = 0; j < episode.length && episode.scheduled[j] + o.n * w <= tEnd; j++) {
    if (episode.ok[j] && recoversAt(episode.scheduled[j])) {
      recoveredIndex = j;
      break;
    }
  }
  const tRecovered = recoveredIndex < 0 ? null : episode.scheduled[recoveredIndex];

  // Windows from t_recovered (or the first failure) to tEnd: the relapse, and how many were healthy.
  const from = tRecovered ?? tFirstFailure;
  const judged = Math.max(0, Math.floor((tEnd - from) / w));
  let healthyCount = 0;
  let empty = 0;
  let tRelapse: number | null = null;
  for (let k = 0; k < judged; k++) {
    const a = from + k * w;
    if (episode.count(a, a + w) === 0) empty++;
    if (healthy(a)) healthyCount++;
    else if (tRecovered !== null && k >= o.n && tRelapse === null) tRelapse = a;
  }

  const episodeEnd = tRecovered ?? tEnd;
  let lastFailureEnd = tFirstFailure;
  for (let i = 0; i < log.length; i++) {
    const s = log.scheduled[i];
    // The first failure belongs to its episode even when the recovering run starts with it.
    if (s < tFirstFailure || (s >= episodeEnd && s !== tFirstFailure) || log.outcome[i] === OutcomeCode.Ok || !inScope(log, scope, i)) continue;
    const e = Number.isFinite(log.end[i]) ? log.end[i] : s;
    if (e > lastFailureEnd) lastFailureEnd = e;
  }

  return {
    baselineP95Ms: base,
    maxP95Ms: l,
    failed: true,
    tFirstFailure,
    tFirstOk: Number.isFinite(tFirstOk) ? tFirstOk : null,
    tRecovered,
    rto: tRecovered === null ? { recovered: false } : { recovered: true, ms: tRecovered - tFault },
    outageMs: lastFailureEnd - tFirstFailure,
    timeToFirstOkMs: Number.isFinite(tFirstOk) ? tFirstOk - tFault : null,
    resolutionMs: recoveredIndex > 0 ? tRecovered! - episode.scheduled[recoveredIndex - 1] : recoveredIndex === 0 ? tRecovered! - lastScheduledBefore(log, scope, tRecovered!) : null,
    windows: { judged, healthy: healthyCount, empty },
    tRelapse,
  };
}

/** The latest scheduled or end time in the log: the default end of the records. */
export function lastTime(log: RequestLog): number {
  let t = -Infinity;
  for (let i = 0; i < log.length; i++) {
    if (log.scheduled[i] > t) t = log.scheduled[i];
    if (log.end[i] > t) t = log.end[i];
  }
  return Number.isFinite(t) ? t : 0;
}

/** The fault's span for the latency and degradation phases: t_recovered of all services and of each. */
export function faultSpanOf(r: Recovery, name?: string): FaultSpan {
  const tRecoveredByService: Record<string, number | null> = {};
  for (const [service, s] of Object.entries(r.byService)) tRecoveredByService[service] = s.tRecovered;
  return { name, tFault: r.tFault, tRecovered: r.all.tRecovered, tRecoveredByService };
}

/** The scope's requests due in [from, to), in scheduled order, with prefix counts for window tests. */
function episodeRequests(log: RequestLog, scope: Scope, from: number, to: number, l: number | null) {
  const idx: number[] = [];
  for (let i = 0; i < log.length; i++) {
    const s = log.scheduled[i];
    if (s >= from && s < to && inScope(log, scope, i)) idx.push(i);
  }
  idx.sort((a, b) => log.scheduled[a] - log.scheduled[b]);
  const n = idx.length;
  const scheduled = new Float64Array(n);
  const end = new Float64Array(n);
  const ok = new Uint8Array(n);
  // Prefix counts: ok requests, requests with a latency, and those whose latency is <= l.
  const okBefore = new Uint32Array(n + 1);
  const latBefore = new Uint32Array(n + 1);
  const fastBefore = new Uint32Array(n + 1);
  idx.forEach((i, j) => {
    scheduled[j] = log.scheduled[i];
    end[j] = log.end[i];
    ok[j] = log.outcome[i] === OutcomeCode.Ok ? 1 : 0;
    const latency = latencyOf(log, i);
    okBefore[j + 1] = okBefore[j] + ok[j];
    latBefore[j + 1] = latBefore[j] + (latency === undefined ? 0 : 1);
    fastBefore[j + 1] = fastBefore[j] + (latency !== undefined && l !== null && latency <= l ? 1 : 0);
  });
  /** Index of the first request due at or after t. */
  const lowerBound = (t: number) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (scheduled[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    length: n,
    scheduled,
    end,
    ok,
    count: (a: number, b: number) => lowerBound(b) - lowerBound(a),
    /** The window [a, b) by the rule in DEFINITION; the p95 test without sorting: nearest-rank p95 <= l iff at least ceil(0.95 m) of m latencies are <= l. */
    healthy(a: number, b: number, minSuccessRatio: number): boolean {
      const i = lowerBound(a);
      const k = lowerBound(b);
      const total = k - i;
      if (total === 0 || (okBefore[k] - okBefore[i]) / total < minSuccessRatio) return false;
      if (l === null) return true;
      const m = latBefore[k] - latBefore[i];
      return m > 0 && fastBefore[k] - fastBefore[i] >= Math.max(1, Math.ceil((95 / 100) * m));
    },
  };
}

/** The latest scheduled time of the scope's requests due before t (t itself when there is none). */
function lastScheduledBefore(log: RequestLog, scope: Scope, t: number): number {
  let last = -Infinity;
  for (let i = 0; i < log.length; i++) {
    const s = log.scheduled[i];
    if (s < t && s > last && inScope(log, scope, i)) last = s;
  }
  return Number.isFinite(last) ? last : t;
}
