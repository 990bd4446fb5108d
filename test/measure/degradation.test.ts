import { degradation } from '../../harness/measure/degradation';
import { degradationSchema, type Degradation, type DegradationOptions } from '../../model/figures/degradation';
import { around, logOf, outage, steady, type Rec } from './builders';

/** pas at 100 Hz over [0, 20 s), 5 ms when healthy; baseline [0, 10 s) so baseline p95 = 5 ms. */
const pas = { from: 0, to: 20_000, rateHz: 100, service: 'pas' as const };
const RUN = { from: 0, to: 20_000 };
const BASELINE = { from: 0, to: 10_000 };

function degrade(parts: Rec[][], options: Partial<DegradationOptions> = {}): Degradation {
  return degradationSchema.parse(degradation(logOf(...parts), { run: RUN, baseline: BASELINE, ...options }));
}

describe('degradation', () => {
  test('a total outage of 2 s is 2 error-seconds, all in the during phase', () => {
    const d = degrade([around(pas, 10_000, 12_000, outage({ ...pas, from: 10_000, to: 12_000 }))], {
      faults: [{ tFault: 10_000, tRecovered: 12_000 }],
    });
    const [f] = d.faults;
    expect(f.during.all.errorSeconds).toBeCloseTo(2, 9);
    expect(f.before.all.errorSeconds).toBe(0);
    expect(f.after.all.errorSeconds).toBe(0);
    expect(d.run.byService.pas.errorSeconds).toBeCloseTo(2, 9);
    // Failed requests add no latency excess, ok ones were at the baseline.
    expect(f.during.all.excessLatencySeconds).toBe(0);
    expect(f.during.all.baselineP95Ms).toBe(5);
  });

  test('half the requests failing for 4 s is 2 error-seconds', () => {
    // Every other request (the ones due at odd 10 ms steps) fails over [10 s, 14 s).
    const during = [...steady({ ...pas, from: 10_000, to: 14_000, rateHz: 50 }), ...outage({ ...pas, from: 10_010, to: 14_000, rateHz: 50 })];
    const d = degrade([around(pas, 10_000, 14_000, during)], { faults: [{ tFault: 10_000, tRecovered: 14_000 }] });
    expect(d.faults[0].during.all.errorSeconds).toBeCloseTo(2, 9);
  });

  test('dropped and indeterminate requests count as failures', () => {
    const during = [...outage({ ...pas, from: 10_000, to: 10_500, outcome: 'dropped' }), ...outage({ ...pas, from: 10_500, to: 11_000, outcome: 'info' })];
    const d = degrade([around(pas, 10_000, 11_000, during)]);
    expect(d.run.all.errorSeconds).toBeCloseTo(1, 9);
  });

  test('excess latency-seconds: ok requests beyond the baseline p95', () => {
    // 100 ok requests at 105 ms over [12 s, 13 s): each 100 ms beyond 5 ms, 10 s in all.
    const d = degrade([around(pas, 12_000, 13_000, steady({ ...pas, from: 12_000, to: 13_000, latency: 105 }))], {
      faults: [{ tFault: 12_000, tRecovered: 13_000 }],
    });
    expect(d.faults[0].during.all.excessLatencySeconds).toBeCloseTo(10, 9);
    expect(d.faults[0].during.all.errorSeconds).toBe(0);
    expect(d.faults[0].after.all.excessLatencySeconds).toBe(0);
  });

  test('buckets are aligned on the phase start, the last one cut; empty buckets add nothing', () => {
    // Phase [10 s, 10.25 s) all failing: buckets of 100, 100 and 50 ms.
    const failing = degrade([around(pas, 10_000, 10_250, outage({ ...pas, from: 10_000, to: 10_250 }))], {
      faults: [{ tFault: 10_000, tRecovered: 10_250 }],
    });
    expect(failing.faults[0].during.all.errorSeconds).toBeCloseTo(0.25, 9);
    // No requests at all in [10 s, 11 s): nothing observed, nothing counted.
    const gap = degrade([steady({ ...pas, to: 10_000 }), steady({ ...pas, from: 11_000 })], { faults: [{ tFault: 10_000, tRecovered: 11_000 }] });
    expect(gap.faults[0].during.all.errorSeconds).toBe(0);
  });

  test('no baseline latencies: excess latency is null, not 0', () => {
    const d = degrade([steady({ ...pas, from: 10_000 })]);
    expect(d.run.all).toMatchObject({ baselineP95Ms: null, excessLatencySeconds: null, errorSeconds: 0 });
  });
});
