import { PATRONI_ESTATE, type PatroniRun } from '../drill_run';

/**
 * drills/patroni-storage-hang.yaml, shortened: dc1-db frozen whole (Patroni, the postmaster
 * re-parented to init, every backend: SIGSTOP by the component's mark) for 14 s, then thawed.
 * Patroni fails over to dc2 when dc1's leader key runs out. On the thaw one of two things happens,
 * depending on where dc1's Patroni was in its loop when it was stopped (measured: about 3 runs in
 * 4 the first): it reads the key, finds it dc2's and demotes its node, 0 writes lost; or it was past that
 * read, and Patroni 3.0.2's etcd3 update_leader takes a new lease and writes the leader key
 * without a compare, on the strength of its view from before the freeze: dc2 demotes itself and
 * the writes it took as the primary are lost to its rewind. The test asserts whichever happened is
 * the one blackstart reports (the watch's events, the ledger, the verdict).
 */
const DRILL = `name: patroni-storage-hang-short
seed: 5434
estate: { file: ${PATRONI_ESTATE} }
load: { rate: 20/s, duration: 21s, warmup: 3s, timeout: 3s }
faults:
  - { name: dc1-db-hangs, at: 4s, freeze: { component: dc1-db }, duration: 14s }
recovery: { windows: 3, window: 1s, success_ratio: 0.99, max_p95: 1s }
gates:
  - { metric: rto_ms, max: 20000 }
  - { metric: lost_writes, max: 0 }
settle: 2s
`;

export const storageHang = {
  title: 'the Patroni estate when the primary’s node hangs: fails over to dc2 within the ttl, and reports what the thaw did',
  drill: DRILL,
  check(run: PatroniRun): void {
    const { result } = run;
    const hang = result.faults[0];
    expect(hang).toMatchObject({ name: 'dc1-db-hangs', kind: 'freeze', error: null, revertError: null });
    const thawAt = hang.revertedAtMs!;

    const events = result.controllerEvents;
    const promote = events.find((e) => e.type === 'promote')!;
    expect(promote.site).toBe('dc2');
    expect(promote.atMs - hang.appliedAtMs!).toBeGreaterThan(5000);
    expect(promote.atMs).toBeLessThan(thawAt);
    const rec = result.recovery[0];
    expect(rec.timeToDetectMs).not.toBeNull();
    expect(rec.all.timeToFirstOkMs).toBeLessThan(20_000);

    const lost = result.ledger!.counts.lost;
    const tookBack = events.some((e) => e.type === 'promote' && e.site === 'dc1' && e.atMs >= thawAt);
    if (tookBack) {
      // dc1 wrote the leader key again: dc2 was demoted, its writes as the primary rewound away.
      expect(events.some((e) => e.type === 'demote' && e.site === 'dc2' && e.atMs >= thawAt)).toBe(true);
      expect(lost).toBeGreaterThan(0);
      expect([result.verdict, run.code]).toEqual(['failed', 1]);
      // (Not recovered, often, in a run this short: operations on the records that vanished fail.)
    } else {
      // dc1 found the key dc2's and stopped PostgreSQL at once; it rejoined as dc2's replica.
      expect(run.log('dc1-db')).toMatch(/Demoting self \(immediate-nolock\)/);
      expect(lost).toBe(0);
      expect(rec.all.rto.recovered).toBe(true);
      expect(result.splitBrain!.writes).toBe(0);
      expect([result.verdict, run.code]).toEqual(['passed', 0]);
    }
    expect(result.residue).toEqual([]);
    expect(run.leftovers).toEqual([]);
  },
};
