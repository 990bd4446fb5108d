import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadRun } from '../../harness/load/engine';
import { LiveStats } from '../../harness/load/live';
import { RequestLog } from '../../harness/load/records';
import { StatusArea, startProgress, statusLines } from '../../harness/runner/progress';

/** A load run that stands still: the last second always had 30 requests, 29 ok, p99 34 ms. */
function fakeRun(): LoadRun {
  const live = { snapshot: () => ({ rate: 30, successRatio: 29 / 30, p99Ms: 34, count: 30 }) } as unknown as LiveStats;
  return { log: new RequestLog(), live, t0: performance.now() - 12_300, inFlight: () => 2, stop: () => {}, done: new Promise(() => {}) };
}

/** A terminal that keeps what was written. */
function fakeTty(columns = 120) {
  const chunks: string[] = [];
  return { isTTY: true, columns, write: (s: string) => chunks.push(s) > 0, text: () => chunks.join(''), chunks };
}

describe('progress', () => {
  it('on a TTY: one status area, redrawn in place, with time left, rate, success, faults, the controller and the run', async () => {
    const tty = fakeTty();
    const file = join(mkdtempSync(join(tmpdir(), 'blackstart-progress-')), 'progress.jsonl');
    const printed: string[] = [];
    const p = startProgress(fakeRun(), file, (l) => printed.push(l), () => 'faults: active-power-cut', {
      tty,
      plannedMs: 55_000,
      runLabel: 'run 2 of 5 @30/s',
      drill: 'maidstone',
      lastEvent: () => 'promote dc2 at +7.3 s',
    });
    p.print('t=12.4s apply power cut at dc1');
    await new Promise((r) => setTimeout(r, 1150));
    p.stop();
    // No line a second off the area: only the runner's own line was printed, above it.
    expect(printed).toEqual(['t=12.4s apply power cut at dc1']);
    const first = tty.chunks[0];
    expect(first.split('\n').slice(0, 4)).toEqual([
      expect.stringMatching(/^drill maidstone {2}run 2 of 5 @30\/s {2}12\.3 s of 55\.0 s \(42\.7 s left\) \[####\.{16}\]$/),
      expect.stringMatching(/^ {2}rate 30\/s {2}ok 96\.7% {2}p99 \d+ms {2}in flight 2$/),
      '  faults: active-power-cut',
      '  controller: promote dc2 at +7.3 s',
    ]);
    // Each redraw moves up over the 4 lines and clears to the end of the screen; stop() erases the area.
    expect(tty.chunks.filter((c) => c.startsWith('\x1b[4A\x1b[0J')).length).toBeGreaterThanOrEqual(3);
    expect(tty.chunks[tty.chunks.length - 1]).toBe('\x1b[4A\x1b[0J');
    // progress.jsonl is written as before.
    expect(JSON.parse(readFileSync(file, 'utf8').trim().split('\n')[0])).toMatchObject({ inFlight: 2, note: 'faults: active-power-cut' });
  });

  it("off a TTY (CI): today's line a second", async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'blackstart-progress-')), 'progress.jsonl');
    const printed: string[] = [];
    const p = startProgress(fakeRun(), file, (l) => printed.push(l), () => '', { tty: { isTTY: false, write: () => true }, plannedMs: 55_000 });
    await new Promise((r) => setTimeout(r, 1100));
    p.stop();
    expect(printed).toEqual([expect.stringMatching(/^t=13\.\ds rate=30\/s ok=96\.7% p99=\d+ms in-flight=2 $/)]);
  });

  it('cuts lines to the terminal width, so none wraps', () => {
    const tty = fakeTty(30);
    const area = new StatusArea(tty);
    area.render(['x'.repeat(100), 'short']);
    expect(tty.text().split('\n').map((l) => l.length)).toEqual([29, 5, 0]);
    const lines = statusLines({ at: 1000, s: { rate: 0, successRatio: NaN, p99Ms: NaN, count: 0 }, inFlight: -1, note: '' }, {});
    expect(lines).toEqual(['drill  1.0 s', '  rate 0/s  ok -  p99 -  in flight -', '  faults: none active', '  controller: no event yet']);
  });
});
