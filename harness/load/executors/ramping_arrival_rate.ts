import type { Executor } from './executor';

export interface RampStage {
  /** Rate reached at the end of the stage, requests per second. */
  target: number;
  durationMs: number;
}

/**
 * The rate moves linearly from `startRate` through each stage's target (k6's ramping-arrival-rate).
 * Due times come from inverting the cumulative count: request n is due when the integral of the
 * rate reaches n, so the schedule is exact, not stepped.
 */
export function rampingArrivalRate(startRate: number, stages: readonly RampStage[]): Executor {
  if (stages.length === 0) throw new Error('ramping-arrival-rate: at least one stage is needed');
  const segments: { t0: number; t1: number; r0: number; r1: number; n0: number }[] = [];
  let t = 0;
  let r = startRate;
  let n = 0;
  for (const s of stages) {
    if (s.target < 0 || s.durationMs <= 0) throw new Error('ramping-arrival-rate: targets must be >= 0 and durations > 0');
    const count = ((r + s.target) / 2) * (s.durationMs / 1000);
    segments.push({ t0: t, t1: t + s.durationMs, r0: r, r1: s.target, n0: n });
    n += count;
    t += s.durationMs;
    r = s.target;
  }
  const total = n;
  const durationMs = t;
  let i = 0;
  return {
    name: 'ramping-arrival-rate',
    durationMs,
    next() {
      if (i >= Math.floor(total + 1e-9)) return undefined;
      const target = i++;
      const seg = segments.find((s, k) => k === segments.length - 1 || segments[k + 1].n0 > target)!;
      const want = target - seg.n0;
      const T = (seg.t1 - seg.t0) / 1000;
      const a = (seg.r1 - seg.r0) / T / 2;
      // Solve a*x^2 + r0*x = want for x in seconds into the segment.
      const x = Math.abs(a) < 1e-12 ? want / seg.r0 : (-seg.r0 + Math.sqrt(seg.r0 * seg.r0 + 4 * a * want)) / (2 * a);
      return seg.t0 + x * 1000;
    },
  };
}
