import type { z } from 'zod';
import { CLOCK_RESOLUTION } from '../../model/figures/figure';
import type { FaultSpan } from '../../model/figures/phases';
import { recoveryOptionsSchema, type Recovery, type RecoveryOptions, type ScopeRecovery } from '../../model/figures/recovery';
import { OutcomeCode, type RequestLog } from '../load/records';
import { baselineP95, LATENCY_DEFINITION, latencyOf, nearestRank } from './percentile';
import { inScope, scopesOf, type Scope } from './scope';

/**
 * Recovery of one fault (DESIGN § 7 "Phases", "Recovered", "Outage"): when each service failed,
 * first answered again and was healthy again, from the records alone. The controller's phase
 * timestamps (detect, promote, switch) are passed in and only turned into durations here.
 */

const DEFINITION =
  'Per scope (each service, and all services together), over requests by SCHEDULED time. ' +
  't_first_failure: the earliest scheduled time of a non-ok request (fail, info or dropped) due at or after t_fault. ' +
  't_first_ok: the earliest end of an ok request due at or after t_first_failure. ' +
  'Windows of windowMs are ALIGNED ON t_first_failure: [t_first_failure + k*windowMs, t_first_failure + (k+1)*windowMs), k >= 0, judged only when they end by tEnd. ' +
  'A window is healthy when it has at least one request due in it, ok / (ok + fail + info + dropped) >= minSuccessRatio (dropped and indeterminate count as failures), ' +
  `and its exact nearest-rank p95 of ${LATENCY_DEFINITION} is <= l (l = maxP95Ms, else p95Factor x the p95 of the baseline window; no latency test when neither exists). ` +
  'A window with no requests is NOT healthy (no evidence of service): it ends a run, so choose windowMs >> the inter-arrival time of each service. ' +
  't_recovered: the start of the first run of n consecutive healthy windows. RTO = t_recovered - t_fault; RTO = 0 (t_recovered = t_fault) when nothing failed; ' +
  '"not recovered" (rto.recovered = false, no number) when no such run ends by tEnd. ' +
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
    resolution: `${CLOCK_RESOLUTION}; t_recovered is a window boundary, so RTO is resolved to windowMs (${o.windowMs} ms) after t_first_failure`,
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
      windows: { judged: 0, healthy: 0, empty: 0 },
      tRelapse: null,
    };
  }

  // One pass: per-window counts and latencies, and the first ok after the first failure.
  const w = o.windowMs;
  const judged = Math.max(0, Math.floor((tEnd - tFirstFailure) / w));
  const total = new Array<number>(judged).fill(0);
  const ok = new Array<number>(judged).fill(0);
  const lat = Array.from({ length: judged }, () => [] as number[]);
  let tFirstOk = Infinity;
  for (let i = 0; i < log.length; i++) {
    const s = log.scheduled[i];
    if (s < tFirstFailure || s >= tEnd || !inScope(log, scope, i)) continue;
    const isOk = log.outcome[i] === OutcomeCode.Ok;
    if (isOk && log.end[i] < tFirstOk) tFirstOk = log.end[i];
    const k = Math.floor((s - tFirstFailure) / w);
    if (k >= judged) continue;
    total[k]++;
    if (isOk) ok[k]++;
    const latency = latencyOf(log, i);
    if (latency !== undefined) lat[k].push(latency);
  }
  const healthy = total.map((t, k) => {
    if (t === 0 || ok[k] / t < o.minSuccessRatio) return false;
    if (l === null) return true;
    const p95 = nearestRank(lat[k], 95);
    return p95 !== null && p95 <= l;
  });

  let run = 0;
  let recoveredAt = -1;
  let relapseAt = -1;
  for (let k = 0; k < judged; k++) {
    if (recoveredAt < 0) {
      run = healthy[k] ? run + 1 : 0;
      if (run === o.n) recoveredAt = k - o.n + 1;
    } else if (!healthy[k]) {
      relapseAt = k;
      break;
    }
  }
  const tRecovered = recoveredAt < 0 ? null : tFirstFailure + recoveredAt * w;

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
    windows: { judged, healthy: healthy.filter(Boolean).length, empty: total.filter((t) => t === 0).length },
    tRelapse: relapseAt < 0 ? null : tFirstFailure + relapseAt * w,
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
