import { CLOCK_RESOLUTION } from '../../model/figures/figure';
import type { Bucket, Timeline } from '../../model/figures/timeline';
import { OutcomeCode, type RequestLog } from '../load/records';
import { LATENCY_DEFINITION, latencyOf, nearestRanks } from './percentile';
import { inScope, scopesOf, type Scope } from './scope';

/**
 * The bucketed timeline (docs/ARCHITECTURE.md § 7): what each service saw, bucket by bucket, for the charts and
 * for reading a drill by eye. Counts go by SCHEDULED time: a request belongs to the moment it was
 * due, so requests due during an outage show there even if they ended (or were dropped) later.
 */

export interface TimelineOptions {
  t0: number;
  t1: number;
  bucketMs?: number;
}

const DEFINITION =
  'Buckets [t0 + k*bucketMs, t0 + (k+1)*bucketMs), the last one cut at t1. started/ok/fail/info/dropped count requests by the bucket of their SCHEDULED time ' +
  '(started = ok + fail + info); successRatio = ok / (ok + fail + info + dropped), null when nothing was due; ' +
  'throughput = ok responses whose END falls in the bucket / bucket seconds (what was delivered when, so a stall shows as a gap then a burst); ' +
  `p50/p95/p99: exact nearest-rank percentiles of ${LATENCY_DEFINITION}, of the requests due in the bucket, null when none.`;

export function timeline(log: RequestLog, options: TimelineOptions): Timeline {
  const bucketMs = options.bucketMs ?? 100;
  const { t0, t1 } = options;
  if (!(bucketMs > 0) || !(t1 > t0)) throw new Error(`timeline: need bucketMs > 0 and t1 > t0 (got ${bucketMs}, ${t0}, ${t1})`);
  const byService: Record<string, Bucket[]> = {};
  let all: Bucket[] = [];
  for (const scope of scopesOf(log)) {
    const buckets = bucketsOf(log, scope, t0, t1, bucketMs);
    if (scope.code < 0) all = buckets;
    else byService[scope.name] = buckets;
  }
  return {
    definition: DEFINITION,
    parameters: { t0, t1, bucketMs },
    resolution: `${CLOCK_RESOLUTION}; percentiles exact (nearest rank), not histogram-rounded`,
    t0,
    t1,
    bucketMs,
    byService,
    all,
  };
}

function bucketsOf(log: RequestLog, scope: Scope, t0: number, t1: number, bucketMs: number): Bucket[] {
  const n = Math.ceil((t1 - t0) / bucketMs);
  const counts = Array.from({ length: n }, () => [0, 0, 0, 0]);
  const delivered = new Array<number>(n).fill(0);
  const latencies = Array.from({ length: n }, () => [] as number[]);
  const bucketOf = (t: number) => (t >= t0 && t < t1 ? Math.floor((t - t0) / bucketMs) : -1);
  for (let i = 0; i < log.length; i++) {
    if (!inScope(log, scope, i)) continue;
    const b = bucketOf(log.scheduled[i]);
    if (b >= 0) {
      // counts are indexed by OutcomeCode: ok 0, fail 1, info 2, dropped 3.
      counts[b][log.outcome[i]]++;
      const l = latencyOf(log, i);
      if (l !== undefined) latencies[b].push(l);
    }
    if (log.outcome[i] === OutcomeCode.Ok) {
      const e = bucketOf(log.end[i]);
      if (e >= 0) delivered[e]++;
    }
  }
  return counts.map(([ok, fail, info, dropped], b) => {
    const t = t0 + b * bucketMs;
    const width = Math.min(bucketMs, t1 - t);
    const due = ok + fail + info + dropped;
    const [p50, p95, p99] = nearestRanks(latencies[b], [50, 95, 99]);
    return {
      t,
      started: ok + fail + info,
      ok,
      fail,
      info,
      dropped,
      successRatio: due === 0 ? null : ok / due,
      throughput: delivered[b] / (width / 1000),
      p50,
      p95,
      p99,
    };
  });
}
