import { OutcomeCode, type RequestLog } from '../load/records';
import type { Range } from '../../model/figures/phases';
import { inScope, type Scope } from './scope';

/**
 * Latency of one request, ms, measured from its SCHEDULED start (end - scheduled), so time spent
 * waiting for a stalled system (or for a free client) counts: an open workload's stall cannot hide
 * as a gap (coordinated omission). Only requests that started have one: a dropped request never
 * ran, and is counted as a failure in the ratios instead. Clamped at 0 against clock jitter.
 */
export function latencyOf(log: RequestLog, i: number): number | undefined {
  if (log.outcome[i] === OutcomeCode.Dropped) return undefined;
  const l = log.end[i] - log.scheduled[i];
  return Number.isFinite(l) ? Math.max(0, l) : undefined;
}

export const LATENCY_DEFINITION =
  'latency = end - scheduled (from the scheduled start, so a stall cannot hide), over requests that started (ok, fail, info); dropped requests have none';

/**
 * Exact nearest-rank percentile: the smallest recorded value such that at least p % of the values
 * are <= it (rank ceil(p/100 * n)). The same definition HDR histograms use, without their bucket
 * rounding: windows and buckets are small, so sorting is cheap and exact. null for no values.
 */
export function nearestRank(values: number[] | Float64Array, p: number): number | null {
  return nearestRanks(values, [p])[0];
}

/** Several nearest-rank percentiles of the same values, sorting once. */
export function nearestRanks(values: number[] | Float64Array, ps: readonly number[]): (number | null)[] {
  if (values.length === 0) return ps.map(() => null);
  const sorted = Float64Array.from(values).sort();
  return ps.map((p) => {
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
  });
}

/** Latencies of the scope's requests scheduled in [from, to). */
export function latenciesIn(log: RequestLog, scope: Scope, range: Range): number[] {
  const out: number[] = [];
  for (let i = 0; i < log.length; i++) {
    const s = log.scheduled[i];
    if (s < range.from || s >= range.to || !inScope(log, scope, i)) continue;
    const l = latencyOf(log, i);
    if (l !== undefined) out.push(l);
  }
  return out;
}

/** The baseline p95 (exact nearest rank) of the scope over the caller's baseline window; null when it has no latencies. */
export function baselineP95(log: RequestLog, scope: Scope, baseline: Range): number | null {
  return nearestRank(latenciesIn(log, scope, baseline), 95);
}
