import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeFault, parseDrill } from '../../harness/drill/load';
import { plan } from '../../harness/drill_commands';
import { aimOf, nameAt, roleForms, specAt, type FaultSpec } from '../../model/faults';
import { resultSchema } from '../../model/result';
import { estateNames } from '../../services/estate/topology';
import { drillProblems as problems, runCli } from '../helpers/drill';
import { drillResult } from '../reports/fixture';
import { summaryMarkdown } from '../../reports/markdown';
import { terminalSummary } from '../../reports/terminal';

/**
 * Fault targets by role (docs/ARCHITECTURE.md § 5): `site: active`, `site: standby`, and role forms
 * of a site's parts (`active-san`, `standby-booking`) in a drill file; resolved when the fault is
 * applied (test/chaos/targets.test.ts does that on a live estate).
 */

const drillWith = (...faults: string[]) => ['name: t', 'load:', '  rate: 10/s', '  duration: 10s', 'faults:', ...faults.map((f) => `  - ${f}`), ''].join('\n');
const columnOf = (text: string, line: number, needle: string) => text.split('\n')[line - 1].indexOf(needle) + 1;

describe('roles in a drill file', () => {
  it('site: active / standby are accepted where a site is, and role forms of a per-site component or link', () => {
    const drill = parseDrill(
      drillWith(
        '{ at: 3s, power_cut: { site: active }, restore_after: 2s }',
        '{ at: 4s, power_flap: { site: standby, times: 2, every: 1s } }',
        '{ at: 5s, storage_cut: { site: active, mode: hang }, duration: 1s }',
        '{ at: 6s, freeze: { component: standby-booking }, duration: 1s }',
        '{ at: 7s, network: { link: active-san, toxic: latency, attributes: { latency: 100 } }, duration: 1s }',
      ),
    );
    expect(drill.faults.map((f) => f.power_cut?.site ?? f.power_flap?.site ?? f.storage_cut?.site ?? f.freeze?.component ?? f.network?.link)).toEqual([
      'active',
      'standby',
      'active',
      'standby-booking',
      'active-san',
    ]);
  });

  it('fixed names keep working and aim at no role', () => {
    const drill = parseDrill(drillWith('{ at: 3s, power_cut: { site: dc1 } }', '{ at: 4s, freeze: { component: dc2-san } }', '{ at: 5s, network: { link: heartbeat, toxic: down } }'));
    expect(drill.faults.map((f) => f.power_cut?.site ?? f.freeze?.component ?? f.network?.link)).toEqual(['dc1', 'dc2-san', 'heartbeat']);
  });

  it('an unknown site role is an error at its value, listing the sites and the roles', () => {
    const text = drillWith('{ at: 3s, power_cut: { site: leader } }');
    expect(problems(text)).toEqual([
      {
        file: 'drill.yaml',
        line: 6,
        column: columnOf(text, 6, 'leader'),
        path: 'faults.0.power_cut.site',
        message: 'no site "leader" in the estate (sites: dc1, dc2; roles, resolved when applied: active, standby)',
      },
    ]);
  });

  it('a role the estate cannot resolve (a part not at every site) is an error at its value', () => {
    const text = drillWith('{ at: 3s, freeze: { component: active-controller } }', '{ at: 4s, network: { link: standby-heartbeat, toxic: down } }');
    const found = problems(text);
    expect(found.map((p) => [p.path, p.line, p.column])).toEqual([
      ['faults.0.freeze.component', 6, columnOf(text, 6, 'active-controller')],
      ['faults.1.network.link', 7, columnOf(text, 7, 'standby-heartbeat')],
    ]);
    expect(found[0].message).toBe(
      'cannot resolve component "active-controller": "controller" is not a component of every site (roles: active-san, active-pas, active-booking, active-theatre, standby-san, standby-pas, standby-booking, standby-theatre)',
    );
    expect(found[1].message).toMatch(/^cannot resolve link "standby-heartbeat": "heartbeat" is not a link of every site \(roles: active-san, /);
  });

  it('blackstart validate refuses an unknown role with file:line:col, exit 2', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-roles-'));
    const text = drillWith('{ at: 3s, storage_cut: { site: primary, mode: hang } }');
    writeFileSync(join(cwd, 'bad.yaml'), text);
    const cli = runCli(['validate', 'bad.yaml'], cwd);
    expect(await cli.exited).toBe(2);
    expect(cli.output().trim().split('\n')).toEqual([
      `bad.yaml:6:${columnOf(text, 6, 'primary')}: faults.0.storage_cut.site: no site "primary" in the estate (sites: dc1, dc2; roles, resolved when applied: active, standby)`,
      'bad.yaml: 1 problem(s); nothing was run',
    ]);
  }, 60_000);

  it('the dry run shows a role as a role, resolved when applied', () => {
    const drill = parseDrill(drillWith('{ name: flap, at: 3s, power_flap: { site: active, times: 2, every: 1s } }', '{ name: fix, at: 5s, power_cut: { site: dc2 } }', '{ name: back, at: 7s, failback: {} }'));
    const text = plan(drill);
    expect(text).toContain('apply flap: power_flap site=active (resolved when applied) times=2 every=1000, each cut restored');
    expect(text).toContain('apply fix: power_cut site=dc2, until the load ends');
    // A failback is one switchover: nothing stays applied.
    expect(text.split('\n')).toContain('  t=   7.0s  apply back: failback');
  });
});

describe('resolving a role', () => {
  const roles = { active: 'dc2', standby: 'dc1' } as const;

  it('the role forms are the per-site parts every site has', () => {
    const names = estateNames();
    expect(roleForms(names.components, names.servingSites)).toEqual([
      'active-san',
      'active-pas',
      'active-booking',
      'active-theatre',
      'standby-san',
      'standby-pas',
      'standby-booking',
      'standby-theatre',
    ]);
    expect(roleForms(names.links, names.servingSites)).toEqual(roleForms(names.components, names.servingSites));
  });

  it('only active where one site serves, none where none does; parts every serving site has', () => {
    expect(roleForms(['a-san', 'b-san', 'c-san', 'a-pas'], ['a', 'b', 'c'])).toEqual(['active-san']);
    expect(roleForms(['a-san', 'b-san', 'a-pas'], ['a', 'b'])).toEqual(['active-san', 'standby-san']);
    expect(roleForms(['a-san'], [])).toEqual([]);
  });

  it('a spec aimed at a role becomes the spec of the site that plays it; fixed names are unchanged', () => {
    const cut: FaultSpec = { kind: 'storage_cut', spec: { site: 'active', mode: 'hang' } };
    expect(aimOf(cut)).toEqual({ field: 'site', role: 'active' });
    expect(specAt(cut, roles)).toEqual({ kind: 'storage_cut', spec: { site: 'dc2', mode: 'hang' } });
    const freeze: FaultSpec = { kind: 'freeze', spec: { component: 'standby-san' } };
    expect(aimOf(freeze)).toEqual({ field: 'component', role: 'standby-san' });
    expect(specAt(freeze, roles)).toEqual({ kind: 'freeze', spec: { component: 'dc1-san' } });
    expect(nameAt('active-booking', roles)).toBe('dc2-booking');
    const fixed: FaultSpec = { kind: 'network', spec: { link: 'dc1-san', toxic: 'down', attributes: {}, stream: 'downstream', toxicity: 1 } };
    expect(aimOf(fixed)).toBeNull();
    expect(specAt(fixed, roles)).toEqual(fixed);
    expect(aimOf({ kind: 'failback', spec: {} })).toBeNull();
  });

  it('result.json says where a role struck; the reports show it', () => {
    const drill = parseDrill(drillWith('{ name: hang, at: 3s, storage_cut: { site: active, mode: hang }, duration: 2s }'));
    const target = { field: 'site' as const, role: 'active', hit: 'dc2', active: 'dc2', epoch: 2 };
    expect(describeFault(drill.faults[0], 0, target)).toBe('hang: storage_cut site=active (hit dc2) mode=hang, for 2000 ms');
    const result = drillResult();
    result.faults[0] = { ...result.faults[0], kind: 'storage_cut', description: describeFault(drill.faults[0], 0, target), target };
    expect(resultSchema.parse(result).faults[0].target).toEqual(target);
    expect(terminalSummary(result, { outDir: '/tmp/x' })).toContain('power-cut (storage_cut, site=active: hit dc2) applied');
    expect(summaryMarkdown(result)).toContain('(storage_cut, site=active: hit dc2)');
    // A result written before targets existed still reads.
    const { target: _, ...older } = result.faults[0];
    expect(resultSchema.parse({ ...result, faults: [older] }).faults[0].target).toBeUndefined();
  });
});
