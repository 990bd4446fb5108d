import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregateSchema } from '../../model/aggregate';
import { resultSchema } from '../../model/result';
import { childrenNamed, parseXml } from '../reports/xml_parse';
import { processesMentioning, runCli } from '../helpers/drill';

jest.setTimeout(240_000);

/** Short on purpose: 6 s of load, the client link down for 1 s; 4 runs of about 9 s each. */
const DRILL = `name: tiny-repeat
seed: 7
load: { rate: 20/s, duration: 6s, warmup: 1s, timeout: 2s }
faults:
  - { name: door-down, at: 2s, network: { link: frontdoor, toxic: down }, duration: 1s }
recovery: { windows: 2, window: 500ms, success_ratio: 0.95, max_p95: 1s }
settle: 500ms
gates:
  - { metric: rto_ms, max: 8000 }
  - { metric: rto_ms, stat: p90, max: 8000 }
  - { metric: lost_writes, max: 0 }
`;

describe('blackstart drill --repeat --rates (docs/ARCHITECTURE.md § 7.14)', () => {
  it('runs the drill twice at each rate, each with its own reports, and writes the aggregate in all four formats', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-repeat-'));
    writeFileSync(join(cwd, 'tiny.yaml'), DRILL);
    const out = join(cwd, 'out');
    const cli = runCli(['drill', 'tiny.yaml', '--repeat', '2', '--rates', '40,20', '--out', out], cwd);
    const code = await cli.exited;
    const output = cli.output();
    expect([code, output.slice(-3000)]).toEqual([0, expect.stringContaining('blackstart drill tiny-repeat, 2 rates (20/s, 40/s) x 2 runs: PASSED (exit 0)')]);
    expect(processesMentioning(out)).toEqual([]);

    const a = aggregateSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(a.plan).toMatchObject({ repeat: 2, rates: [20, 40] });
    expect(a.runs.map((r) => [r.rate, r.k, r.seed, r.dir, r.verdict])).toEqual([
      [20, 1, 7, 'rate-20/run-1', 'passed'],
      [20, 2, 8, 'rate-20/run-2', 'passed'],
      [40, 1, 7, 'rate-40/run-1', 'passed'],
      [40, 2, 8, 'rate-40/run-2', 'passed'],
    ]);
    expect(a.sweep).toEqual({ firstFailingRate: null, failedGates: [] });
    for (const g of a.groups) {
      const rto = g.faults.find((f) => f.fault === 'door-down')!.scopes.find((s) => s.service === 'all')!.rto;
      expect([rto.n, rto.missing]).toEqual([2, 0]);
      // The link was down for 1 s: RTO is about that (request resolution, § 7.4).
      expect(rto.min!).toBeGreaterThan(900);
      expect(rto.max!).toBeLessThan(3000);
      expect(g.gates.map((x) => [x.stat, x.n, x.passed])).toEqual([['p90', 2, true]]);
      expect(g.lostWrites.samples.map((s) => s.value)).toEqual([0, 0]);
    }

    // Each run keeps its own reports; the statistic gate is left to the aggregate.
    for (const r of a.runs) {
      const dir = join(out, r.dir);
      for (const f of ['result.json', 'junit.xml', 'summary.md', 'report.html', 'journal.jsonl']) expect([r.dir, f, existsSync(join(dir, f))]).toEqual([r.dir, f, true]);
      const run = resultSchema.parse(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')));
      expect(run.drill.seed).toBe(r.seed);
      expect(run.load.scheduled).toBe(r.rate! * 6);
      expect(run.gates.map((g) => g.name)).toEqual(['rto_ms <= 8000 (all services, door-down)', 'lost_writes <= 0 (all services)']);
      expect(run.aggregateGates!.map((g) => [g.name, g.stat])).toEqual([['rto_ms p90 <= 8000 (all services, door-down)', 'p90']]);
      expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('<skipped message="judged on the aggregate"/>');
    }

    const junit = parseXml(readFileSync(join(out, 'junit.xml'), 'utf8'));
    expect(childrenNamed(junit, 'testsuite').map((s) => s.attrs.name)).toEqual(['tiny-repeat @ 20/s', 'tiny-repeat @ 40/s', 'tiny-repeat aggregate']);
    expect(junit.attrs).toMatchObject({ tests: '7', failures: '0', errors: '0' });
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toContain('## Against the offered rate');
    expect(md).toContain('No gate failed at any rate.');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.split('<svg class="rate-chart"').length - 1).toBe(5);
    expect(html.split('<svg class="strip"').length - 1).toBe(2);
    expect(html).not.toContain('<script');
    // A sweep's runs are not added to the run history (other rates would read as regressions).
    expect(existsSync(join(cwd, 'blackstart-reports', 'history.jsonl'))).toBe(false);
  });
});
