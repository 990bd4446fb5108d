import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aggregateSchema, type Aggregate } from '../model/aggregate';
import { aggregateHtml } from './aggregate_html';
import { aggregateJunit } from './aggregate_junit';
import { aggregateMarkdown } from './aggregate_markdown';

export interface AggregatePaths {
  resultJson: string;
  junitXml: string;
  summaryMd: string;
  reportHtml: string;
}

/**
 * Writes the aggregate of repeated runs or a sweep (docs/ARCHITECTURE.md § 7.14) into outDir:
 * result.json (schema blackstart.aggregate/1, validated first: nothing is written when it is
 * invalid), junit.xml, summary.md and report.html. Each run's own reports are already in its
 * directory below.
 */
export function writeAggregateReports(aggregate: Aggregate, outDir: string): AggregatePaths {
  const valid = aggregateSchema.parse(aggregate);
  mkdirSync(outDir, { recursive: true });
  const paths: AggregatePaths = {
    resultJson: join(outDir, 'result.json'),
    junitXml: join(outDir, 'junit.xml'),
    summaryMd: join(outDir, 'summary.md'),
    reportHtml: join(outDir, 'report.html'),
  };
  writeFileSync(paths.resultJson, JSON.stringify(valid, null, 2) + '\n');
  writeFileSync(paths.junitXml, aggregateJunit(valid));
  writeFileSync(paths.summaryMd, aggregateMarkdown(valid));
  writeFileSync(paths.reportHtml, aggregateHtml(valid));
  return paths;
}
