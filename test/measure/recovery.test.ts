import { faultSpanOf, recovery } from '../../harness/measure/recovery';
import { recoverySchema, type Recovery, type RecoveryOptions } from '../../model/figures/recovery';
import type { Rec } from './builders';
import { around, logOf, outage, steady } from './builders';

/**
 * The drill of every test: pas and booking at 100 Hz each (every 10 ms) from 0 to 30 s, 5 ms
 * latency when healthy; baseline [0, 10 s); the fault at 10 s. Requests end 5 ms after their
 * due time, so the records end at 29 995 and windows aligned on 10 500 are judged up to 29 500.
 */
const T_FAULT = 10_000;
const BASELINE = { from: 0, to: 10_000 };
const pas = { from: 0, to: 30_000, rateHz: 100, service: 'pas' as const };
const booking = { ...pas, service: 'booking' as const };

function run(parts: Rec[][], options: Partial<RecoveryOptions> = {}): Recovery {
  return recoverySchema.parse(recovery(logOf(...parts), { fault: { tFault: T_FAULT }, baseline: BASELINE, ...options }));
}

describe('recovery', () => {
  test('no failure at all: RTO 0, recovered at t_fault, no outage', () => {
    const r = run([steady(pas), steady(booking)]);
    for (const s of [r.all, r.byService.pas, r.byService.booking]) {
      expect(s).toMatchObject({ failed: false, tFirstFailure: null, tRecovered: T_FAULT, rto: { recovered: true, ms: 0 }, outageMs: 0 });
    }
    expect(r.all.baselineP95Ms).toBe(5);
    expect(r.all.maxP95Ms).toBe(15);
    expect(r.parameters).toMatchObject({ n: 5, windowMs: 1000, minSuccessRatio: 0.99, p95Factor: 3, maxP95Ms: null, tEnd: 29_995 });
  });

  test('failures only in pas: recovery begins at the first request of the healthy run; booking shows RTO 0', () => {
    // pas refuses everything due in [10.5 s, 13 s).
    const r = run([around(pas, 10_500, 13_000, outage({ ...pas, from: 10_500, to: 13_000 })), steady(booking)], {
      fault: { tFault: T_FAULT, tDetect: 11_000, tPromote: 12_000, tSwitch: 12_500 },
    });
    // The first ok request is due at 13 s and the five windows from it are healthy: RTO is the true
    // 3000 ms. (Windows aligned on the first failure, as before, gave 13.5 s: [12.5, 13.5) was half failed.)
    expect(r.byService.pas).toMatchObject({
      failed: true,
      tFirstFailure: 10_500,
      tRecovered: 13_000,
      rto: { recovered: true, ms: 3000 },
      // The request before it was due 10 ms earlier: one inter-arrival time.
      resolutionMs: 10,
      // Last failure due at 12 990, ended 1 ms later.
      outageMs: 12_991 - 10_500,
      tFirstOk: 13_005,
      timeToFirstOkMs: 3005,
      tRelapse: null,
    });
    expect(r.byService.booking).toMatchObject({ failed: false, rto: { recovered: true, ms: 0 }, outageMs: 0 });
    // Together (200 requests a second): from booking's ok request at 12 980, [12.98, 13.98) holds pas's
    // last two failures in 200, a ratio of 0.99, healthy; from 12 970 it would hold three.
    expect(r.all).toMatchObject({ tFirstFailure: 10_500, tRecovered: 12_980, rto: { recovered: true, ms: 2980 } });
    expect(r).toMatchObject({ timeToDetectMs: 1000, timeToPromoteMs: 2000, timeToSwitchMs: 2500 });
    expect(r.definition).toMatch(/earliest scheduled time t of an OK request/);
  });

  test('never recovers: "not recovered", a value that is not a number', () => {
    const r = run([around(pas, 10_500, 30_000, outage({ ...pas, from: 10_500 }))]);
    expect(r.byService.pas.rto).toEqual({ recovered: false });
    expect(r.byService.pas.tRecovered).toBeNull();
    expect(r.byService.pas.tFirstOk).toBeNull();
    expect(r.byService.pas.outageMs).toBe(29_991 - 10_500);
    expect(r.all.rto).toEqual({ recovered: false });
    // An explicit end (e.g. the next fault's t_fault) bounds the episode and the judged windows.
    const bounded = run([around(pas, 10_500, 30_000, outage({ ...pas, from: 10_500 }))], { tEnd: 20_000 });
    expect(bounded.parameters.tEnd).toBe(20_000);
    expect(bounded.byService.pas).toMatchObject({ rto: { recovered: false }, windows: { judged: 9, healthy: 0, empty: 0 }, outageMs: 19_991 - 10_500 });
  });

  test('healthy again too late to complete n windows before the end: not recovered', () => {
    // Failing until 26 s: healthy windows [26.5, 27.5), [27.5, 28.5), [28.5, 29.5) are only 3;
    // [29.5, 30.5) ends after the records (29 995) and is not judged.
    const r = run([around(pas, 10_500, 26_000, outage({ ...pas, from: 10_500, to: 26_000 }))]);
    expect(r.byService.pas.rto).toEqual({ recovered: false });
    expect(r.byService.pas.windows).toEqual({ judged: 19, healthy: 3, empty: 0 });
    // With the records running 2 s longer, the run completes at 26.5 s.
    const longer = run([around({ ...pas, to: 32_000 }, 10_500, 26_000, outage({ ...pas, from: 10_500, to: 26_000 }))]);
    expect(longer.byService.pas.rto).toEqual({ recovered: true, ms: 16_000 });
  });

  test('recovers then relapses: recovery is the first run that completes n windows', () => {
    // Fail [10.5, 11.5); ok [11.5, 14.5) = 3 healthy windows; fail [14.5, 15.5); ok after: 5 healthy from 15.5 s.
    // A later relapse [22.5, 23) comes after recovery: reported, but it moves neither t_recovered nor the outage.
    const parts = [
      steady({ ...pas, to: 10_500 }),
      outage({ ...pas, from: 10_500, to: 11_500 }),
      steady({ ...pas, from: 11_500, to: 14_500 }),
      outage({ ...pas, from: 14_500, to: 15_500 }),
      steady({ ...pas, from: 15_500, to: 22_500 }),
      outage({ ...pas, from: 22_500, to: 23_000 }),
      steady({ ...pas, from: 23_000 }),
    ];
    const r = run(parts).byService.pas;
    expect(r).toMatchObject({
      tFirstFailure: 10_500,
      tRecovered: 15_500,
      rto: { recovered: true, ms: 5500 },
      outageMs: 15_491 - 10_500,
      tFirstOk: 11_505,
      timeToFirstOkMs: 1505,
      tRelapse: 22_500,
    });
  });

  test('dropped requests during a stall count as failures', () => {
    // The load engine could not start anything due in [10.5 s, 12.5 s): all dropped at their due time.
    const r = run([around(pas, 10_500, 12_500, outage({ ...pas, from: 10_500, to: 12_500, outcome: 'dropped' }))]).byService.pas;
    expect(r).toMatchObject({ failed: true, tFirstFailure: 10_500, tRecovered: 12_500, rto: { recovered: true, ms: 2500 }, outageMs: 1990 });
  });

  test('indeterminate (info) requests count as failures', () => {
    const r = run([around(pas, 10_500, 11_500, outage({ ...pas, from: 10_500, to: 11_500, outcome: 'info', latency: 2000 }))]).byService.pas;
    // The last timeout was due at 11 490 and ended at 13 490.
    expect(r).toMatchObject({ tRecovered: 11_500, rto: { recovered: true, ms: 1500 }, outageMs: 13_490 - 10_500 });
  });

  test('latency criterion: windows with p95 above 3 x baseline p95 are not healthy', () => {
    // Fail [10.5, 11); ok but 50 ms slow [11, 14); 5 ms after. l = 3 x 5 = 15 ms.
    const parts = [
      steady({ ...pas, to: 10_500 }),
      outage({ ...pas, from: 10_500, to: 11_000 }),
      steady({ ...pas, from: 11_000, to: 14_000, latency: 50 }),
      steady({ ...pas, from: 14_000 }),
    ];
    // A window from 13 940 holds 6 slow requests of 100: p95 = 50 > 15, unhealthy. From 13 950 it
    // holds 5 slow and 95 fast: nearest-rank p95 = 5 ms, healthy; the windows after are all fast.
    const r = run(parts).byService.pas;
    expect(r).toMatchObject({ baselineP95Ms: 5, maxP95Ms: 15, tRecovered: 13_950, rto: { recovered: true, ms: 3950 } });
    // An absolute ceiling of 100 ms accepts the slow requests: recovered at the first ok one, 11 s.
    const lax = run(parts, { maxP95Ms: 100 }).byService.pas;
    expect(lax).toMatchObject({ maxP95Ms: 100, tRecovered: 11_000, rto: { recovered: true, ms: 1000 } });
  });

  test('a window with no requests is not healthy', () => {
    // Fail [10.5, 11.5), ok from 11.5 s but nothing at all due in [12.5, 14.5): every run of five
    // windows from before 12.5 s has an empty one, so recovery begins after the silence.
    const gap = (to: number) => [steady({ ...pas, to: 10_500 }), outage({ ...pas, from: 10_500, to: 11_500 }), steady({ ...pas, from: 11_500, to: 12_500 }), steady({ ...pas, from: to })];
    expect(run(gap(14_500)).byService.pas).toMatchObject({ tRecovered: 14_500, rto: { recovered: true, ms: 4500 } });
    // A silence of exactly one window can be straddled: from 11 510, [12.51, 13.51) holds the request due at 13.5 s.
    expect(run(gap(13_500)).byService.pas).toMatchObject({ tRecovered: 11_510, rto: { recovered: true, ms: 1510 } });
    // Never heard from again: not recovered, and the windows from the first failure are empty.
    const silent = run([steady({ ...pas, to: 10_500 }), outage({ ...pas, from: 10_500, to: 11_500 })], { tEnd: 30_000 }).byService.pas;
    expect(silent).toMatchObject({ rto: { recovered: false }, windows: { judged: 19, healthy: 0, empty: 18 } });
  });

  test('one failure in an otherwise healthy stream: recovered at the next request', () => {
    const r = run([around(pas, 15_000, 15_010, outage({ ...pas, from: 15_000, to: 15_010 }))]).byService.pas;
    expect(r).toMatchObject({ tFirstFailure: 15_000, tRecovered: 15_010, rto: { recovered: true, ms: 5010 }, outageMs: 1, resolutionMs: 10 });
  });

  test('failures before the fault are not part of its episode', () => {
    const r = run([around(pas, 5000, 6000, outage({ ...pas, from: 5000, to: 6000 }))]).byService.pas;
    expect(r).toMatchObject({ failed: false, rto: { recovered: true, ms: 0 } });
  });

  test('faultSpanOf gives the phases for latency and degradation', () => {
    const r = run([around(pas, 10_500, 13_000, outage({ ...pas, from: 10_500, to: 13_000 })), steady(booking)]);
    expect(faultSpanOf(r, 'storage')).toEqual({
      name: 'storage',
      tFault: T_FAULT,
      tRecovered: 12_980,
      tRecoveredByService: { pas: 13_000, booking: T_FAULT },
    });
  });
});
