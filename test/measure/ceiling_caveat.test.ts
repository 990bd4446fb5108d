import { ceilingCaveat, thinScopes, type CeilingRule } from '../../harness/measure/ceiling_caveat';
import { recovery } from '../../harness/measure/recovery';
import type { RecoveryOptions } from '../../model/figures/recovery';
import { around, logOf, outage, steady, type Rec } from './builders';

/**
 * The caveat on a latency ceiling read from a thin baseline (docs/ARCHITECTURE.md § 7.4): the
 * fault at 10 s, baseline [0, 10 s), pas down over [10 s, 11 s); 3 windows of 1 s; 5 ms latency
 * when healthy, so the derived ceiling is 15 ms.
 */
const T_FAULT = 10_000;
const options: RecoveryOptions = { fault: { tFault: T_FAULT }, baseline: { from: 0, to: T_FAULT }, n: 3, windowMs: 1000 };
/** The rule those options are, as the caveat takes it. */
const RULE: CeilingRule = { windowMs: 1000, p95Factor: 3, baseline: { from: 0, to: T_FAULT } };

/** pas at `rateHz` over [0, 20 s), down over [10 s, 11 s), and two slow (30 ms) ok requests 1.3 s after the fault. */
function pasWithTwoSlow(rateHz: number): Rec[] {
  const pas = { from: 0, to: 20_000, rateHz, service: 'pas' as const };
  const slow = new Set([11_300, 11_300 + 1000 / rateHz]);
  return around(pas, T_FAULT, 11_000, outage({ ...pas, from: T_FAULT, to: 11_000 })).map((r) => (slow.has(r.scheduled) ? { ...r, end: r.scheduled + 30 } : r));
}

describe('the latency-ceiling caveat', () => {
  test('why it exists: at 20/s two slow ok requests move RTO by a window under 3 x the baseline p95, not under a fixed max_p95', () => {
    const log = logOf(pasWithTwoSlow(20));
    const derived = recovery(log, options);
    const fixed = recovery(log, { ...options, maxP95Ms: 200 });
    expect(fixed.all.rto).toEqual({ recovered: true, ms: 1000 });
    // A window from any start in [11 s, 11.3 s] holds both slow requests (18 of 20 within the ceiling,
    // 19 needed): recovery begins at the second, which leaves the first out.
    expect(derived.all.rto).toEqual({ recovered: true, ms: 1350 });
  });

  test('at 20/s the window p95 is its second-slowest request; at 10/s its slowest; named per scope', () => {
    const twenty = recovery(logOf(pasWithTwoSlow(20)), options);
    expect(thinScopes(logOf(pasWithTwoSlow(20)), [twenty], RULE)).toEqual([
      { scope: 'pas', perWindow: 20, ceilingMs: 15, fromSlowest: 2 },
      { scope: 'all', perWindow: 20, ceilingMs: 15, fromSlowest: 2 },
    ]);
    const log = logOf(pasWithTwoSlow(10), steady({ from: 0, to: 20_000, rateHz: 100, service: 'booking' }));
    const ten = recovery(log, options);
    // booking never failed: no caveat for it; all (110 a window) is not thin.
    expect(thinScopes(log, [ten], RULE)).toEqual([{ scope: 'pas', perWindow: 10, ceilingMs: 15, fromSlowest: 1 }]);
    const note = ceilingCaveat(log, [ten], RULE)!;
    expect(note).toContain('no max_p95, so the latency ceiling is 3 x each scope');
    expect(note).toContain('(pas about 10: its p95 is its slowest, ceiling 15.0 ms)');
    expect(note).toContain('recovery.max_p95');
  });

  test('no caveat with a fixed max_p95, with busy windows, or when nothing failed', () => {
    const thin = logOf(pasWithTwoSlow(20));
    expect(ceilingCaveat(thin, [recovery(thin, { ...options, maxP95Ms: 200 })], { ...RULE, maxP95Ms: 200 })).toBeUndefined();
    const busy = logOf(pasWithTwoSlow(50));
    expect(ceilingCaveat(busy, [recovery(busy, options)], RULE)).toBeUndefined();
    const healthy = logOf(steady({ from: 0, to: 20_000, rateHz: 10, service: 'pas' }));
    expect(ceilingCaveat(healthy, [recovery(healthy, options)], RULE)).toBeUndefined();
  });
});
