import { PATRONI_ESTATE, type PatroniRun } from '../drill_run';

/**
 * drills/patroni-power-cut.yaml, shortened: the shipped Patroni estate (PostgreSQL 15 in
 * synchronous_mode under Patroni, etcd with a witness, HAProxy, the mock apps on PostgreSQL) loses
 * power at dc1, the primary's site. Patroni promotes dc2 with no help from blackstart; no
 * acknowledged write is lost; dc1 comes back as a replica; nothing is left running.
 */
const DRILL = `name: patroni-power-cut-short
description: power cut at dc1 of the Patroni estate (shortened for the test suite)
seed: 5432
estate: { file: ${PATRONI_ESTATE} }
load:
  rate: 20/s
  duration: 26s
  warmup: 3s
  timeout: 3s
faults:
  - { name: dc1-power-cut, at: 6s, power_cut: { site: dc1 }, restore_after: 14s }
recovery: { windows: 3, window: 1s, success_ratio: 0.99, max_p95: 1s }
gates:
  - { metric: rto_ms, max: 20000 }
  - { metric: lost_writes, max: 0 }
settle: 2s
`;

export const powerCut = {
  title: 'fails over to dc2 by Patroni alone, loses no acknowledged write, and leaves nothing running',
  drill: DRILL,
  check(run: PatroniRun): void {
    const { result } = run;
    expect(result.faults).toEqual([expect.objectContaining({ name: 'dc1-power-cut', kind: 'power_cut', error: null, revertError: null })]);
    const rec = result.recovery[0].all;
    expect(rec.failed).toBe(true);
    expect(rec.rto.recovered).toBe(true);
    // Not before the leader key's ttl (10 s) could run out; within the gate.
    const rto = rec.rto.recovered ? rec.rto.ms : NaN;
    expect(rto).toBeGreaterThan(5000);
    expect(rto).toBeLessThan(20_000);
    expect(result.ledger!.counts.acknowledged).toBeGreaterThan(100);
    expect(result.ledger!.counts.lost).toBe(0);
    expect(result.ledger!.counts.unverified).toBe(0);
    // The RTO's phases from the real stack (the Patroni watch): dc2's promotion, and no write taken by two primaries.
    expect(result.controllerEvents.find((e) => e.type === 'promote')).toMatchObject({ site: 'dc2' });
    expect(result.recovery[0].timeToPromoteMs).toBeGreaterThan(5000);
    expect(result.recovery[0].timeToPromoteMs).toBeLessThan(rto + 500);
    // HAProxy's view: the clients' path follows the promotion. Patroni answers GET /primary 200 (what
    // HAProxy checks) as it runs the promotion, a little before PostgreSQL stamps the new timeline
    // (the promote time the watch refines to): HAProxy may switch up to that much before it (40 ms once).
    expect(result.recovery[0].timeToSwitchMs).toBeGreaterThanOrEqual(result.recovery[0].timeToPromoteMs! - 500);
    expect(result.splitBrain!.writes).toBe(0);
    // What was left applied first: a verdict of "residue" says less than its list.
    expect(result.residue).toEqual([]);
    expect([result.verdict, run.code]).toEqual(['passed', 0]);

    // Patroni promoted dc2, and dc1 came back as its replica (pg_rewind, or a plain rejoin).
    expect(run.log('dc2-db')).toMatch(/promoted self to leader/);
    expect(run.log('dc1-db')).toMatch(/following a leader \(dc2-db\)/);
    // Every process (process runtime: Patroni, each postmaster and backend, etcd, HAProxy, the
    // apps) or container, volume and network (docker) the drill started is gone.
    expect(run.leftovers).toEqual([]);
  },
};
