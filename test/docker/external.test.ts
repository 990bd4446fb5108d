import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDrill } from '../../harness/drill/load';
import type { Drill } from '../../harness/drill/schema';
import { runDrill } from '../../harness/runner/run';
import type { DrillResult } from '../../model/result';
import { REGIONAL_SITES as SITES } from '../../model/estate';
import { describeDocker, DOCKER_FAILOVER, EMPTY, ensureImages, labelled } from '../helpers/docker';
import { startEstateWithDockerCli, type CliEstate } from '../helpers/docker_cli_estate';

jest.setTimeout(420_000);

/**
 * Issue 11 part 2, end to end: an estate started outside the harness (the docker runtime's images,
 * started with the docker CLI: test/helpers/docker_cli_estate.ts) is drilled as an external system
 * (`runtime: external`) whose power cut is a pair of hooks, `docker kill` / `docker start` of the
 * site's containers, with blackstart's proxy put in the clients' path. The same drill on the docker
 * runtime must give the same verdict and an RTO within the recovery window + 1 s.
 */

const DRILL = `name: external-power-cut
seed: 11
load: { rate: 20/s, duration: 26s, warmup: 3s, timeout: 3s }
faults:
  - { name: blackout, at: 7s, power_cut: { site: dc1 }, restore_after: 8s }
recovery: { windows: 5, window: 1s, success_ratio: 0.95, max_p95: 3s }
abort: [ { success_ratio_below: 0.05, for: 15s } ]
gates:
  - { metric: rto_ms, max: 15000 }
  - { metric: lost_writes, max: 0 }
  - { metric: split_brain_writes, max: 0 }
`;

/** The drill as a file has it, with this estate block. */
const withEstate = (estate: unknown): Drill => {
  const base = parseDrill(DRILL, 'external-power-cut.yaml');
  return { ...base, estate: parseDrill(`${DRILL}estate: ${JSON.stringify(estate)}\n`, 'external-power-cut.yaml').estate };
};

/** The estate block of a system blackstart did not start: its URLs, and hooks that kill and start its containers. */
function externalBlock(system: CliEstate) {
  const p = system.ports;
  const url = (port: number, path = '') => `http://127.0.0.1:${port}${path}`;
  const siteContainers = ['san', 'pas', 'booking', 'theatre'].map((c) => `\${prefix}-\${site}-${c}`);
  return {
    runtime: 'external',
    external: {
      sites: ['dc1', 'dc2'],
      allowed_hosts: ['127.0.0.1'],
      // The system's front door itself: blackstart's proxy goes in front of it (the link `frontdoor`).
      services: { pas: url(p.frontdoor.http, '/pas'), booking: url(p.frontdoor.http, '/booking'), theatre: url(p.frontdoor.http, '/theatre') },
      proxy_clients: true,
      controller: url(p.controller.http),
      ledger: { san_admin: Object.fromEntries(SITES.map((s) => [s, url(p[`${s}-san`].admin)])) },
      vars: { prefix: system.prefix },
      site_vars: Object.fromEntries(SITES.map((s) => [s, { pas_port: String(p[`${s}-pas`].http) }])),
      hooks: {
        power_cut: {
          inject: { command: { path: 'docker', args: ['kill', ...siteContainers], timeout: '30s' } },
          // The array first, as a cold start of the site: apps wait for their storage by themselves.
          rollback: { command: { path: 'docker', args: ['start', ...siteContainers], timeout: '60s' } },
          status: { command: { path: 'docker', args: ['inspect', '-f', '{{.State.Running}}', '${prefix}-${site}-pas'], timeout: '10s' }, until: { exit: 0, body_contains: 'false' }, every: '200ms', deadline: '20s' },
          rollback_status: { http: { url: 'http://127.0.0.1:${pas_port}/health/live', timeout: '1s' }, until: { status: 200 }, every: '200ms', deadline: '60s' },
        },
      },
    },
  };
}

const rtoOf = (r: DrillResult) => {
  const rto = r.recovery[0]?.all.rto;
  return rto?.recovered ? rto.ms : null;
};

const summary = (r: DrillResult) => ({
  verdict: r.verdict,
  error: r.error,
  failedGates: r.gates.filter((g) => !g.passed).map((g) => `${g.name}: ${g.reason ?? g.value}`),
  faults: r.faults.map((f) => [f.name, f.error, f.revertError]),
  residue: r.residue,
});

describeDocker('an external system through hooks (docker kill / docker start), against the docker runtime', () => {
  let system: CliEstate | undefined;
  beforeAll(() => ensureImages());
  afterAll(() => system?.remove());

  it('the same verdict and an RTO within the recovery window + 1 s of the docker runtime', async () => {
    // The same estate started outside the harness, to be drilled as an external system; and, side by
    // side with that drill (the suite's time), the docker runtime's: its estate started and stopped by the harness.
    system = await startEstateWithDockerCli({ failover: DOCKER_FAILOVER });
    const lines: string[] = [];
    const dockerOut = mkdtempSync(join(tmpdir(), 'blackstart-ext-vs-docker-'));
    const extOut = mkdtempSync(join(tmpdir(), 'blackstart-ext-'));
    const [onDocker, external] = await Promise.all([
      runDrill(withEstate({ runtime: 'docker', failover: DOCKER_FAILOVER }), { file: 'external-power-cut.yaml', outDir: dockerOut }),
      runDrill(withEstate(externalBlock(system)), { file: 'external-power-cut.yaml', outDir: extOut, print: (l) => lines.push(l) }),
    ]);
    expect(await labelled({ root: join(dockerOut, 'estate') })).toEqual(EMPTY);

    const report = { docker: { ...summary(onDocker), rtoMs: rtoOf(onDocker) }, external: { ...summary(external), rtoMs: rtoOf(external) } };
    console.log(`external vs docker runtime: ${JSON.stringify(report, null, 2)}`);
    expect(external.runtime).toBe('external');
    expect(external.error).toBeNull();
    expect(external.faults.map((f) => [f.name, f.error, f.revertError])).toEqual([['blackout', null, null]]);
    expect(external.verdict).toBe(onDocker.verdict);
    expect(external.verdict).toBe('passed');
    expect(external.residue).toEqual([]);
    expect(external.ledger!.counts.lost).toBe(0);
    // The controller is the system's own, reached at its URL: the failover is in the figures.
    expect(external.controllerEvents.map((e) => e.type)).toEqual(expect.arrayContaining(['detect', 'promote', 'switch']));
    expect(external.notes).toBeUndefined();
    const [rtoExternal, rtoDocker] = [rtoOf(external), rtoOf(onDocker)];
    expect(rtoExternal).not.toBeNull();
    expect(rtoDocker).not.toBeNull();
    expect(Math.abs(rtoExternal! - rtoDocker!)).toBeLessThanOrEqual(withEstate({}).recovery.window + 1000);

    // The hooks ran, and the site is back: every container of the system runs.
    expect(lines.join('\n')).toMatch(/apply power cut at dc1/);
    const states = spawnSync('docker', ['ps', '-a', '--filter', `name=${system.prefix}-`, '--format', '{{.Names}} {{.State}}'], { encoding: 'utf8' }).stdout.trim().split('\n').sort();
    expect(states).toHaveLength(11);
    expect(states.filter((s) => !s.endsWith(' running'))).toEqual([]);
  });
});
