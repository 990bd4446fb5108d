import { splitBrain } from '../../harness/verify/split_brain';
import { splitBrainSchema, type SplitBrain, type SplitBrainOptions } from '../../model/figures/split_brain';
import { logOf, steady, write, type Rec } from './builders';

/** The harness's performance.timeOrigin: controller events are this + harness time. */
const ORIGIN = 1_700_000_000_000;
const unix = (t: number) => ORIGIN + t;

/** dc1 primary; at 10 s the controller fences dc1, at 10.5 s it promotes dc2. */
const failover = [
  { t: unix(0), type: 'start', site: 'dc1', detail: 'primary dc1', epoch: 1 },
  { t: unix(9_800), type: 'detect', site: 'dc1', epoch: 1 },
  { t: unix(10_000), type: 'fence', site: 'dc1', epoch: 2 },
  { t: unix(10_500), type: 'promote', site: 'dc2', epoch: 2 },
];

/** Legitimate writes: dc1 until 10 s, dc2 from 10.6 s, every 100 ms; plus reads, which never count. */
const legit: Rec[] = [
  ...steady({ from: 0, to: 10_000, rateHz: 10, write: true, site: 'dc1', service: 'booking' }),
  ...steady({ from: 10_600, to: 20_000, rateHz: 10, write: true, site: 'dc2', service: 'booking' }),
  ...steady({ from: 0, to: 20_000, rateHz: 10, site: 'dc1' }),
];

function check(records: Rec[], options: Partial<SplitBrainOptions> = {}): SplitBrain {
  return splitBrainSchema.parse(splitBrain(logOf(records), { events: failover, initialPrimary: 'dc1', harnessTimeOrigin: ORIGIN, ...options }));
}

describe('split brain', () => {
  test('a clean failover: target 0', () => {
    const s = check(legit);
    expect(s).toMatchObject({ windowMs: 0, writes: 0, writesWhileFenced: 0, unknownSite: 0, episodes: [], splitWrites: [] });
    // How long each site went on taking writes: dc1 stopped before the promotion.
    expect(s.lastWrite.dc1).toBeLessThan(10_500);
    expect(s.lastWrite.dc2).toBeGreaterThan(19_000);
    // Event times converted to the harness clock.
    expect(s.active).toEqual([
      { from: null, site: 'dc1' },
      { from: 10_500, site: 'dc2' },
    ]);
  });

  test('the old primary keeps acknowledging after the promotion, the replica before it', () => {
    const s = check([
      ...legit,
      // dc1 after dc2's promotion: split brain, one episode [11 000, 12 005].
      write({ key: 'a', at: 11_000, site: 'dc1' }),
      write({ key: 'b', at: 11_500, site: 'dc1' }),
      write({ key: 'c', at: 12_000, site: 'dc1' }),
      // dc2 accepting a write while still the replica: another episode [5000, 5005].
      write({ key: 'd', at: 5000, site: 'dc2' }),
      // In flight across the promotion (started while dc1 was active): not counted.
      write({ key: 'e', at: 10_490, latency: 30, site: 'dc1' }),
      // dc1 after its fence but before any promotion: still the active site, so not split brain; the fence did not hold.
      write({ key: 'f', at: 10_200, site: 'dc1' }),
      // Refused writes are not acknowledged: never counted.
      write({ key: 'g', at: 13_000, site: 'dc1', outcome: 'fail' }),
      // An acknowledged write with no site header: not judged.
      { ...write({ key: 'h', at: 14_000 }), site: '' },
    ]);
    expect(s.writes).toBe(4);
    expect(s.windowMs).toBe(1005 + 5);
    expect(s.episodes).toEqual([
      { site: 'dc2', activeSite: 'dc1', from: 5000, to: 5005, writes: 1 },
      { site: 'dc1', activeSite: 'dc2', from: 11_000, to: 12_005, writes: 3 },
    ]);
    expect(s.splitWrites.map((w) => [w.key, w.site, w.activeSite])).toEqual([
      ['d', 'dc2', 'dc1'],
      ['a', 'dc1', 'dc2'],
      ['b', 'dc1', 'dc2'],
      ['c', 'dc1', 'dc2'],
    ]);
    // a, b, c, e (ends 10 520, started after the fence) and f were served by dc1 while it was fenced.
    expect(s.writesWhileFenced).toBe(5);
    expect(s.unknownSite).toBe(1);
  });

  test('toleranceMs absorbs clock conversion error around the promotion', () => {
    // With 600 ms of tolerance, the write at 11 000 may have been accepted before 10 500: not counted.
    const s = check([...legit, write({ key: 'a', at: 11_000, site: 'dc1' }), write({ key: 'b', at: 11_500, site: 'dc1' }), write({ key: 'c', at: 12_000, site: 'dc1' })], {
      toleranceMs: 600,
    });
    expect(s.writes).toBe(2);
    expect(s.windowMs).toBe(12_005 - 11_500);
  });

  test('failback: the active site follows each promotion', () => {
    const events = [...failover, { t: unix(15_000), type: 'fence', site: 'dc2' }, { t: unix(15_500), type: 'promote', site: 'dc1' }];
    const s = check(
      [
        write({ key: 'a', at: 16_000, site: 'dc1' }), // dc1 active again: fine
        write({ key: 'b', at: 16_000, site: 'dc2' }), // dc2 after failback: split brain
        write({ key: 'c', at: 12_000, site: 'dc2' }), // dc2 while active: fine
      ],
      { events },
    );
    expect(s.active.map((a) => [a.from, a.site])).toEqual([
      [null, 'dc1'],
      [10_500, 'dc2'],
      [15_500, 'dc1'],
    ]);
    expect(s.splitWrites.map((w) => w.key)).toEqual(['b']);
    expect(s.writesWhileFenced).toBe(1);
    expect(s.windowMs).toBe(5);
  });

  test('no promotion at all: a replica acknowledging writes is split brain from its first to its last', () => {
    const s = check(
      [write({ key: 'a', at: 1000, latency: 100, site: 'dc2' }), write({ key: 'b', at: 1050, latency: 100, site: 'dc2' }), write({ key: 'c', at: 1100, site: 'dc1' })],
      { events: [] },
    );
    expect(s.episodes).toEqual([{ site: 'dc2', activeSite: 'dc1', from: 1000, to: 1150, writes: 2 }]);
    expect(s.windowMs).toBe(150);
    expect(s.writes).toBe(2);
  });
});
