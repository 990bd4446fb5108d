import { PATRONI_ESTATE, type PatroniRun } from '../drill_run';

/**
 * drills/patroni-async-loss.yaml, shortened: the Patroni estate in async mode (the estate file's
 * `replication` parameter), the WAL stream to dc2 stalled 2 s before dc1 loses power. Patroni
 * promotes dc2 (its lag is within maximum_lag_on_failover), and the writes dc1 acknowledged in
 * those 2 s are lost, listed, and fail the gate.
 */
// Power returns after 14 s, past the leader key's ttl (10 s) and the next loop: back sooner, dc1's
// Patroni finds its own key still there and carries on as the leader (seen at 10 s: no failover).
const DRILL = `name: patroni-async-loss-short
seed: 5433
estate: { file: ${PATRONI_ESTATE}, parameters: { replication: async } }
load: { rate: 20/s, duration: 21s, warmup: 3s, timeout: 3s }
faults:
  - { name: replication-stalls, at: 4s, network: { link: dc1-repl, toxic: timeout, stream: downstream, attributes: { timeout: 0 } } }
  - { name: dc1-power-cut, at: 6s, power_cut: { site: dc1 }, restore_after: 14s }
recovery: { windows: 3, window: 1s, success_ratio: 0.95, max_p95: 1s }
gates:
  - { metric: lost_writes, max: 0 }
  - { metric: time_to_first_success_ms, max: 20000, fault: dc1-power-cut }
settle: 2s
`;

export const asyncLoss = {
  title: 'the Patroni estate in async mode, replication stalled before a power cut: promotes dc2 within the lag bound, loses the writes of the stall, lists them and fails the gate',
  drill: DRILL,
  check(run: PatroniRun): void {
    const { result } = run;
    expect(run.dcs).toMatchObject({ synchronous_mode: false, maximum_lag_on_failover: 1048576 });
    expect(run.log('dc2-db')).toMatch(/promoted self to leader/);

    const ledger = result.ledger!;
    // The stall's 2 s at 20 requests/s: about 20 writes; at least some, and none from before it.
    expect(ledger.counts.lost).toBeGreaterThan(3);
    expect(ledger.counts.lost).toBeLessThan(60);
    const stall = result.faults.find((f) => f.name === 'replication-stalls')!;
    const cut = result.faults.find((f) => f.name === 'dc1-power-cut')!;
    expect(stall.appliedAtMs).not.toBeNull();
    // Each one acknowledged by dc1 after the stall began, before the power went (times from the load's start).
    for (const w of ledger.lost) {
      const at = w.tAck! - result.clock.t0;
      expect(at).toBeGreaterThan(stall.appliedAtMs! - 500);
      expect(at).toBeLessThan(cut.appliedAtMs! + 100);
      expect(w.attempts.find((a) => a.outcome === 'ok')!.site).toBe('dc1');
    }
    // RPO: the stall's length, give or take the load's spacing.
    expect(result.ledger!.rpo.ms).toBeGreaterThan(1000);
    expect(result.ledger!.rpo.ms).toBeLessThan(2600);

    // Service is back on dc2 after the leader key's ttl (RTO by the windows is not asserted: in a run
    // this short, operations on the records that vanished are refused often enough to fail windows).
    const rec = result.recovery.find((r) => r.fault === 'dc1-power-cut')!.all;
    expect(rec.timeToFirstOkMs).toBeGreaterThan(5000);
    expect(result.gates.map((g) => [g.metric, g.passed])).toEqual([
      ['lost_writes', false],
      ['time_to_first_success_ms', true],
    ]);
    // What was left applied first: a verdict of "residue" says less than its list.
    expect(result.residue).toEqual([]);
    expect([result.verdict, run.code]).toEqual(['failed', 1]);
    expect(run.leftovers).toEqual([]);
  },
};
