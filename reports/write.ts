import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { junitXml } from './junit';
import { summaryMarkdown } from './markdown';
import { resultSchema, type DrillResult } from './result';

export interface ReportPaths {
  resultJson: string;
  junitXml: string;
  summaryMd: string;
}

/**
 * Writes result.json, junit.xml and summary.md into outDir (created if missing). The result is
 * validated first and nothing is written when it is invalid: a report that disagrees with its own
 * schema would be read later as if it were sound.
 */
export function writeReports(result: DrillResult, outDir: string): ReportPaths {
  const valid = resultSchema.parse(result);
  mkdirSync(outDir, { recursive: true });
  const paths: ReportPaths = {
    resultJson: join(outDir, 'result.json'),
    junitXml: join(outDir, 'junit.xml'),
    summaryMd: join(outDir, 'summary.md'),
  };
  writeFileSync(paths.resultJson, JSON.stringify(valid, null, 2) + '\n');
  writeFileSync(paths.junitXml, junitXml(valid));
  writeFileSync(paths.summaryMd, summaryMarkdown(valid));
  return paths;
}
