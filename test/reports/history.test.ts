import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendHistory, historyEntry, readHistory, regressions, trend } from '../../reports/history';
import { drillResult, historyEntryFixture } from './fixture';

const entry = historyEntryFixture;

describe('run history', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'blackstart-history-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the headline figures of a result', () => {
    const file = join(dir, 'history.jsonl');
    const e = historyEntry(drillResult(), join(dir, 'backup-1'), file);
    expect(e).toMatchObject({
      drill: 'backup-does-not-come-up',
      verdict: 'failed',
      exitCode: 1,
      faults: ['power-cut'],
      rtoMs: [null],
      windowMs: 1000,
      lost: 1,
      gatesFailed: ['rto_ms[all] fault power-cut <= 30000'],
      report: 'backup-1',
    });
    const r = drillResult();
    const total = Object.values(r.load.requests).reduce((a, b) => a + b, 0);
    expect(e.errorRate).toBeCloseTo((total - r.load.requests.ok) / total, 10);
  });

  it('appends one line per run and reads them back, skipping a line that does not parse', () => {
    const file = join(dir, 'sub', 'history.jsonl');
    expect(readHistory(file)).toEqual({ entries: [], skipped: 0 });
    appendHistory(file, entry());
    appendFileSync(file, '{"schema":"blackstart.history/1","drill":"cut mid-wri\n');
    appendHistory(file, entry({ startedAt: '2026-11-02T00:00:00.000Z' }));
    const read = readHistory(file);
    expect(read.skipped).toBe(1);
    expect(read.entries.map((e) => e.startedAt)).toEqual(['2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z']);
    expect(() => appendHistory(file, { ...entry(), windowMs: -1 })).toThrow();
  });

  it('names what got worse against the earlier runs, and nothing within the RTO resolution', () => {
    const before = [entry({ rtoMs: [2000, 3000] }), entry({ rtoMs: [2100, 3000] }), entry({ rtoMs: [1900, 3100] })];
    expect(regressions(entry(), before)).toEqual([]);
    expect(regressions(entry(), [])).toEqual([]);
    // +900 ms (45%) but within the 1 s window RTO is resolved to: not a regression.
    expect(regressions(entry({ rtoMs: [2900, 3000] }), before)).toEqual([]);
    // +1.2 s but under 25% of 6 s: not one either.
    expect(regressions(entry({ rtoMs: [2000, 3000] }), [entry({ rtoMs: [2000, 6000] })].concat(entry({ rtoMs: [2000, 6000] }))).filter((r) => r.startsWith('hang'))).toEqual([]);
    expect(regressions(entry({ verdict: 'failed', exitCode: 1, rtoMs: [3200, null], lost: 4 }), before)).toEqual([
      'verdict failed, was passed',
      'cut: RTO 3200 ms, was 2000 ms (median of 3)',
      'hang: not recovered, RTO was 3000 ms (median of 3)',
      '4 acknowledged writes lost, none before',
    ]);
    // A fault list that changed is compared by position only where the name still matches.
    expect(regressions(entry({ faults: ['other', 'hang'], rtoMs: [60_000, 3000] }), before)).toEqual([]);
  });

  it('trend: the last n runs of one drill, each judged against those before it', () => {
    const runs = [
      entry({ startedAt: 'a' }),
      entry({ drill: 'other', startedAt: 'x', verdict: 'failed' }),
      entry({ startedAt: 'b', rtoMs: [5000, 3000], verdict: 'failed' }),
      entry({ startedAt: 'c' }),
    ];
    const rows = trend(runs, 'maidstone', 2);
    expect(rows.map((r) => [r.startedAt, r.regressions])).toEqual([
      ['b', ['verdict failed, was passed', 'cut: RTO 5000 ms, was 2000 ms (median of 1)']],
      ['c', []],
    ]);
    expect(trend(runs, 'nothing')).toEqual([]);
  });
});
