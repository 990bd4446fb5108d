import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readJournal } from '../../chaos/journal';
import { REGIONAL_SITES as SITES } from '../../model/estate';
import type { Estate } from '../../services/runtime';
import { processState, runCli } from '../helpers/drill';
import { startTestEstate } from '../helpers/estate';

jest.setTimeout(120_000);

/**
 * A drill against an external system, without Docker: a process estate the test starts stands in
 * for the system, and its "power cut" hooks stop and continue the site's processes (kill -STOP /
 * -CONT). The drill runs through the CLI and is interrupted while the fault is applied: the
 * rollback hook runs on that way out too, and the drill says why some figures are missing when
 * the system names no controller.
 */

function drillFile(system: Estate, opts: { controller: boolean }): string {
  const pids = (site: string) =>
    system.components
      .filter((c) => c.site === site)
      .map((c) => c.id)
      .join(' ');
  const e = system.endpoints;
  return stringify({
    name: 'external-interrupted',
    seed: 3,
    estate: {
      runtime: 'external',
      external: {
        allowed_hosts: ['127.0.0.1'],
        services: e.services,
        proxy_clients: true,
        ...(opts.controller ? { controller: e.controller } : {}),
        site_vars: Object.fromEntries(SITES.map((s) => [s, { pids: pids(s) }])),
        hooks: {
          power_cut: {
            // $0 unquoted: the pids are one argument, split by the shell into one per process.
            inject: { command: { path: 'sh', args: ['-c', 'kill -STOP $0', '${pids}'], timeout: '5s' } },
            rollback: { command: { path: 'sh', args: ['-c', 'kill -CONT $0', '${pids}'], timeout: '5s' } },
          },
        },
      },
    },
    load: { rate: '20/s', duration: '60s', warmup: '2s', timeout: '2s' },
    faults: [{ name: 'stalled', at: '3s', power_cut: { site: 'dc2' } }],
    gates: [{ metric: 'lost_writes', max: 0 }],
  });
}

describe('a drill against an external system', () => {
  let system: Estate;
  beforeAll(async () => {
    system = await startTestEstate();
  });
  afterAll(() => system?.stop());

  it('SIGINT while the hooked power cut is applied: aborted, the rollback hook ran, no residue; no controller: the run says what it could not measure', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-ext-drill-'));
    writeFileSync(join(cwd, 'ext.yaml'), drillFile(system, { controller: false }));
    const out = join(cwd, 'out');
    const dc2 = system.components.filter((c) => c.site === 'dc2').map((c) => Number(c.id));
    const drill = runCli(['drill', 'ext.yaml', '--out', out], cwd);
    await drill.waitFor(/apply power cut at dc2/);
    await drill.waitFor(/t=4\.\ds rate/);
    expect(dc2.map(processState)).toEqual(dc2.map(() => 'T'));
    drill.child.kill('SIGINT');
    expect(await drill.exited).toBe(1);
    expect(dc2.map(processState).filter((s) => s === 'T')).toEqual([]);
    expect(drill.output()).toMatch(/note: this estate has no failover controller blackstart can read/);

    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect([result.runtime, result.verdict, result.residue]).toEqual(['external', 'aborted', []]);
    expect(result.faults.map((f: { name: string; error: string | null; revertError: string | null }) => [f.name, f.error, f.revertError])).toEqual([['stalled', null, null]]);
    // Once; beside it, maybe the thin-window caveat (this drill sets no max_p95).
    expect(result.notes.filter((n: string) => /time to detect, promote and switch are null.*split-brain is not measured/.test(n))).toHaveLength(1);
    expect(result.splitBrain).toBeNull();
    expect(result.recovery[0].tDetect).toBeNull();
    const journal = readJournal(join(out, 'journal.jsonl'));
    expect(journal.faults.map((f) => [f.id, f.revertPlan.map((s) => s.type), f.state])).toEqual([['0-stalled', ['hook'], 'reverted']]);
    expect(journal.ended).toBe(true);
    // The system itself was never stopped by the drill: it still serves.
    const res = await fetch(`${system.endpoints.services.pas}/health/ready`);
    expect(res.status).toBe(200);
  });
});
