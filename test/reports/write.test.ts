import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultSchema } from '../../reports/result';
import { writeReports } from '../../reports/write';
import { drillResult } from './fixture';
import { parseXml } from './xml_parse';

describe('writeReports', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'blackstart-reports-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes result.json, junit.xml and summary.md, creating the directory', () => {
    const out = join(dir, 'backup-does-not-come-up-20250301T100000');
    const paths = writeReports(drillResult(), out);
    expect(paths).toEqual({ resultJson: join(out, 'result.json'), junitXml: join(out, 'junit.xml'), summaryMd: join(out, 'summary.md') });

    const json = readFileSync(paths.resultJson, 'utf8');
    expect(json).toContain('\n  "schema": "blackstart.result/1"'); // pretty, for diffs and eyes
    expect(resultSchema.parse(JSON.parse(json))).toEqual(drillResult());
    expect(parseXml(readFileSync(paths.junitXml, 'utf8')).name).toBe('testsuites');
    expect(readFileSync(paths.summaryMd, 'utf8')).toContain('the backup never took over');
  });

  it('refuses an invalid result and writes nothing', () => {
    const bad = drillResult();
    bad.gates[0].value = Infinity; // JSON would silently turn it into null
    const out = join(dir, 'bad');
    expect(() => writeReports(bad, out)).toThrow();
    expect(existsSync(out)).toBe(false);
  });
});
