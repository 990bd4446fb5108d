import { timeline } from '../../harness/measure/timeline';
import { timelineSchema } from '../../model/figures/timeline';
import { logOf, outage, stall, steady } from './builders';

describe('timeline', () => {
  test('steady load: 10 per 100 ms bucket, all ok, 100/s, latency 5 ms', () => {
    const log = logOf(steady({ from: 0, to: 1000, rateHz: 100, latency: 5 }));
    const tl = timelineSchema.parse(timeline(log, { t0: 0, t1: 1000 }));
    expect(tl.bucketMs).toBe(100);
    expect(tl.all).toHaveLength(10);
    expect(Object.keys(tl.byService)).toEqual(['pas']);
    // Throughput counts ok by END bucket; the first 5 ms of the run deliver nothing, so check inner buckets.
    for (const b of tl.all.slice(1)) {
      expect(b).toEqual({ t: b.t, started: 10, ok: 10, fail: 0, info: 0, dropped: 0, successRatio: 1, throughput: 100, p50: 5, p95: 5, p99: 5 });
    }
    expect(tl.definition).toMatch(/SCHEDULED/);
    expect(tl.parameters).toEqual({ t0: 0, t1: 1000, bucketMs: 100 });
  });

  test('outcomes per bucket by scheduled time; dropped count as not successful', () => {
    const log = logOf(
      steady({ from: 0, to: 140, rateHz: 100 }),
      outage({ from: 140, to: 160, rateHz: 100 }),
      outage({ from: 160, to: 190, rateHz: 100, outcome: 'info' }),
      outage({ from: 190, to: 200, rateHz: 100, outcome: 'dropped' }),
    );
    const [b0, b1] = timeline(log, { t0: 0, t1: 200 }).all;
    expect(b0).toMatchObject({ started: 10, ok: 10, successRatio: 1 });
    expect(b1).toMatchObject({ t: 100, started: 9, ok: 4, fail: 2, info: 3, dropped: 1, successRatio: 0.4 });
  });

  test('a request stalled across buckets counts where it was due; throughput shows where it was delivered', () => {
    // Due every 10 ms over [0, 100), all answered ok at 450.
    const log = logOf(stall({ from: 0, to: 100, rateHz: 100, outcome: 'ok', releaseAt: 450 }));
    const tl = timeline(log, { t0: 0, t1: 500 }).all;
    expect(tl[0]).toMatchObject({ started: 10, ok: 10, successRatio: 1, throughput: 0 });
    // Nearest rank of latencies 450, 440, ..., 360: p50 = 5th smallest = 400, p95 = p99 = 450.
    expect(tl[0]).toMatchObject({ p50: 400, p95: 450, p99: 450 });
    expect(tl[4]).toMatchObject({ started: 0, successRatio: null, p50: null, throughput: 100 });
    expect(tl[1]).toMatchObject({ started: 0, ok: 0, successRatio: null, throughput: 0, p95: null });
  });

  test('latency percentiles are exact nearest rank, measured from the scheduled start', () => {
    // Ten requests with latencies 1..10 ms, the last five started 50 ms late (a blocked client).
    const log = logOf(steady({ from: 0, to: 100, rateHz: 100, latency: (s) => s / 10 + 1 + (s >= 50 ? 50 : 0), startAt: (s) => (s >= 50 ? s + 50 : s) }));
    const [b] = timeline(log, { t0: 0, t1: 100 }).all;
    // Latencies: 1..5 and 56..60. p50 = 5th = 5, p95 = rank 10 = 60, p99 = 60.
    expect(b).toMatchObject({ p50: 5, p95: 60, p99: 60 });
  });

  test('services apart and together; the last bucket is cut at t1', () => {
    const log = logOf(steady({ from: 0, to: 250, rateHz: 100, service: 'pas' }), outage({ from: 0, to: 250, rateHz: 100, service: 'booking' }));
    const tl = timeline(log, { t0: 0, t1: 250 });
    expect(Object.keys(tl.byService).sort()).toEqual(['booking', 'pas']);
    expect(tl.all).toHaveLength(3);
    expect(tl.byService.booking[1]).toMatchObject({ ok: 0, fail: 10, successRatio: 0 });
    expect(tl.all[1]).toMatchObject({ ok: 10, fail: 10, successRatio: 0.5 });
    // Last bucket [200, 250): 5 due per service; pas delivers 5 in 50 ms = 100/s.
    expect(tl.all[2]).toMatchObject({ t: 200, ok: 5, fail: 5, throughput: 100 });
  });

  test('rejects an empty range', () => {
    expect(() => timeline(logOf([]), { t0: 10, t1: 10 })).toThrow(/t1 > t0/);
  });
});
