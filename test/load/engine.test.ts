import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoad, type Workload } from '../../harness/load/engine';
import { constantArrivalRate } from '../../harness/load/executors/constant_arrival_rate';
import { rampingArrivalRate } from '../../harness/load/executors/ramping_arrival_rate';
import { OUTCOMES } from '../../harness/load/records';

jest.setTimeout(30_000);

const reads: Workload = { next: () => ({ op: 'read', service: 'pas', method: 'GET', path: '/x', write: false }) };
const writes: Workload = { next: (i) => ({ op: 'write', service: 'pas', method: 'POST', path: '/x', body: { i }, write: true, key: `k-${i}` }) };

async function server(handler: http.RequestListener) {
  const s = http.createServer(handler);
  s.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { s, base: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

/** Gaps in this process's event loop longer than `overMs` (a timer every 5 ms that came late), until stop(). */
function watchStalls(overMs: number): { stop(): number[] } {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last > overMs) gaps.push(now - last);
    last = now;
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      return gaps;
    },
  };
}

function countBy<T extends string>(values: T[]): Record<string, number> {
  return values.reduce<Record<string, number>>((acc, v) => ((acc[v] = (acc[v] ?? 0) + 1), acc), {});
}

describe('executors', () => {
  it('constant-arrival-rate spaces requests exactly', () => {
    const e = constantArrivalRate(200, 1000);
    const times: number[] = [];
    for (let t = e.next(); t !== undefined; t = e.next()) times.push(t);
    expect(times).toHaveLength(200);
    expect(times[1] - times[0]).toBeCloseTo(5, 9);
    expect(times[199]).toBeCloseTo(995, 9);
  });

  it('ramping-arrival-rate integrates the rate: 0 -> 100/s over 2 s then 100/s for 1 s is 200 requests', () => {
    const e = rampingArrivalRate(0, [
      { target: 100, durationMs: 2000 },
      { target: 100, durationMs: 1000 },
    ]);
    const times: number[] = [];
    for (let t = e.next(); t !== undefined; t = e.next()) times.push(t);
    expect(times).toHaveLength(200);
    // Half the ramp's 100 requests come in its last 29% (rate grows linearly): request 50 at sqrt(0.5) x 2 s.
    expect(times[50]).toBeCloseTo(Math.sqrt(0.5) * 2000, 0);
    expect(times[100]).toBeCloseTo(2000, 0);
    expect(times[199]).toBeCloseTo(2990, 0);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});

describe('open-model engine', () => {
  it('keeps its schedule against a healthy server: nothing dropped, p99 lag within bound', async () => {
    const { s, base } = await server((_req, res) => res.end('{}'));
    try {
      // Bounds for test workers sharing 2 cores; `npm run bench:load` measures the real lag.
      // A stall of this whole process (a CI machine's other work, a GC) is not the engine's: the
      // requests due during it may be dropped, at most the rate's worth of each stall past maxLagMs
      // (seen once in CI: 25 drops, a stall of about 225 ms). Without such a stall, none may be.
      const stalls = watchStalls(50);
      const run = runLoad({ executor: constantArrivalRate(200, 2000), targets: { pas: base, booking: base, theatre: base }, workload: reads, maxLagMs: 100 });
      const summary = await run.done;
      const stalled = stalls.stop().filter((ms) => ms > 100);
      expect(summary.scheduled).toBe(400);
      if (stalled.length) process.stdout.write(`the process stalled ${stalled.map((ms) => ms.toFixed(0)).join(', ')} ms during the run: ${summary.dropped} dropped\n`);
      expect(summary.dropped).toBeLessThanOrEqual(stalled.reduce((n, ms) => n + Math.ceil(((ms - 100) * 200) / 1000) + 1, 0));
      if (!stalled.length) expect(summary.lagP99Ms).toBeLessThan(100);
      const outcomes = [...run.log.records()].map((r) => r.outcome);
      expect(countBy(outcomes)).toEqual(summary.dropped ? { ok: 400 - summary.dropped, dropped: summary.dropped } : { ok: 400 });
    } finally {
      s.close();
    }
  });

  it('a stalled server shows as failures and drops at the scheduled rate, not as a gap', async () => {
    // The server holds every response between 500 and 1500 ms of the run.
    let stallFrom = 0;
    const held: http.ServerResponse[] = [];
    const { s, base } = await server((_req, res) => {
      const t = performance.now() - stallFrom;
      if (t >= 500 && t < 1500) held.push(res);
      else res.end('{}');
    });
    const release = setInterval(() => {
      if (performance.now() - stallFrom >= 1500) for (const r of held.splice(0)) r.end('{}');
    }, 10);
    try {
      const stalls = watchStalls(50);
      stallFrom = performance.now();
      const run = runLoad({
        executor: constantArrivalRate(200, 2500),
        targets: { pas: base, booking: base, theatre: base },
        workload: writes,
        maxInFlight: 50,
        timeoutMs: 400,
        maxLagMs: 50,
      });
      await run.done;
      const longestStall = Math.max(0, ...stalls.stop());
      const records = [...run.log.records()];
      expect(records).toHaveLength(500);
      // Every scheduled slot is in the records: per 100 ms bucket, 20 requests, stall or not.
      const t0 = records[0].scheduled;
      const buckets = new Map<number, number>();
      const bucketOf = (t: number) => Math.floor(Math.round(t - t0) / 100);
      for (const r of records) buckets.set(bucketOf(r.scheduled), (buckets.get(bucketOf(r.scheduled)) ?? 0) + 1);
      expect([...buckets.values()].every((n) => n === 20)).toBe(true);
      // Requests due in the stall and more than the 400 ms timeout before its end cannot succeed.
      const inStall = records.filter((r) => r.scheduled - t0 >= 600 && r.scheduled - t0 < 1050);
      expect(inStall.filter((r) => r.outcome !== 'info' && r.outcome !== 'dropped').map((r) => [r.scheduled - t0, r.outcome])).toEqual([]);
      const counts = countBy(inStall.map((r) => r.outcome));
      expect(counts.dropped).toBeGreaterThan(0);
      expect(counts.info).toBeGreaterThan(0);
      // Dropped requests never started, and are stamped at their due time, not later.
      for (const r of inStall.filter((x) => x.outcome === 'dropped')) {
        expect(Number.isNaN(r.start)).toBe(true);
        // Dropped at its due time: within the 50 ms lag allowance and a tick of a busy event loop,
        // or as soon as the loop ran again after a stall of the whole process (a busy machine's).
        expect(r.end - r.scheduled).toBeLessThan(100 + longestStall);
      }
      // Service resumes once the server answers again (a loose bound: test workers share 2 cores).
      const after = records.filter((r) => r.scheduled - t0 >= 2000);
      expect(after.filter((r) => r.outcome === 'ok').length).toBeGreaterThan(after.length * 0.5);
      expect(OUTCOMES).toContain('dropped');
    } finally {
      clearInterval(release);
      for (const r of held.splice(0)) r.end();
      s.closeAllConnections();
      s.close();
    }
  });

  it('classifies answers: 2xx ok, 4xx fail, 5xx write info unless the server says it was not applied', async () => {
    const statuses = [200, 409, 503, 503, 500];
    const { s, base } = await server((req, res) => {
      const i = Number(String(req.headers['idempotency-key']).split('-')[1]);
      if (i === 3) res.setHeader('x-blackstart-indeterminate', 'false');
      res.statusCode = statuses[i];
      res.end('{}');
    });
    try {
      const run = runLoad({ executor: constantArrivalRate(100, 50), targets: { pas: base, booking: base, theatre: base }, workload: writes });
      await run.done;
      expect([...run.log.records()].map((r) => r.outcome)).toEqual(['ok', 'fail', 'info', 'fail', 'info']);
    } finally {
      s.close();
    }
  });
});
