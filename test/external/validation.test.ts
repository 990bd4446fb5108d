import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDrill } from '../../harness/drill/load';
import { parseEstateConfig } from '../../services/estate/config';
import { estateNames } from '../../services/estate/topology';
import { startEstate } from '../../services/runtime';
import { drillProblems, runCli } from '../helpers/drill';

/**
 * An external estate in a drill file (services/estate/config.ts): every URL on allowed_hosts
 * (checked when the file is validated), each fault kind with its hooks, variables that exist;
 * the dry run prints every hook and calls none.
 */

const ESTATE = `estate:
  runtime: external
  external:
    allowed_hosts: [vendor.example.org, 127.0.0.1]
    services: { pas: http://vendor.example.org/pas, booking: http://vendor.example.org/booking, theatre: http://vendor.example.org/theatre }
    proxy_clients: true
    controller: http://vendor.example.org:9000
    site_vars: { dc1: { group: hall-a }, dc2: { group: hall-b } }
    hooks:
      power_cut:
        inject: { http: { method: POST, url: "https://vendor.example.org/power/\${group}/off", headers: { Authorization: "Bearer \${env:VENDOR_TOKEN}" }, timeout: 10s } }
        rollback: { http: { method: POST, url: "https://vendor.example.org/power/\${group}/on", headers: { Authorization: "Bearer \${env:VENDOR_TOKEN}" }, timeout: 10s } }
        status: { http: { url: "https://vendor.example.org/power/\${group}", timeout: 2s }, until: { body_contains: "off" }, every: 1s, deadline: 30s }
`;

const drill = (estate: string, ...faults: string[]) =>
  ['name: ext', estate, 'load:', '  rate: 10/s', '  duration: 20s', 'faults:', ...(faults.length ? faults.map((f) => `  - ${f}`) : ['  []']), ''].join('\n');

describe('an external estate, validated', () => {
  it('a valid drill: a power cut by hooks, a network fault on the clients\' link', () => {
    const d = parseDrill(drill(ESTATE, '{ at: 5s, power_cut: { site: dc1 }, restore_after: 5s }', '{ at: 12s, network: { link: frontdoor, toxic: latency, attributes: { latency: 100 } }, duration: 2s }'));
    expect(d.estate.runtime).toBe('external');
    expect(d.estate.external!.hooks.power_cut!.inject.http!.timeout).toBe(10_000);
    expect(estateNames(d.estate)).toEqual({ links: ['frontdoor'], components: ['dc1-san', 'dc1-pas', 'dc1-booking', 'dc1-theatre', 'dc2-san', 'dc2-pas', 'dc2-booking', 'dc2-theatre'], sites: ['dc1', 'dc2'], servingSites: ['dc1', 'dc2'], lacking: { process: [], docker: [] } });
  });

  it('a fault kind without its hook is refused, naming the fault and the missing hook', () => {
    const found = drillProblems(drill(ESTATE, '{ name: san-hang, at: 5s, storage_cut: { site: dc1, mode: hang }, duration: 2s }', '{ at: 9s, freeze: { component: dc2-pas }, duration: 2s }'));
    expect(found.map((p) => [p.path, p.message])).toEqual([
      ['faults.0.storage_cut', 'san-hang: the external estate has no hook for storage_cut: add estate.external.hooks.storage_cut { inject, rollback } (blackstart cannot cut the storage of a system it did not start)'],
      ['faults.1.freeze', 'fault-1: the external estate has no hook for freeze: add estate.external.hooks.freeze { inject, rollback } (blackstart cannot freeze a system it did not start)'],
    ]);
    expect(found[0].line).toBe(20);
  });

  it('a URL off allowed_hosts is refused at its field (services, controller, a hook at a site)', () => {
    // The power API's host is a site variable: dc2's is not on the list.
    const text = drill(
      ESTATE.replace('controller: http://vendor.example.org:9000', 'controller: http://prod.example.org:9000')
        .replace('site_vars: { dc1: { group: hall-a }, dc2: { group: hall-b } }', 'site_vars: { dc1: { api: vendor.example.org }, dc2: { api: prod.example.org } }')
        .replaceAll('https://vendor.example.org/power/${group}', 'https://${api}/power'),
    );
    const found = drillProblems(text);
    expect(found.map((p) => [p.path, p.message])).toEqual([
      ['estate.external.controller', 'refused: http://prod.example.org:9000: host prod.example.org:9000 is not on allowed_hosts (vendor.example.org, 127.0.0.1)'],
      ...[
        ['inject', '/off'],
        ['rollback', '/on'],
        ['status', ''],
      ].map(([part, path]) => [
        `estate.external.hooks.power_cut.${part}.http.url`,
        `refused at dc2: https://prod.example.org/power${path}: host prod.example.org is not on allowed_hosts (vendor.example.org, 127.0.0.1)`,
      ]),
    ]);
    expect(found[0].line).toBe(8);
  });

  it('a variable no one fills in, a site name that is not one, services on several origins behind the proxy', () => {
    const bad = ESTATE.replace('${group}/off', '${rack}/off').replace('sites_placeholder', '').replace('booking: http://vendor.example.org/booking', 'booking: http://127.0.0.1:8080/booking');
    const found = drillProblems(drill(bad + '    sites: [dc1, DC-3]\n'));
    expect(found.map((p) => `${p.path}: ${p.message}`)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^estate.external.sites.1: a site name is lower-case letters and digits, starting with a letter/),
      ]),
    );
    // The system's own site names: variables for a site it does not declare are refused.
    const ownSites = drillProblems(drill(ESTATE.replace('sites_placeholder', '') + '    sites: [maidstone, dartford]\n'));
    expect(ownSites.map((p) => `${p.path}: ${p.message}`)).toEqual(expect.arrayContaining(['estate.external.site_vars.dc1: dc1 is not one of sites (maidstone, dartford)']));
    const found2 = drillProblems(drill(bad));
    expect(found2.map((p) => `${p.path}: ${p.message}`)).toEqual([
      "estate.external.proxy_clients: the clients' proxy is one link: every service must be on one origin (found http://vendor.example.org, http://127.0.0.1:8080)",
      'estate.external.hooks.power_cut.inject.http.url: ${rack}: no such variable for a power_cut hook (fault, group, site; or ${env:NAME})',
    ]);
  });

  it('without a controller: failback and roles refused; without the proxy: no link for a network fault', () => {
    const noController = ESTATE.replace('    controller: http://vendor.example.org:9000\n', '').replace('proxy_clients: true', 'proxy_clients: false');
    const found = drillProblems(
      drill(noController, '{ at: 5s, power_cut: { site: active }, restore_after: 3s }', '{ at: 10s, failback: {} }', '{ at: 12s, network: { link: frontdoor, toxic: down }, duration: 1s }'),
    );
    expect(found.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'faults.2.network.link: no link "frontdoor" in the estate (links: )',
      'faults.0.power_cut: fault-0: a target by role (active, standby) needs the failover controller to say which site is active: set estate.external.controller',
      'faults.1.failback: fault-1: a failback needs the failover controller: set estate.external.controller',
    ]);
  });

  it('runtime external needs its block; the block needs runtime external', () => {
    expect(() => parseEstateConfig({ runtime: 'external' })).toThrow(/external: runtime external needs an external block/);
    expect(() => parseEstateConfig({ external: { allowed_hosts: ['a'], services: { pas: 'http://a/', booking: 'http://a/', theatre: 'http://a/' } } })).toThrow(
      /external: an external block applies to runtime: external only \(runtime is process\)/,
    );
  });

  it('start refuses before anything runs when the hooks need an environment variable that is not set', async () => {
    const d = parseDrill(drill(ESTATE));
    delete process.env.VENDOR_TOKEN;
    await expect(startEstate(d.estate, { stateRoot: mkdtempSync(join(tmpdir(), 'blackstart-ext-')) })).rejects.toThrow(
      "the external estate's hooks need environment variables that are not set: VENDOR_TOKEN (estate.external.hooks.power_cut.inject)",
    );
  });

  it('--dry-run prints every hook with its arguments, secrets as ${env:NAME}, in the order it would run them, and calls none', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-ext-dry-'));
    writeFileSync(join(cwd, 'ext.yaml'), drill(ESTATE, '{ name: blackout, at: 5s, power_cut: { site: dc2 }, restore_after: 5s }'));
    const cli = runCli(['drill', 'ext.yaml', '--dry-run'], cwd, { VENDOR_TOKEN: 'not-to-be-printed' });
    expect(await cli.exited).toBe(0);
    const out = cli.output();
    expect(out).not.toContain('not-to-be-printed');
    expect(out).toContain('external system (blackstart starts none of it): sites dc1, dc2; allowed hosts vendor.example.org, 127.0.0.1');
    expect(out).toContain('environment: VENDOR_TOKEN set');
    expect(out).toContain('hooks (dry run: printed with their arguments, none called):');
    const hooks = out.slice(out.indexOf('  blackout: power_cut at dc2')).split('\n').slice(0, 6);
    expect(hooks).toEqual([
      '  blackout: power_cut at dc2',
      `    1. journal       POST https://vendor.example.org/power/hall-b/on -H 'Authorization: Bearer \${env:VENDOR_TOKEN}'; timeout 10000 ms, expect any 2xx`,
      '                     (the rollback above is written to the journal before the inject runs)',
      `    2. inject        POST https://vendor.example.org/power/hall-b/off -H 'Authorization: Bearer \${env:VENDOR_TOKEN}'; timeout 10000 ms, expect any 2xx`,
      '    3. status        GET https://vendor.example.org/power/hall-b; timeout 2000 ms; until output contains "off", every 1000 ms, deadline 30000 ms',
      `    4. rollback      POST https://vendor.example.org/power/hall-b/on -H 'Authorization: Bearer \${env:VENDOR_TOKEN}'; timeout 10000 ms, expect any 2xx`,
    ]);
  });
});
