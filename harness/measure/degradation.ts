import {
  degradationOptionsSchema,
  type Degradation,
  type DegradationFigure,
  type DegradationOptions,
  type ScopedDegradation,
} from '../../model/figures/degradation';
import { CLOCK_RESOLUTION } from '../../model/figures/figure';
import { PHASES, type PhaseName, type Range } from '../../model/figures/phases';
import { OutcomeCode, type RequestLog } from '../load/records';
import { baselineP95, LATENCY_DEFINITION, latencyOf } from './percentile';
import { faultPhases } from './phases';
import { inScope, scopesOf, type Scope } from './scope';

/**
 * Degradation (docs/ARCHITECTURE.md § 7): how much service was lost, as areas rather than instants, so a long
 * shallow brown-out and a short total outage can be compared. error-seconds is the area under the
 * failure ratio; excess latency-seconds is the time ok requests spent beyond the normal p95.
 */

const DEFINITION =
  'Per service and for all services, over the whole run and per phase of each fault (before = [run start, t_fault), during = [t_fault, t_recovered or run end), ' +
  'after = [t_recovered, run end); requests belong to a phase by SCHEDULED time). ' +
  'errorSeconds = sum over buckets of (fail + info + dropped) / (ok + fail + info + dropped) x bucket seconds, buckets of bucketMs aligned on the phase start ' +
  '(the last one cut at the phase end); a bucket with no requests due adds 0. ' +
  `excessLatencySeconds = sum over ok requests due in the phase of max(0, latency - baseline p95) / 1000, where ${LATENCY_DEFINITION} ` +
  'and baseline p95 = exact nearest-rank p95 of the scope over the baseline window; null when that window has no latencies.';

export function degradation(log: RequestLog, options: DegradationOptions): Degradation {
  const o = degradationOptionsSchema.parse(options);
  const scopes = scopesOf(log);
  const base = new Map(scopes.map((s) => [s.name, baselineP95(log, s, o.baseline)]));
  const scoped = (rangeOf: (scope: Scope) => Range): ScopedDegradation => {
    const byService: Record<string, DegradationFigure> = {};
    let all: DegradationFigure | undefined;
    for (const scope of scopes) {
      const f = degradationIn(log, scope, rangeOf(scope), o.bucketMs, base.get(scope.name)!);
      if (scope.code < 0) all = f;
      else byService[scope.name] = f;
    }
    return { byService, all: all! };
  };
  const faults = o.faults.map((fault) => {
    const phases = new Map(scopes.map((scope) => [scope.name, faultPhases(o.run, fault, scope.name)]));
    const [before, during, after] = PHASES.map((p: PhaseName) => scoped((scope) => phases.get(scope.name)![p]));
    return { name: fault.name ?? null, tFault: fault.tFault, before, during, after };
  });
  return {
    definition: DEFINITION,
    parameters: { runFrom: o.run.from, runTo: o.run.to, baselineFrom: o.baseline.from, baselineTo: o.baseline.to, bucketMs: o.bucketMs },
    resolution: `${CLOCK_RESOLUTION}; errorSeconds resolved to bucketMs (${o.bucketMs} ms) in time; seconds are not rounded`,
    run: scoped(() => o.run),
    faults,
  };
}

/** Degradation of the scope's requests due in [from, to). */
export function degradationIn(log: RequestLog, scope: Scope, range: Range, bucketMs: number, baselineP95Ms: number | null): DegradationFigure {
  const n = Math.max(0, Math.ceil((range.to - range.from) / bucketMs));
  const due = new Array<number>(n).fill(0);
  const failed = new Array<number>(n).fill(0);
  let excessMs = 0;
  for (let i = 0; i < log.length; i++) {
    const s = log.scheduled[i];
    if (s < range.from || s >= range.to || !inScope(log, scope, i)) continue;
    const b = Math.floor((s - range.from) / bucketMs);
    due[b]++;
    if (log.outcome[i] !== OutcomeCode.Ok) failed[b]++;
    else if (baselineP95Ms !== null) excessMs += Math.max(0, (latencyOf(log, i) ?? 0) - baselineP95Ms);
  }
  let errorSeconds = 0;
  for (let b = 0; b < n; b++) {
    if (due[b] === 0) continue;
    const width = Math.min(bucketMs, range.to - (range.from + b * bucketMs));
    errorSeconds += (failed[b] / due[b]) * (width / 1000);
  }
  return {
    from: range.from,
    to: range.to,
    errorSeconds,
    excessLatencySeconds: baselineP95Ms === null ? null : excessMs / 1000,
    baselineP95Ms,
  };
}
