import { latencyByPhase } from '../../harness/measure/latency';
import { latencySchema, type Latency, type LatencyOptions } from '../../model/figures/latency';
import { faultSpanOf, recovery } from '../../harness/measure/recovery';
import type { RequestLog } from '../../harness/load/records';
import { around, logOf, stall, steady } from './builders';

const pas = { from: 0, to: 20_000, rateHz: 100, service: 'pas' as const };
const RUN = { from: 0, to: 20_000 };

function latency(log: RequestLog, options: LatencyOptions): Latency {
  return latencySchema.parse(latencyByPhase(log, options));
}

/** HDR percentiles are the upper end of a bucket of 3 significant digits: within 0.1 % above. */
function expectHdr(value: number | null, exact: number): void {
  expect(value).not.toBeNull();
  expect(value!).toBeGreaterThanOrEqual(exact);
  expect(value!).toBeLessThanOrEqual(exact * 1.001 + 0.001);
}

describe('latency by phase', () => {
  test('a 2 s stall with requests due every 10 ms shows ~2 s p99 in the during phase', () => {
    // Everything due in [10 s, 12 s) hangs until 12 s and ends indeterminate there (connection lost).
    const log = logOf(around(pas, 10_000, 12_000, stall({ ...pas, from: 10_000, to: 12_000, releaseAt: 12_000 })));
    const r = recovery(log, { fault: { tFault: 10_000 }, baseline: { from: 0, to: 10_000 } });
    expect(r.all.tRecovered).toBe(12_000);
    const l = latency(log, { run: RUN, faults: [faultSpanOf(r, 'stall')] });
    const [f] = l.faults;
    expect(f.name).toBe('stall');
    // 200 requests with latencies 2000, 1990, ..., 10 ms: nearest-rank p99 = 198th = 1980, p50 = 1000.
    expect(f.during.all).toMatchObject({ from: 10_000, to: 12_000, count: 200, dropped: 0, max: 2000 });
    expectHdr(f.during.all.p99, 1980);
    expectHdr(f.during.all.p50, 1000);
    expectHdr(f.during.all.p999, 2000);
    // Before and after: 5 ms flat (capped at the exact max, so exactly 5).
    expect(f.before.all).toMatchObject({ count: 1000, p50: 5, p99: 5, p999: 5, max: 5 });
    expect(f.after.all).toMatchObject({ from: 12_000, to: 20_000, count: 800, p99: 5, max: 5 });
    expect(l.run.all.count).toBe(2000);
  });

  test('measured from the scheduled start: a client that started late does not hide the wait', () => {
    // Due over [10 s, 12 s) but only started at 11 999 ms (client blocked), answered ok at 12 000.
    const late = steady({ ...pas, from: 10_000, to: 12_000, latency: (s) => 12_000 - s, startAt: () => 11_999 });
    const log = logOf(around(pas, 10_000, 12_000, late));
    const l = latency(log, { run: RUN, faults: [{ tFault: 10_000, tRecovered: 12_000 }] });
    expectHdr(l.faults[0].during.byService.pas.p99, 1980);
    expect(l.faults[0].during.byService.pas.max).toBe(2000);
  });

  test('dropped requests have no latency but are counted apart', () => {
    const log = logOf(around(pas, 10_000, 11_000, steady({ ...pas, from: 10_000, to: 11_000, outcome: 'dropped' })));
    const l = latency(log, { run: RUN, faults: [{ tFault: 10_000, tRecovered: 11_000 }] });
    expect(l.faults[0].during.all).toMatchObject({ count: 0, dropped: 100, p50: null, p99: null, max: null });
  });

  test('percentiles of a uniform 1..1000 ms spread, within the stated HDR precision', () => {
    const log = logOf(steady({ from: 0, to: 10_000, rateHz: 100, latency: (s) => s / 10 + 1 }));
    const { all } = latency(log, { run: { from: 0, to: 10_000 } }).run;
    expect(all.count).toBe(1000);
    expectHdr(all.p50, 500);
    expectHdr(all.p90, 900);
    expectHdr(all.p95, 950);
    expectHdr(all.p99, 990);
    expectHdr(all.p999, 999);
    expect(all.max).toBe(1000);
  });

  test('per-service phases follow each service own recovery; not recovered leaves "after" empty', () => {
    const log = logOf(steady(pas), steady({ ...pas, service: 'booking', latency: 20 }));
    const l = latency(log, {
      run: RUN,
      faults: [{ tFault: 10_000, tRecovered: null, tRecoveredByService: { booking: 10_000 } }],
    });
    const [f] = l.faults;
    // pas never recovered: during runs to the end.
    expect(f.during.byService.pas).toMatchObject({ from: 10_000, to: 20_000, count: 1000 });
    expect(f.after.byService.pas).toMatchObject({ from: 20_000, to: 20_000, count: 0, p99: null });
    // booking never failed: during is empty, after holds the rest.
    expect(f.during.byService.booking).toMatchObject({ count: 0, p50: null });
    expect(f.after.byService.booking).toMatchObject({ from: 10_000, count: 1000, p50: 20, max: 20 });
    expect(f.during.all).toMatchObject({ count: 2000 });
    expect(l.resolution).toMatch(/µs/);
  });
});
