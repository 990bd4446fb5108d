import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregateHtml } from '../../reports/aggregate_html';
import { aggregateJunit } from '../../reports/aggregate_junit';
import { aggregateMarkdown } from '../../reports/aggregate_markdown';
import { aggregateTerminal } from '../../reports/aggregate_terminal';
import { writeAggregateReports } from '../../reports/write_aggregate';
import { aggregateSchema } from '../../model/aggregate';
import { aggregateOf, outcome, STAT_GATE } from '../repeat/builders';
import { childrenNamed, parseXml } from './xml_parse';

/** Five runs at the drill's rate: one not recovered, so the statistic gate (p90) fails. */
const repeated = () =>
  aggregateOf([
    outcome({ rto: 1000 }, { k: 1 }),
    outcome({ rto: 1400 }, { k: 2 }),
    outcome({ rto: null, ttfs: null, gatesFailed: ['rto_ms <= 3000 (all services, power-cut)'] }, { k: 3 }),
    outcome({ rto: 1200, lost: 1 }, { k: 4 }),
    outcome({ rto: 1100 }, { k: 5 }),
  ]);

/** A sweep of 3 rates x 2 runs: gates hold at 20/s, fail from 40/s. */
const sweep = () =>
  aggregateOf(
    [
      outcome({ rto: 1000 }, { k: 1, rate: 20 }),
      outcome({ rto: 1100 }, { k: 2, rate: 20 }),
      outcome({ rto: 2500, p99: 900 }, { k: 1, rate: 40 }),
      outcome({ rto: null, gatesFailed: ['rto_ms <= 3000 (all services, power-cut)'] }, { k: 2, rate: 40 }),
      outcome({ rto: null, p99: 5000, fail: 400, gatesFailed: ['rto_ms <= 3000 (all services, power-cut)'] }, { k: 1, rate: 80 }),
      outcome({ rto: null, gatesFailed: ['rto_ms <= 3000 (all services, power-cut)'] }, { k: 2, rate: 80, interrupted: true }),
    ],
    { rates: [20, 40, 80], repeat: 2, abortReason: 'interrupted (SIGINT) during run 6 of 6' },
  );

/** Three runs, two of them with the same note and one with its own. */
function withNotes() {
  const runs = [outcome({ rto: 1000 }, { k: 1 }), outcome({ rto: 1100 }, { k: 2 }), outcome({ rto: 1200 }, { k: 3 })];
  runs[0].result.notes = ['no controller <x>'];
  runs[2].result.notes = ['no controller <x>', 'thin windows'];
  return aggregateOf(runs);
}

describe("the runs' notes in the aggregate's reports", () => {
  it('each text once, with the runs that gave it, in every format; none without notes', () => {
    const a = withNotes();
    expect(a.runs.map((r) => r.notes)).toEqual([['no controller <x>'], [], ['no controller <x>', 'thin windows']]);
    const md = aggregateMarkdown(a);
    expect(md).toContain('## Notes');
    expect(md).toContain('- runs 1 and 3: no controller \\<x\\>');
    expect(md).toContain('- run 3: thin windows');
    expect(aggregateHtml(a)).toContain('<ul><li>runs 1 and 3: no controller &lt;x&gt;</li><li>run 3: thin windows</li></ul>');
    expect(aggregateTerminal(a).split('\n')).toEqual(expect.arrayContaining(['Note (runs 1 and 3): no controller <x>', 'Note (run 3): thin windows']));
    const final = childrenNamed(parseXml(aggregateJunit(a)), 'testsuite').find((x) => x.attrs.name.endsWith(' aggregate'))!;
    expect(childrenNamed(final, 'system-out')[0].text).toBe(`${a.headline}\nNote (runs 1 and 3): no controller <x>\nNote (run 3): thin windows`);
    for (const text of [aggregateMarkdown(repeated()), aggregateHtml(repeated()), aggregateTerminal(repeated())]) expect(text).not.toMatch(/Notes?\b/);
  });
});

describe('aggregate reports (repeated runs and sweeps)', () => {
  it('junit.xml: a suite per rate with a case per run and per statistic gate; "runs completed" last', () => {
    const root = parseXml(aggregateJunit(repeated()));
    expect(root.name).toBe('testsuites');
    const suites = childrenNamed(root, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual(['backup-does-not-come-up', 'backup-does-not-come-up aggregate']);
    const cases = childrenNamed(suites[0], 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['run 1 (seed 42)', 'run 2 (seed 43)', 'run 3 (seed 44)', 'run 4 (seed 45)', 'run 5 (seed 46)', STAT_GATE]);
    expect(childrenNamed(cases[2], 'failure')[0].attrs.message).toBe('gates failed: rto_ms <= 3000 (all services, power-cut)');
    expect(childrenNamed(cases[5], 'failure')[0].attrs.message).toBe('1 of 5 runs not recovered: the p90 is not recovered (measured not recovered, limit <= 5000 ms (5 s))');
    expect(suites[0].attrs).toMatchObject({ tests: '6', failures: '2', errors: '0' });
    expect(root.attrs).toMatchObject({ tests: '7', failures: '2', errors: '0' });
    expect(childrenNamed(suites[1], 'testcase')[0].children).toHaveLength(0);

    const s = parseXml(aggregateJunit(sweep()));
    const names = childrenNamed(s, 'testsuite').map((x) => x.attrs.name);
    expect(names).toEqual(['backup-does-not-come-up @ 20/s', 'backup-does-not-come-up @ 40/s', 'backup-does-not-come-up @ 80/s', 'backup-does-not-come-up aggregate']);
    const last = childrenNamed(childrenNamed(s, 'testsuite')[3], 'testcase')[0];
    expect(childrenNamed(last, 'error')[0].attrs.message).toBe('interrupted (SIGINT) during run 6 of 6');
    const interrupted = childrenNamed(childrenNamed(s, 'testsuite')[2], 'testcase')[1];
    expect(childrenNamed(interrupted, 'error')[0].attrs.type).toBe('failed');
  });

  it('summary.md: verdicts, statistic gates, each fault\'s distribution with the CI note, runs, definitions', () => {
    const md = aggregateMarkdown(repeated());
    expect(md.startsWith('# Drill `backup-does-not-come-up`, 5 runs: FAILED\n')).toBe(true);
    expect(md).toContain('| the drill\'s rate | FAILED | passed 4 of 5 runs (1 failed) |');
    expect(md).toContain('## Statistic gates');
    expect(md).toContain('### Fault `power-cut`');
    expect(md).toContain('RTO, all services: min 1000 ms (1 s), median 1200 ms (1.2 s), p90 not recovered, max not recovered; 1 of 5 not recovered.');
    expect(md).toContain('n too small for a 95% interval (n = 5; it needs n \\>= 6)');
    expect(md).toContain('| lost writes | 5 | 0 | 0 | 0 | 1 | 1 | 0.2 |');
    expect(md).toContain('## Runs');
    expect(md).toContain('`run-3/summary.md`');
    expect(md).toContain('## Definitions');
    expect(md).toContain('**medianCi:**');
    expect(md).not.toContain('## Against the offered rate');

    const s = aggregateMarkdown(sweep());
    expect(s).toContain('## Against the offered rate');
    expect(s).toContain('**First failing rate: 40/s.**');
    expect(s).toContain('## At 20/s');
    expect(s).toContain('## At 80/s');
    expect(s).toMatch(/\| 6 \| 80\/s \| 43 \| \*\*failed\*\* \(interrupted\) \|/);
  });

  it('report.html: self-contained, a strip plot per fault, and for a sweep a chart per figure against the rate', () => {
    const html = aggregateHtml(repeated());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<span class="badge">FAILED</span>');
    for (const s of ['<script', ' src=', 'url(', '@import', 'http://', 'https://', '<link', '<iframe']) expect([s, html.includes(s)]).toEqual([s, false]);
    const count = (h: string, s: string) => h.split(s).length - 1;
    expect(count(html, '<svg class="strip"')).toBe(1);
    // One row per scope (all, pas, booking); 4 recovered dots and 1 cross per row.
    expect(count(html, '<g class="strip-row">')).toBe(3);
    expect(count(html, '<circle class="run"')).toBe(12);
    expect(count(html, '<text class="run missing"')).toBe(3);
    expect(count(html, '<svg class="rate-chart"')).toBe(0);
    expect(html).toContain('<a href="run-1/report.html">run-1</a>');

    const s = aggregateHtml(sweep());
    expect(count(s, '<svg class="strip"')).toBe(3);
    expect(count(s, '<svg class="rate-chart"')).toBe(5);
    expect(count(s, '<g class="first-failing">')).toBe(5);
    expect(s).toContain('First failing rate: 40/s.');
  });

  it('the terminal summary and the four files, validated', () => {
    const a = repeated();
    const text = aggregateTerminal(a, { outDir: 'out' });
    expect(text).toContain('blackstart drill backup-does-not-come-up, 5 runs: FAILED (exit 1)');
    expect(text).toContain('power-cut (all services): RTO min 1000 ms (1 s), median 1200 ms (1.2 s), p90 not recovered, max not recovered; 1 of 5 not recovered');
    const dir = mkdtempSync(join(tmpdir(), 'blackstart-aggregate-'));
    const paths = writeAggregateReports(a, dir);
    expect(aggregateSchema.parse(JSON.parse(readFileSync(paths.resultJson, 'utf8')))).toEqual(a);
    for (const p of [paths.junitXml, paths.summaryMd, paths.reportHtml]) expect(readFileSync(p, 'utf8').length).toBeGreaterThan(500);
    expect(() => writeAggregateReports({ ...a, schema: 'nope' } as never, dir)).toThrow();
  });
});
