import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadDrill } from '../../harness/drill/load';
import type { Drill } from '../../harness/drill/schema';
import { runDrill } from '../../harness/runner/run';
import { describeDocker, EMPTY, ensureImages, labelled, toxiproxyPresent } from '../helpers/docker';
import { shorten } from '../helpers/drill';
import { sideBySide } from '../helpers/side_by_side';

jest.setTimeout(240_000);

const DRILLS = resolve(__dirname, '..', '..', 'drills');

/** A shipped drill, at the shorter schedule of test/drill/shipped.test.ts, with `estate.runtime: docker`. */
async function runOnDocker(name: string, k = 0.6, edit: (d: Drill) => Drill = (d) => d) {
  const drill = edit(shorten(loadDrill(join(DRILLS, `${name}.yaml`)), k));
  const outDir = mkdtempSync(join(tmpdir(), `blackstart-docker-${name}-`));
  const result = await runDrill({ ...drill, estate: { ...drill.estate, runtime: 'docker' } }, { file: `drills/${name}.yaml`, outDir });
  // The runner keeps the estate's state (and so the docker runtime's label root) under outDir/estate.
  return { result, root: join(outDir, 'estate') };
}

/**
 * The two drills side by side, each on its own estate, started on first use (the suite's time):
 * one must fail (its backup never comes up), the other has its limits loosened for a busy runner.
 */
const ran = sideBySide([
  () =>
    runOnDocker('maidstone-san-outage', 0.6, (d) => ({
      ...d,
      load: { ...d.load, rate: 20 },
      recovery: { ...d.recovery, success_ratio: 0.95, max_p95: 3000 },
      gates: d.gates.map((g) => (g.metric === 'error_rate' ? { ...g, max: 0.5 } : g)),
    })),
  // Power back after the full 12 s (not 60% of it): the RTO gate (10 s) fails on any runtime.
  () => runOnDocker('backup-does-not-come-up', 0.6, (d) => ({ ...d, faults: d.faults.map((f) => ({ ...f, restore_after: 12_000 })) })),
]);

describeDocker('drills on the docker runtime', () => {
  beforeAll(() => ensureImages());

  it('maidstone-san-outage (short, limits for a busy runner) passes on docker as on the process runtime: failover, 0 lost writes, no residue', async () => {
    // The same faults and gates, with the latency-based limits loosened for a busy 2-core runner
    // (another drill's 11 containers run beside its own on the 2 cores): 20 requests/s, a
    // healthy window is 95% ok with p95 up to 3 s, up to half the requests may fail. What the drill
    // proves stays: every fault recovered within its RTO gate, nothing acknowledged lost, no residue.
    const { result: r, root } = await ran(0);
    expect(r.runtime).toBe('docker');
    // The report says which proxy server ran: the project's image unless the real one was pulled.
    expect(r.versions.proxy).toBe((await toxiproxyPresent()) ? 'Toxiproxy (ghcr.io/shopify/toxiproxy:2.12.0)' : 'embedded (Toxiproxy 2.12.0 API, blackstart/proxy:latest)');
    expect(r.error).toBeNull();
    expect(r.gates.filter((g) => !g.passed)).toEqual([]);
    expect([r.verdict, r.exitCode]).toEqual(['passed', 0]);
    expect(r.ledger!.counts.lost).toBe(0);
    expect(r.residue).toEqual([]);
    expect(r.controllerEvents.map((e) => e.type)).toEqual(expect.arrayContaining(['detect', 'promote', 'switch']));
    expect(await labelled({ root })).toEqual(EMPTY);
  });

  it('a failing drill (backup-does-not-come-up) leaves no container, volume or network', async () => {
    const { result: r, root } = await ran(1);
    expect([r.verdict, r.exitCode]).toEqual(['failed', 1]);
    expect(r.controllerEvents.some((e) => e.type === 'promotion-failed')).toBe(true);
    expect(r.residue).toEqual([]);
    expect(await labelled({ root })).toEqual(EMPTY);
  });
});
