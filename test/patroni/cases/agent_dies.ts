import { PATRONI_ESTATE, type PatroniRun } from '../drill_run';

/**
 * drills/patroni-agent-dies.yaml, shortened: Patroni alone is killed on dc1 (kill_process), its
 * PostgreSQL left a writable primary; async, the apps straight to their own site's node. dc2 is
 * promoted while dc1 still acknowledges writes: the watch (services/patroni/watch.ts) says when,
 * each write says which node committed it, so the split-brain writes are found; when Patroni is
 * started again it rewinds dc1 and the same writes are lost. The drill fails, as it should.
 */
const DRILL = `name: patroni-agent-dies-short
seed: 5436
estate: { file: ${PATRONI_ESTATE}, parameters: { replication: async, apps_database: local } }
load: { rate: 20/s, duration: 22s, warmup: 3s, timeout: 3s }
faults:
  - { name: dc1-patroni-dies, at: 4s, kill_process: { component: dc1-db, process: patroni }, duration: 15s }
recovery: { windows: 3, window: 1s, success_ratio: 0.95, max_p95: 1s }
gates:
  - { metric: split_brain_writes, max: 0 }
  - { metric: lost_writes, max: 0 }
settle: 2s
`;

export const agentDies = {
  title: 'the Patroni estate when only the primary’s Patroni dies: finds the writes dc1 acknowledged after dc2 was promoted, and loses them to the rewind',
  drill: DRILL,
  check(run: PatroniRun): void {
    const { result } = run;
    const killed = result.faults[0];
    expect(killed).toMatchObject({ name: 'dc1-patroni-dies', kind: 'kill_process', error: null, revertError: null });

    // Controller events and fault times are both offsets from the load's start. From the real stack: dc2 promoted once dc1's leader key ran out (ttl 10 s after its last renewal).
    const promote = result.controllerEvents.find((e) => e.type === 'promote')!;
    expect(promote).toMatchObject({ site: 'dc2' });
    expect(promote.atMs - killed.appliedAtMs!).toBeGreaterThan(5000);
    expect(promote.atMs - killed.appliedAtMs!).toBeLessThan(16_000);
    expect(result.recovery[0].timeToPromoteMs).not.toBeNull();

    // Split brain: writes served by dc1's node after dc2's promotion, until Patroni came back.
    const sb = result.splitBrain!;
    expect(sb.writes).toBeGreaterThan(10);
    expect(sb.windowMs).toBeGreaterThan(2000);
    expect(sb.episodes.map((e) => [e.site, e.activeSite])).toEqual(sb.episodes.map(() => ['dc1', 'dc2']));
    // Lost: those writes, discarded by the rewind.
    expect(result.ledger!.counts.lost).toBeGreaterThan(10);
    expect(run.log('dc1-db')).toMatch(/pg_rewind: Done!|rewind/);
    expect(result.gates.map((g) => [g.metric, g.passed])).toEqual([
      ['split_brain_writes', false],
      ['lost_writes', false],
    ]);
    // What was left applied first: a verdict of "residue" says less than its list.
    expect(result.residue).toEqual([]);
    expect([result.verdict, run.code]).toEqual(['failed', 1]);
    expect(run.leftovers).toEqual([]);
  },
};
