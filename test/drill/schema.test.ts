import { parseDrill } from '../../harness/drill/load';
import { parseDuration, parseRate } from '../../model/units';
import { plan } from '../../harness/drill_commands';
import { drillProblems as problems } from '../helpers/drill';
import { loadDrill } from '../../harness/drill/load';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

describe('durations and rates', () => {
  it.each([
    ['500ms', 500],
    ['15s', 15_000],
    ['2m', 120_000],
    ['1.5s', 1500],
    ['1h', 3_600_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['15', '15 sec', '-1s', 's', ''])('%j is refused', (text) => expect(() => parseDuration(text)).toThrow(/not a duration/));
  it('rates per second and per minute', () => {
    expect(parseRate('200/s')).toBe(200);
    expect(parseRate('600/m')).toBe(10);
    expect(() => parseRate('200')).toThrow(/not a rate/);
    expect(() => parseRate('0/s')).toThrow(/above 0/);
  });
});

const MINIMAL = `name: t
load:
  rate: 10/s
  duration: 10s
`;


describe('drill files', () => {
  it('fills defaults: estate, recovery, warm-up', () => {
    const d = parseDrill(MINIMAL);
    expect(d.load).toMatchObject({ executor: 'constant-arrival-rate', rate: 10, duration: 10_000, warmup: 2000 });
    expect(d.estate).toMatchObject({ runtime: 'process', replication: { mode: 'sync' } });
    expect(d.recovery).toEqual({ windows: 5, window: 1000, success_ratio: 0.99, p95_factor: 3 });
  });

  it('reports every problem with file, line, column and field path', () => {
    const text = [
      'name: t', //                                  1
      'load:', //                                    2
      '  rate: 10/s', //                             3
      '  duration: 10s', //                          4
      'faults:', //                                  5
      '  - at: 3s', //                               6
      '    power_cut: { site: dc9 }', //             7
      '    restore_afterr: 5s', //                   8
      'gates:', //                                   9
      '  - { metric: rto_ms, maxx: 100 }', //       10
    ].join('\n');
    const found = problems(text);
    const byPath = Object.fromEntries(found.map((p) => [p.path, p]));
    expect(byPath['faults.0.power_cut.site']).toMatchObject({ file: 'drill.yaml', line: 7, message: expect.stringMatching(/dc1.*dc2/) });
    expect(byPath['faults.0.restore_afterr']).toMatchObject({ line: 8, message: 'unknown key "restore_afterr"' });
    expect(byPath['gates.0.maxx']).toMatchObject({ line: 10, message: 'unknown key "maxx"' });
  });

  it('a typo in a gate is an error, never a silently disabled gate', () => {
    const found = problems(MINIMAL + 'gates:\n  - { metric: lost_write, max: 0 }\n');
    expect(found[0]).toMatchObject({ line: 6, path: 'gates.0.metric' });
  });

  it('checks the schedule against the load and names of faults in gates', () => {
    const found = problems(MINIMAL + 'faults:\n  - { at: 12s, freeze: { component: dc1-san } }\n  - { at: 1s, freeze: { component: dc1-san } }\ngates:\n  - { metric: rto_ms, max: 1, fault: nope }\n');
    expect(found.map((p) => `${p.path}@${p.line}`)).toEqual(expect.arrayContaining(['faults.0.at@6', 'faults.1.at@7', 'gates.0.fault@9']));
    expect(found.find((p) => p.path === 'faults.1.at')!.message).toMatch(/warm-up/);
  });

  it('a fault needs exactly one kind, and restore_after only on power cuts', () => {
    const found = problems(MINIMAL + 'faults:\n  - at: 3s\n    freeze: { component: x }\n    power_cut: { site: dc1 }\n  - at: 4s\n    freeze: { component: x }\n    restore_after: 2s\n');
    expect(found.map((p) => p.message)).toEqual(expect.arrayContaining([expect.stringMatching(/exactly one of/), expect.stringMatching(/restore_after applies to power_cut only/)]));
  });

  it('YAML syntax errors carry their line', () => {
    const found = problems('name: t\nload:\n  rate: [10/s\n');
    expect(found[0].line).toBeGreaterThanOrEqual(3);
    expect(found[0].message).toMatch(/^YAML:/);
  });

  it('every shipped drill validates, and its dry run lists every fault in order', () => {
    const dir = join(__dirname, '..', '..', 'drills');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(expect.arrayContaining(['maidstone-san-outage.yaml', 'backup-does-not-come-up.yaml', 'async-replication-loss.yaml', 'network-latency.yaml', 'failback.yaml']));
    for (const f of files) {
      const drill = loadDrill(join(dir, f));
      const text = plan(drill);
      for (const [i, fault] of drill.faults.entries()) expect(text).toContain(`apply ${fault.name ?? `fault-${i}`}`);
      const times = [...text.matchAll(/t=\s*([\d.]+)s/g)].map((m) => Number(m[1]));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      // The estate: the built-in one by its settings, a file by its path, sites and parameters.
      const estate = text.split('\n')[1];
      if (drill.estate.file === undefined) expect(estate).toMatch(/^estate: runtime process, the built-in regional estate, replication (sync|async)/);
      else expect(estate).toBe(`estate: runtime process, file ${drill.estate.file}; sites dc1, dc2, witness (witness)${drill.estate.parameters ? `; parameters ${Object.entries(drill.estate.parameters).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}`);
    }
  });
});
