import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadDrill } from '../../harness/drill/load';
import type { Drill } from '../../harness/drill/schema';
import { runDrill } from '../../harness/runner/run';
import { resultSchema } from '../../model/result';
import { shorten } from '../helpers/drill';
import { sideBySide } from '../helpers/side_by_side';

jest.setTimeout(180_000);

const DRILLS = resolve(__dirname, '..', '..', 'drills');

/** Each shipped drill, at a shorter schedule, gives its expected verdict. */
async function run(name: string, k = 0.6, edit: (d: Drill) => Drill = (d) => d) {
  const drill = edit(shorten(loadDrill(join(DRILLS, `${name}.yaml`)), k));
  const outDir = mkdtempSync(join(tmpdir(), `blackstart-${name}-`));
  const result = await runDrill(drill, { file: `drills/${name}.yaml`, outDir });
  expect(() => resultSchema.parse(result)).not.toThrow();
  expect(result.residue).toEqual([]);
  expect(result.error).toBeNull();
  return result;
}

// Two drills side by side, each on its own estate (as two drills in one directory run: test/drill/
// concurrent.test.ts), for the suite's time. Paired so that neither's verdict rests on a fine
// timing: a drill that must fail on lost writes or on a backup that never comes up beside one with
// wide margins; the flagship runs alone. Shortened, backup-does-not-come-up's power would return
// before the RTO limit and its gate would pass: its power stays off 12 s, as on docker.
const lossAndLatency = sideBySide([() => run('async-replication-loss'), () => run('network-latency')]);
const backupAndFailback = sideBySide([
  () => run('backup-does-not-come-up', 0.6, (d) => ({ ...d, faults: d.faults.map((f) => ({ ...f, restore_after: 12_000 })) })),
  () => run('failback'),
]);

describe('shipped drills (short versions)', () => {
  it('maidstone-san-outage passes on a healthy estate', async () => {
    const r = await run('maidstone-san-outage');
    expect(r.gates.filter((g) => !g.passed)).toEqual([]);
    expect([r.verdict, r.exitCode]).toEqual(['passed', 0]);
    expect(r.ledger!.counts.lost).toBe(0);
    expect(r.ledger!.counts.acknowledged).toBeGreaterThan(100);
    expect(r.controllerEvents.map((e) => e.type)).toEqual(expect.arrayContaining(['detect', 'promote', 'switch']));
    // Each fault is aimed at the active site and struck the site serving then: dc1, then dc2 (which
    // took over), then dc1 (back in service since the SAN hang). Each interrupted service, each
    // recovered, and each moved service to the other site.
    expect(r.faults.map((f) => [f.name, f.target?.role, f.target?.hit])).toEqual([
      ['active-power-cut', 'active', 'dc1'],
      ['active-san-hang', 'active', 'dc2'],
      ['active-power-flap', 'active', 'dc1'],
    ]);
    for (const rec of r.recovery) {
      expect([rec.fault, rec.all.tFirstFailure !== null, rec.all.rto.recovered && rec.all.rto.ms > 0]).toEqual([rec.fault, true, true]);
    }
    expect(r.controllerEvents.filter((e) => e.type === 'promote').map((e) => e.site)).toEqual(['dc2', 'dc1', 'dc2']);
    expect([r.runtime, r.versions.proxy]).toEqual(['process', 'embedded (Toxiproxy 2.12.0 API)']);
    // The runner's own journal: every phase ran, in order, and none failed.
    expect(r.phases.map((p) => [p.name, p.status])).toEqual(['estate', 'load', 'faults', 'read-back', 'residue', 'gates', 'result'].map((n) => [n, 'ok']));
    expect(r.phases.find((p) => p.name === 'load')!.durationMs).toBeGreaterThan(r.load.plannedMs - 100);
  });

  it('backup-does-not-come-up fails its RTO gate, and says the backup never took over', async () => {
    const r = await backupAndFailback(0);
    expect([r.verdict, r.exitCode]).toEqual(['failed', 1]);
    const rto = r.gates.find((g) => g.metric === 'rto_ms')!;
    expect(rto.passed).toBe(false);
    expect(r.headline).toMatch(/backup never took over/);
    expect(r.controllerEvents.some((e) => e.type === 'promotion-failed')).toBe(true);
    expect(r.controllerEvents.some((e) => e.type === 'promote')).toBe(false);
  });

  it('async-replication-loss finds and lists the lost writes, and fails the gate', async () => {
    const r = await lossAndLatency(0);
    expect([r.verdict, r.exitCode]).toEqual(['failed', 1]);
    expect(r.ledger!.counts.lost).toBeGreaterThan(0);
    expect(r.ledger!.lost.length).toBe(r.ledger!.counts.lost);
    expect(r.ledger!.lost[0]).toMatchObject({ key: expect.stringContaining('async-replication-loss'), tAck: expect.any(Number) });
    expect(r.gates.find((g) => g.metric === 'lost_writes')).toMatchObject({ passed: false, value: r.ledger!.counts.lost });
    // RPO runs from the power cut (the fault that took the primary away), not from the slow WAN before it.
    const cut = r.faults.find((f) => f.kind === 'power_cut')!;
    expect(r.ledger!.rpo.tFault - r.clock.t0).toBeCloseTo(cut.appliedAtMs!, 6);
    expect(r.ledger!.rpo.ms).toBeGreaterThan(0);
  });

  it('network-latency: the toxics show in the during-phase p99 and the gate judges it', async () => {
    const r = await lossAndLatency(1);
    expect([r.verdict, r.exitCode]).toEqual(['passed', 0]);
    const during = r.latency!.faults[0].during.all;
    expect(during.count).toBeGreaterThan(50);
    // Every response crosses the 150 +/- 30 ms toxic: nothing during the fault can be faster than 120 ms.
    expect(during.p50!).toBeGreaterThanOrEqual(120);
    const gate = r.gates.find((g) => g.metric === 'p99_ms')!;
    expect(gate.value).toBe(during.p99);
  });

  it('failback: power cut, failover, catch-up, planned failback under load, zero lost writes', async () => {
    const r = await backupAndFailback(1);
    expect(r.gates.filter((g) => !g.passed)).toEqual([]);
    expect([r.verdict, r.exitCode]).toEqual(['passed', 0]);
    expect(r.ledger!.counts.lost).toBe(0);
    expect(r.controllerEvents.map((e) => e.type)).toEqual(expect.arrayContaining(['failback-start', 'caught-up', 'failback-complete']));
    const failback = r.recovery.find((x) => x.fault === 'planned-failback')!;
    expect(failback.all.rto.recovered).toBe(true);
  });
});
