import { readFileSync } from 'node:fs';
import { FileProblemsError, type FileProblem } from '../../lib/located_yaml';
import { parseEstateConfig } from '../../services/estate/config';
import { configValues } from '../../services/estate/config_refs';
import { loadEstateFile, parseEstateFile, render } from '../../services/estate/estate_file';
import { REGIONAL_ESTATE_FILE } from '../../services/estate/regional';
import { allocatePorts, plannedEndpoints, plannedSiteLinks } from '../../services/runtime/planned';

/** The built-in regional estate as an estate file (estates/regional.yaml, docs/ARCHITECTURE.md § 11). */
describe('the regional estate file', () => {
  const plan = loadEstateFile(REGIONAL_ESTATE_FILE);

  it('has the regional layout: 10 components and 11 links, the SAN before its apps', () => {
    expect(plan.sites).toEqual(['dc1', 'dc2']);
    expect(plan.components.map((c) => [c.name, c.site ?? null, c.role]).sort()).toEqual(
      [
        ...['dc1', 'dc2'].flatMap((s) => [[`${s}-san`, s, 'storage'], ...['pas', 'booking', 'theatre'].map((a) => [`${s}-${a}`, s, 'app'])]),
        ['controller', null, 'control'],
        ['frontdoor', null, 'entry'],
      ].sort(),
    );
    expect(plan.links.map((l) => l.name)).toEqual(['frontdoor', 'heartbeat', 'replication', 'dc1-san', 'dc2-san', 'dc1-pas', 'dc1-booking', 'dc1-theatre', 'dc2-pas', 'dc2-booking', 'dc2-theatre']);
    expect(plan.links.filter((l) => l.repointed).map((l) => l.name)).toEqual(['heartbeat', 'replication']);
    expect(plan.startOrder).toEqual([
      ['dc1-san', 'dc2-san', 'controller', 'frontdoor'],
      ['dc1-pas', 'dc2-pas', 'dc1-booking', 'dc2-booking', 'dc1-theatre', 'dc2-theatre'],
    ]);
  });

  it("a site's faults act on its own links, never on the ones the controller re-points", () => {
    const links = plannedSiteLinks(plan);
    expect(links('dc1')).toEqual({ power: ['dc1-pas', 'dc1-booking', 'dc1-theatre', 'dc1-san'], storage: ['dc1-san'] });
    expect(links('dc2')).toEqual({ power: ['dc2-pas', 'dc2-booking', 'dc2-theatre', 'dc2-san'], storage: ['dc2-san'] });
  });

  it('ports from a base keep the layout the regional estate always had; the endpoints name the controller, SANs and apps', async () => {
    const config = parseEstateConfig({ ports: { base: 21000 } });
    const p = await allocatePorts(plan, config, [20000, 30000]);
    expect([p.apiPort, p.ports.controller.http, p.ports.frontdoor.http]).toEqual([21000, 21001, 21002]);
    expect(p.ports['dc1-san']).toEqual({ app: 21003, replication: 21004, admin: 21005 });
    expect([p.ports['dc1-pas'].http, p.ports['dc1-theatre'].http, p.ports['dc2-san'].app]).toEqual([21006, 21008, 21009]);
    expect([p.linkPorts.frontdoor, p.linkPorts['dc2-theatre']]).toEqual([21015, 21025]);
    const e = plannedEndpoints(plan, '127.0.0.1', p);
    expect(e).toMatchObject({
      controller: 'http://127.0.0.1:21001',
      frontdoorAdmin: 'http://127.0.0.1:21002',
      services: { booking: 'http://127.0.0.1:21015/booking' },
      sites: { dc1: { sanAdmin: 'http://127.0.0.1:21005', apps: { pas: 'http://127.0.0.1:21006' } } },
    });
  });

  it("renders the drill's estate settings into the components' options (${config:K}), the proxy API (${proxy})", async () => {
    const config = parseEstateConfig({ replication: { mode: 'async' }, failover: { heartbeat_ms: 100, detect_after: 3, promotion: 'broken' } });
    const p = await allocatePorts(plan, parseEstateConfig({ ports: { base: 21000 } }), [20000, 30000]);
    const at = (name: string) =>
      render(plan, plan.components.find((c) => c.name === name)!, {
        ports: p.ports,
        linkPorts: p.linkPorts,
        proxyHost: 'proxy-host',
        proxyApiPort: p.apiPort,
        config: configValues(config),
        hostOf: (c) => `${c}-host`,
        bind: '0.0.0.0',
        dataDir: '/data',
        env: {},
      });
    const san = JSON.parse(at('dc2-san').files[0].content);
    expect(san).toMatchObject({ site: 'dc2', dataDir: '/data', replicationTarget: 'proxy-host:21017', replication: { mode: 'async' }, leaseMs: 300, controllerUrl: 'http://controller-host:21001' });
    const controller = JSON.parse(at('controller').files[0].content);
    expect(controller).toMatchObject({ proxyApi: 'http://proxy-host:21000', promotion: 'broken', heartbeatMs: 100, detectAfter: 3, frontdoorAdmin: 'http://frontdoor-host:21002' });
    expect(controller.sites.dc1).toEqual({ sanAdmin: 'http://dc1-san-host:21005', heartbeatUpstream: 'dc1-pas-host:21006', replicationUpstream: 'dc1-san-host:21004' });
    expect(at('dc1-booking').dockerCommand).toEqual(['app', '@/data/options.json']);
  });

  it('an unknown setting, or an endpoint at a component that does not exist, is an error at its file:line:col', () => {
    const text = readFileSync(REGIONAL_ESTATE_FILE, 'utf8')
      .replace('${config:failover.lease_ms}', '${config:failover.lease}')
      .replace('controller: controller:http', 'controller: controler:http');
    let problems: FileProblem[] = [];
    try {
      parseEstateFile(text, 'regional.yaml', '/tmp');
    } catch (e) {
      problems = (e as FileProblemsError).problems;
    }
    const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    expect(problems.map((p) => [p.line, p.path, p.message.split(' (')[0]])).toEqual([
      [expect.any(Number), 'components.0.files.options.json', '${config:failover.lease}: no setting "failover.lease"'],
      [expect.any(Number), 'components.0.files.options.json', '${config:failover.lease}: no setting "failover.lease"'],
      [lineOf('controller: controler:http'), 'endpoints.controller', 'no component "controler"'],
    ]);
  });
});
