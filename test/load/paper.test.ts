import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoad, type Workload } from '../../harness/load/engine';
import { constantArrivalRate } from '../../harness/load/executors/constant_arrival_rate';
import { PaperBacklog } from '../../harness/load/paper';
import { LiveStats } from '../../harness/load/live';
import { RequestLog } from '../../harness/load/records';

jest.setTimeout(30_000);

describe('paper mode', () => {
  it('queues bookings while the service is down, re-enters them after, and counts conflicts and drain time', async () => {
    let t0 = 0;
    // Booked by someone else while the clerks were on paper: due at 400 ms, inside the outage.
    const taken = new Set<string>(['slot-20']);
    const seenPaper: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const { slot } = JSON.parse(body) as { slot: string };
        const key = String(req.headers['idempotency-key']);
        if (key.endsWith('-paper')) seenPaper.push(slot);
        const t = performance.now() - t0;
        res.setHeader('content-type', 'application/json');
        if (t >= 300 && t < 800 && !key.endsWith('-paper')) {
          res.writeHead(503, { 'x-blackstart-indeterminate': 'false' });
          return res.end('{}');
        }
        if (taken.has(slot)) {
          res.writeHead(409);
          return res.end('{}');
        }
        taken.add(slot);
        res.writeHead(201, { 'x-blackstart-site': 'dc1', 'x-blackstart-seq': '1' });
        res.end(JSON.stringify({ id: `a-${slot}`, meta: { versionId: '1' } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const bookings: Workload = {
      next: (i) => ({ op: 'book_appointment', service: 'booking', method: 'POST', path: '/Appointment', write: true, key: `p-${i}`, body: { slot: `slot-${i}`, patient: '9990000018' } }),
    };
    try {
      const log = new RequestLog();
      const paper = new PaperBacklog({ log, bookingUrl: base });
      t0 = performance.now();
      const run = runLoad({
        executor: constantArrivalRate(50, 1500),
        targets: { pas: base, booking: base, theatre: base },
        workload: paper.wrap(bookings),
        log,
      });
      await run.done;
      const stats = await paper.finish(5000);
      const failedOnline = [...run.log.records()].filter((r) => r.op === 'book_appointment' && r.status === 503).length;
      expect(failedOnline).toBeGreaterThan(15);
      expect(stats.queued).toBe(failedOnline);
      expect(stats.remaining).toBe(0);
      expect(stats.submitted).toBe(stats.queued);
      expect(seenPaper).toContain('slot-20');
      expect(stats.conflicts).toBe(1);
      expect(stats.backlogMax).toBeGreaterThan(0);
      expect(stats.drainMs).not.toBeNull();
      expect(stats.drainMs!).toBeGreaterThanOrEqual(0);
      expect(stats.tRecovered!).toBeGreaterThan(t0 + 790);
      const paperRows = [...run.log.records()].filter((r) => r.op === 'paper_booking');
      expect(paperRows).toHaveLength(stats.submitted);
      expect(paperRows.filter((r) => r.outcome === 'ok')).toHaveLength(stats.submitted - stats.conflicts);
    } finally {
      server.close();
    }
  });
});

describe('live statistics', () => {
  it('reports rate, success ratio and p99 over the last second only', () => {
    const live = new LiveStats(1000);
    for (let i = 0; i < 100; i++) live.add(i * 10, 5, true); // 0..990 ms: old
    for (let i = 0; i < 200; i++) live.add(1000 + i * 5, i < 190 ? 10 : 500, i % 10 !== 0); // 1000..1995 ms
    const s = live.snapshot(1999);
    expect(s.count).toBe(200);
    expect(s.rate).toBe(200);
    expect(s.successRatio).toBeCloseTo(0.9, 10);
    expect(s.p99Ms).toBe(500);
    expect(Number.isNaN(new LiveStats().snapshot(0).successRatio)).toBe(true);
  });
});
