import * as hdr from 'hdr-histogram-js';
import { CLOCK_RESOLUTION } from '../../model/figures/figure';
import {
  latencyOptionsSchema,
  type Latency,
  type LatencyOptions,
  type LatencyPercentiles,
  type ScopedLatency,
} from '../../model/figures/latency';
import { PHASES, type PhaseName, type Range } from '../../model/figures/phases';
import { OutcomeCode, type RequestLog } from '../load/records';
import { LATENCY_DEFINITION, latencyOf } from './percentile';
import { faultPhases } from './phases';
import { inScope, scopesOf, type Scope } from './scope';

/**
 * Latency percentiles per service and per phase of each fault (docs/ARCHITECTURE.md § 7), from HDR histograms:
 * long drills have millions of requests, and a histogram keeps them in a few KB with a stated
 * precision instead of holding and sorting every value.
 */

/** Recording unit: 1 µs. Values are recorded as integer µs and reported in ms. */
const UNIT_PER_MS = 1000;
const SIGNIFICANT_DIGITS = 3;

const DEFINITION =
  `Percentiles of ${LATENCY_DEFINITION}, per service and for all services, over the whole run and per phase of each fault: ` +
  'before = [run start, t_fault), during = [t_fault, t_recovered), after = [t_recovered, run end); when not recovered, during runs to the run end and after is empty. ' +
  'Requests belong to a phase by their scheduled time. A service with its own t_recovered (tRecoveredByService) uses it. ' +
  'pN = HDR getValueAtPercentile(N) (the upper end of the histogram bucket holding the nearest-rank value), capped at max; max is exact; null when count = 0.';

export function latencyByPhase(log: RequestLog, options: LatencyOptions): Latency {
  const o = latencyOptionsSchema.parse(options);
  const scopes = scopesOf(log);
  const faults = o.faults.map((fault) => {
    const perScope = new Map(scopes.map((scope) => [scope.name, faultPhases(o.run, fault, scope.name)]));
    const phase = (p: PhaseName) => scoped(log, scopes, (scope) => perScope.get(scope.name)![p]);
    const [before, during, after] = PHASES.map(phase);
    return { name: fault.name ?? null, tFault: fault.tFault, before, during, after };
  });
  return {
    definition: DEFINITION,
    parameters: {
      runFrom: o.run.from,
      runTo: o.run.to,
      faults: o.faults.length,
      significantDigits: SIGNIFICANT_DIGITS,
      unit: 'us',
    },
    resolution:
      `${CLOCK_RESOLUTION}; latencies recorded in integer µs (rounded) into HDR histograms with ${SIGNIFICANT_DIGITS} significant digits, ` +
      'so a percentile is within 0.1 % above the exact nearest-rank value (after rounding to the µs), capped at the exact max; reported in ms',
    run: scoped(log, scopes, () => o.run),
    faults,
  };
}

function scoped(log: RequestLog, scopes: Scope[], rangeOf: (scope: Scope) => Range): ScopedLatency {
  const byService: Record<string, LatencyPercentiles> = {};
  let all: LatencyPercentiles | undefined;
  for (const scope of scopes) {
    const p = percentilesIn(log, scope, rangeOf(scope));
    if (scope.code < 0) all = p;
    else byService[scope.name] = p;
  }
  return { byService, all: all! };
}

/** HDR percentiles of the scope's requests due in [from, to). */
export function percentilesIn(log: RequestLog, scope: Scope, range: Range): LatencyPercentiles {
  const h = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: SIGNIFICANT_DIGITS, autoResize: true });
  let dropped = 0;
  let max = -Infinity;
  for (let i = 0; i < log.length; i++) {
    const s = log.scheduled[i];
    if (s < range.from || s >= range.to || !inScope(log, scope, i)) continue;
    if (log.outcome[i] === OutcomeCode.Dropped) {
      dropped++;
      continue;
    }
    const l = latencyOf(log, i);
    if (l === undefined) continue;
    h.recordValue(Math.round(l * UNIT_PER_MS));
    if (l > max) max = l;
  }
  const count = h.totalCount;
  // HDR answers the upper end of a bucket, which can pass the largest value: no percentile exceeds the max.
  const at = (p: number) => (count === 0 ? null : Math.min(max, h.getValueAtPercentile(p) / UNIT_PER_MS));
  return {
    from: range.from,
    to: range.to,
    count,
    dropped,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: count === 0 ? null : max,
  };
}
