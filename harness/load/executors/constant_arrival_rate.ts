import type { Executor } from './executor';

/** `rate` requests per second, evenly spaced, for `durationMs` (k6's constant-arrival-rate). */
export function constantArrivalRate(rate: number, durationMs: number): Executor {
  if (!(rate > 0)) throw new Error(`constant-arrival-rate: rate must be > 0, got ${rate}`);
  let i = 0;
  const interval = 1000 / rate;
  return {
    name: 'constant-arrival-rate',
    durationMs,
    next() {
      const t = i * interval;
      if (t >= durationMs) return undefined;
      i++;
      return t;
    },
  };
}
