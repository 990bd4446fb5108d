import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDrill } from '../../harness/drill/load';
import { TOXICS } from '../../model/toxics';
import { toxicTypes } from '../../proxy/toxics';
import { estateNames, proxyNames } from '../../services/estate/topology';
import { drillProblems as problems, runCli } from '../helpers/drill';

/**
 * A drill file is checked against the fault specs of the model (one declaration for the drill
 * file and chaos/), the toxic registry (the proxy's own attribute schemas) and the estate's names.
 */

const DRILLS = resolve(__dirname, '..', '..', 'drills');

const drillWith = (...faults: string[]) => ['name: t', 'load:', '  rate: 10/s', '  duration: 10s', 'faults:', ...faults.map((f) => `  - ${f}`), ''].join('\n');


/** The 1-based column of `needle` in line `line` (1-based) of `text`. */
const columnOf = (text: string, line: number, needle: string) => text.split('\n')[line - 1].indexOf(needle) + 1;

const network = (attributes: string, toxic = 'latency', link = 'frontdoor') => `{ at: 3s, network: { link: ${link}, toxic: ${toxic}, attributes: ${attributes} }, duration: 2s }`;

describe('network fault attributes: the proxy toxic schemas, strict', () => {
  it('an unknown attribute is an error at its key, naming the toxic and its attributes', () => {
    const text = drillWith(network('{ latncy: 500 }'));
    expect(problems(text)).toEqual([
      { file: 'drill.yaml', line: 6, column: columnOf(text, 6, 'latncy'), path: 'faults.0.network.attributes.latncy', message: 'unknown attribute of latency (latency, jitter)' },
    ]);
  });

  it('a wrong type is an error at the value', () => {
    const text = drillWith(network('{ latency: "500" }'), network('{ rate: 1.5 }', 'bandwidth'), network('{ latency: [1] }'));
    const found = problems(text);
    expect(found.map((p) => [p.path, p.line, p.message])).toEqual([
      ['faults.0.network.attributes.latency', 6, 'must be an integer, got "500"'],
      ['faults.1.network.attributes.rate', 7, 'must be an integer, got 1.5'],
      ['faults.2.network.attributes.latency', 8, 'must be an integer, got [1]'],
    ]);
    expect(found[0].column).toBe(columnOf(text, 6, '"500"'));
  });

  it('a negative or out-of-range value is an error', () => {
    const found = problems(drillWith(network('{ latency: -5 }'), network('{ average_size: 0 }', 'slicer')));
    expect(found.map((p) => [p.path, p.message])).toEqual([
      ['faults.0.network.attributes.latency', 'must not be negative, got -5'],
      ['faults.1.network.attributes.average_size', 'must be at least 1 (0 crashes Toxiproxy)'],
    ]);
  });

  it('omitted attributes are 0, as the proxy fills them: a slicer needs its average_size', () => {
    expect(parseDrill(drillWith(network('{ jitter: 10 }'))).faults[0].network!.attributes).toEqual({ jitter: 10 });
    expect(problems(drillWith(network('{ delay: 5 }', 'slicer'))).map((p) => p.path)).toEqual(['faults.0.network.attributes.average_size']);
  });

  it('down is no toxic: it takes no attributes', () => {
    expect(parseDrill(drillWith('{ at: 3s, network: { link: dc1-pas, toxic: down } }')).faults[0].network).toMatchObject({ toxic: 'down', attributes: {} });
    const found = problems(drillWith(network('{ latency: 5 }', 'down')));
    expect(found.map((p) => [p.path, p.message])).toEqual([['faults.0.network.attributes.latency', 'down takes no attributes']]);
  });

  it('the proxy and the drill file use one registry', () => {
    expect([...toxicTypes.keys()].sort()).toEqual(TOXICS.map((t) => t.type).sort());
    for (const t of TOXICS) {
      const behaviour = toxicTypes.get(t.type)!;
      expect([behaviour.attributeNames, behaviour.schema]).toEqual([t.attributeNames, t.schema]);
    }
  });
});

describe("names of the estate's parts", () => {
  it('come from the estate: every link is a proxy of the topology', () => {
    const names = estateNames();
    expect(names.links).toEqual(proxyNames());
    expect(names.links).toEqual(expect.arrayContaining(['frontdoor', 'heartbeat', 'replication', 'dc1-san', 'dc2-san', 'dc1-pas']));
    expect(names.components).toEqual(expect.arrayContaining(['proxy', 'controller', 'frontdoor', 'dc2-san', 'dc2-theatre']));
    expect(names.sites).toEqual(['dc1', 'dc2']);
  });

  it('an unknown link is an error at its value, listing the links', () => {
    const text = drillWith(network('{ latency: 500 }', 'latency', 'frontdor'));
    expect(problems(text)).toEqual([
      {
        file: 'drill.yaml',
        line: 6,
        column: columnOf(text, 6, 'frontdor'),
        path: 'faults.0.network.link',
        message: `no link "frontdor" in the estate (links: ${proxyNames().join(', ')})`,
      },
    ]);
  });

  it('an unknown component is an error', () => {
    const found = problems(drillWith('{ at: 3s, freeze: { component: dc3-pas } }', '{ at: 4s, freeze: { component: dc1-pas } }'));
    expect(found.map((p) => [p.path, p.line])).toEqual([['faults.0.freeze.component', 6]]);
    expect(found[0].message).toMatch(/^no component "dc3-pas" in the estate \(components: proxy, dc1-san, .*frontdoor\)$/);
  });

  it('an unknown site is an error', () => {
    const found = problems(drillWith('{ at: 3s, storage_cut: { site: dc3, mode: hang } }', '{ at: 3s, power_cut: { site: DC1 } }'));
    expect(found.map((p) => [p.path, p.message])).toEqual([
      ['faults.0.storage_cut.site', 'no site "dc3" in the estate (sites: dc1, dc2; roles, resolved when applied: active, standby)'],
      ['faults.1.power_cut.site', 'no site "DC1" in the estate (sites: dc1, dc2; roles, resolved when applied: active, standby)'],
    ]);
  });

  it("an estate's own sites: three that serve take `active` but not `standby` (the other of two)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'blackstart-sites-'));
    const estate = join(dir, 'estate.yaml');
    writeFileSync(
      estate,
      [
        'name: three',
        'sites: [north, south, east]',
        'components:',
        '  - { name: app, per_site: true, role: app, ports: { http: auto }, process: { command: node, args: [app.js] }, health: { http: { port: http } } }',
        'links:',
        '  - { name: "${site}-app", per_site: true, to: "${site}-app:http" }',
        'entry: { link: north-app, services: { pas: /pas } }',
        '',
      ].join('\n'),
    );
    const text = (...faults: string[]) => drillWith(...faults).replace('faults:', `estate: { file: ${estate} }\nfaults:`);
    expect(parseDrill(text('{ at: 3s, power_cut: { site: east } }', '{ at: 4s, power_cut: { site: active } }', '{ at: 5s, freeze: { component: active-app } }')).faults).toHaveLength(3);
    const found = problems(text('{ at: 3s, power_cut: { site: standby } }', '{ at: 4s, freeze: { component: standby-app } }', '{ at: 5s, power_cut: { site: dc1 } }'));
    expect(found.map((p) => [p.path, p.message])).toEqual([
      ['faults.0.power_cut.site', 'cannot resolve site standby: standby is the other of two serving sites, and the estate serves from north, south, east (name the site)'],
      ['faults.1.freeze.component', 'cannot resolve component "standby-app": standby is the other of two serving sites, and the estate serves from north, south, east (name the component)'],
      ['faults.2.power_cut.site', 'no site "dc1" in the estate (sites: north, south, east; roles, resolved when applied: active)'],
    ]);
  });

  it('every problem is reported together, schema and estate alike', () => {
    const found = problems(drillWith(network('{ latncy: 500 }'), network('{ latency: 500 }', 'latency', 'frontdor'), '{ at: 3s, freeze: { component: nope } }'));
    expect(found.map((p) => p.path)).toEqual(['faults.0.network.attributes.latncy', 'faults.1.network.link', 'faults.2.freeze.component']);
  });
});

describe('durations in the fault specs', () => {
  it('power_flap every is at least 100 ms (the fault spec, now enforced in drill files)', () => {
    const found = problems(drillWith('{ at: 3s, power_flap: { site: dc2, times: 2, every: 50ms } }'));
    expect(found.map((p) => [p.path, p.line, p.message])).toEqual([['faults.0.power_flap.every', 6, '"50ms" is too short: at least 100ms']]);
    expect(parseDrill(drillWith('{ at: 3s, power_flap: { site: dc2, times: 2, every: 100ms } }')).faults[0].power_flap).toEqual({ site: 'dc2', times: 2, every: 100 });
  });

  it('a duration needs its unit; storage_cut latency is one', () => {
    expect(parseDrill(drillWith('{ at: 3s, storage_cut: { site: dc1, mode: slow, latency: 1.5s } }')).faults[0].storage_cut).toEqual({ site: 'dc1', mode: 'slow', latency: 1500 });
    const found = problems(drillWith('{ at: 3s, storage_cut: { site: dc1, mode: slow, latency: 300 } }', '{ at: 3s, power_flap: { site: dc1, times: 2, every: 3 } }'));
    expect(found.map((p) => [p.path, p.message])).toEqual([
      ['faults.0.storage_cut.latency', 'must be a duration string such as "15s"'],
      ['faults.1.power_flap.every', 'must be a duration string such as "15s"'],
    ]);
  });
});

describe('fault names', () => {
  const down = (at: string, name?: string) => `{ ${name ? `name: ${name}, ` : ''}at: ${at}, network: { link: frontdoor, toxic: down }, duration: 1s }`;

  it('two faults of one name are refused at the second, as is a name that takes a default one', () => {
    const text = drillWith(down('3s', 'cut'), down('5s', 'cut'), down('7s'), down('9s', 'fault-2'));
    expect(problems(text).map((p) => [p.line, p.path, p.message])).toEqual([
      [7, 'faults.1.name', 'the name "cut" is fault 0\'s too: each fault needs its own (gates, figures and reports find a fault by its name)'],
      [9, 'faults.3.name', 'the name "fault-2" is fault 2\'s too: each fault needs its own (gates, figures and reports find a fault by its name)'],
    ]);
  });
});

describe('an RTO gate needs recovery windows after its fault', () => {
  const drill = (faults: string[], gates: string[], duration = '20s') =>
    ['name: t', 'load:', '  rate: 10/s', `  duration: ${duration}`, 'faults:', ...faults.map((f) => `  - ${f}`), 'recovery: { windows: 5, window: 1s }', 'gates:', ...gates.map((g) => `  - ${g}`), ''].join('\n');
  const down = (name: string, at: string) => `{ name: ${name}, at: ${at}, network: { link: frontdoor, toxic: down }, duration: 1s }`;

  it('refuses a fault too near the end of the load, or the next fault in time, at the gate\'s line', () => {
    // Listed out of order on purpose: "next" is the next in time.
    const text = drill([down('late', '17s'), down('first', '3s'), down('second', '6s')], ['{ metric: rto_ms, max: 9000 }', '{ metric: lost_writes, max: 0 }']);
    expect(problems(text).map((p) => [p.line, p.path, p.message])).toEqual([
      [
        11,
        'gates.0',
        'rto_ms judges fault first (at 3000 ms), and only 3000 ms of load follow it before fault second (at 6000 ms): recovery needs 5 windows of 1000 ms (5000 ms) of service after the fault, so it could never be judged recovered. Name a later fault in the gate, space the faults further apart, or shorten recovery.windows or recovery.window',
      ],
      [
        11,
        'gates.0',
        'rto_ms judges fault late (at 17000 ms), and only 3000 ms of load follow it before the load ends (20000 ms): recovery needs 5 windows of 1000 ms (5000 ms) of service after the fault, so it could never be judged recovered. Lengthen load.duration, apply the fault earlier, or shorten recovery.windows or recovery.window',
      ],
    ]);
  });

  it('judges only the faults a gate names; faults at one instant: the last of them has the episode', () => {
    const together = [down('a', '3s'), down('b', '3s')];
    expect(parseDrill(drill(together, ['{ metric: rto_ms, max: 9000, fault: b }'])).gates).toHaveLength(1);
    expect(parseDrill(drill(together, ['{ metric: rto_ms, max: 9000, fault: 1 }'])).gates).toHaveLength(1);
    expect(problems(drill(together, ['{ metric: rto_ms, max: 9000, fault: a }'])).map((p) => p.message)).toEqual([expect.stringContaining('rto_ms judges fault a (at 3000 ms), and only 0 ms of load follow it before fault b')]);
    // Other metrics need no windows.
    expect(parseDrill(drill([down('late', '17s')], ['{ metric: time_to_first_success_ms, max: 9000 }', '{ metric: error_rate, max: 0.5 }'])).gates).toHaveLength(2);
  });
});

describe('blackstart validate', () => {
  jest.setTimeout(60_000);

  it('refuses a drill with an unknown attribute and an unknown link: both errors, exit 2', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-validate-'));
    const text = drillWith(network('{ latncy: 500 }'), network('{ latency: 500 }', 'latency', 'frontdor'));
    writeFileSync(join(cwd, 'bad.yaml'), text);
    const cli = runCli(['validate', 'bad.yaml'], cwd);
    expect(await cli.exited).toBe(2);
    const lines = cli.output().trim().split('\n');
    expect(lines).toEqual([
      `bad.yaml:6:${columnOf(text, 6, 'latncy')}: faults.0.network.attributes.latncy: unknown attribute of latency (latency, jitter)`,
      `bad.yaml:7:${columnOf(text, 7, 'frontdor')}: faults.1.network.link: no link "frontdor" in the estate (links: ${proxyNames().join(', ')})`,
      'bad.yaml: 2 problem(s); nothing was run',
    ]);
  });

  it("accepts the README's example drill file, every field in it", () => {
    const readme = readFileSync(resolve(__dirname, '..', '..', 'README.md'), 'utf8');
    const example = /```yaml\n(name: my-drill\n[\s\S]*?)```/.exec(readme);
    expect(example).not.toBeNull();
    const drill = parseDrill(example![1], 'README.md');
    expect([drill.faults.length, drill.gates.length]).toEqual([7, 8]);
  });

  it('accepts every shipped drill', async () => {
    const files = readdirSync(DRILLS).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const cli = runCli(['validate', join(DRILLS, f)], DRILLS);
      expect([f, await cli.exited]).toEqual([f, 0]);
      expect(cli.output()).toContain('valid drill');
    }
  });
});
