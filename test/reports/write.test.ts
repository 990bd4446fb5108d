import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultSchema } from '../../model/result';
import { writeReports } from '../../reports/write';
import { drillResult } from './fixture';
import { parseXml } from './xml_parse';

describe('writeReports', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'blackstart-reports-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes result.json, junit.xml, summary.md and report.html, creating the directory', () => {
    const out = join(dir, 'backup-does-not-come-up-20250301T100000');
    const { paths, trend } = writeReports(drillResult(), out);
    expect(paths).toEqual({ resultJson: join(out, 'result.json'), junitXml: join(out, 'junit.xml'), summaryMd: join(out, 'summary.md'), reportHtml: join(out, 'report.html'), history: null });
    expect(trend).toEqual([]);
    expect(readFileSync(paths.reportHtml, 'utf8')).toContain('<span class="badge">FAILED</span>');

    const json = readFileSync(paths.resultJson, 'utf8');
    expect(json).toContain('\n  "schema": "blackstart.result/1"'); // pretty, for diffs and eyes
    expect(resultSchema.parse(JSON.parse(json))).toEqual(drillResult());
    expect(parseXml(readFileSync(paths.junitXml, 'utf8')).name).toBe('testsuites');
    expect(readFileSync(paths.summaryMd, 'utf8')).toContain('the backup never took over');
  });

  it('refuses an invalid result and writes nothing, not even a history line', () => {
    const bad = drillResult();
    bad.gates[0].value = Infinity; // JSON would silently turn it into null
    const out = join(dir, 'bad');
    const historyFile = join(dir, 'history.jsonl');
    expect(() => writeReports(bad, out, { historyFile })).toThrow();
    expect([existsSync(out), existsSync(historyFile)]).toEqual([false, false]);
  });

  it('adds each run to the history and shows the trend: a run that stopped passing is a regression', () => {
    const historyFile = join(dir, 'history.jsonl');
    const passing = drillResult();
    Object.assign(passing, { verdict: 'passed', exitCode: 0, gates: passing.gates.filter((g) => g.passed) });
    passing.ledger!.counts.lost = 0;
    const first = writeReports(passing, join(dir, 'run-1'), { historyFile });
    expect(first.trend.map((t) => [t.verdict, t.regressions])).toEqual([['passed', []]]);
    // One row only: no trend section yet.
    expect(readFileSync(first.paths.summaryMd, 'utf8')).not.toContain('## Trend');

    const second = writeReports(drillResult(), join(dir, 'run-2'), { historyFile });
    expect(second.paths.history).toBe(historyFile);
    expect(second.trend.map((t) => [t.verdict, t.report, t.regressions])).toEqual([
      ['passed', 'run-1', []],
      ['failed', 'run-2', ['verdict failed, was passed', '1 acknowledged write lost, none before']],
    ]);
    const md = readFileSync(second.paths.summaryMd, 'utf8');
    expect(md).toContain('## Trend');
    expect(md).toContain('| **failed** | process | not recovered | 1 | 75 % | **verdict failed, was passed; 1 acknowledged write lost, none before** |');
    expect(readFileSync(second.paths.reportHtml, 'utf8')).toContain('<h2>Trend</h2>');
    expect(readFileSync(historyFile, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
