import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendHistory, historyEntry, readHistory, trend, type TrendRow } from './history';
import { reportHtml } from './html';
import { junitXml } from './junit';
import { summaryMarkdown } from './markdown';
import { resultSchema, type DrillResult } from '../model/result';

export interface ReportPaths {
  resultJson: string;
  junitXml: string;
  summaryMd: string;
  reportHtml: string;
  /** The run history the run was added to, when there is one. */
  history: string | null;
}

export interface WriteOptions {
  /** The run history (history.jsonl) to add this run to and show the trend from; none when absent. */
  historyFile?: string;
  /** How many runs of the drill the trend shows. */
  trendRuns?: number;
}

export interface Written {
  paths: ReportPaths;
  /** The drill's last runs from the history, this one last; empty without a history. */
  trend: TrendRow[];
  /** History lines that did not parse (skipped). */
  historySkipped: number;
}

/**
 * Writes result.json, junit.xml, summary.md and report.html into outDir (created if missing), then
 * adds the run to the history. The result is validated first and nothing is written when it is
 * invalid: a report that disagrees with its own schema would be read later as if it were sound.
 */
export function writeReports(result: DrillResult, outDir: string, options: WriteOptions = {}): Written {
  const valid = resultSchema.parse(result);
  const { historyFile } = options;
  const history = historyFile ? readHistory(historyFile) : { entries: [], skipped: 0 };
  const entry = historyFile ? historyEntry(valid, outDir, historyFile) : undefined;
  const rows = entry ? trend([...history.entries, entry], entry.drill, options.trendRuns ?? 10) : [];
  mkdirSync(outDir, { recursive: true });
  const paths: ReportPaths = {
    resultJson: join(outDir, 'result.json'),
    junitXml: join(outDir, 'junit.xml'),
    summaryMd: join(outDir, 'summary.md'),
    reportHtml: join(outDir, 'report.html'),
    history: historyFile ?? null,
  };
  // Every file is tried (a full disk may still take the small ones); what failed is said at the end.
  const failed: { file: string; error: string }[] = [];
  const attempt = (file: string, write: () => void, partial: 'remove' | 'keep' = 'remove') => {
    try {
      write();
    } catch (e) {
      failed.push({ file, error: (e as Error).message });
      // A report cut short would be read later as if it were whole: gone is better. (A history
      // line cut short is skipped by its readers.)
      if (partial === 'remove') rmSync(file, { force: true });
    }
  };
  attempt(paths.resultJson, () => writeFileSync(paths.resultJson, JSON.stringify(valid, null, 2) + '\n'));
  attempt(paths.junitXml, () => writeFileSync(paths.junitXml, junitXml(valid)));
  attempt(paths.summaryMd, () => writeFileSync(paths.summaryMd, summaryMarkdown(valid, rows)));
  attempt(paths.reportHtml, () => writeFileSync(paths.reportHtml, reportHtml(valid, rows)));
  // Last, and only when result.json is there: a history line points at reports that exist.
  if (historyFile && entry && !failed.some((f) => f.file === paths.resultJson)) attempt(historyFile, () => appendHistory(historyFile, entry), 'keep');
  if (failed.length) throw new ReportsNotWritten(failed, { paths, trend: rows, historySkipped: history.skipped });
  return { paths, trend: rows, historySkipped: history.skipped };
}

/**
 * Some reports could not be written (a full disk, a read-only directory): every one was tried,
 * and `failed` names each that failed with the reason; `written` is what the others came to.
 */
export class ReportsNotWritten extends Error {
  constructor(
    readonly failed: { file: string; error: string }[],
    readonly written: Written,
  ) {
    super(`could not write ${failed.map((f) => `${f.file} (${f.error})`).join(', ')}`);
  }
}
