import { join, resolve } from 'node:path';
import { loadDrill } from '../harness/drill/load';
import type { Drill } from '../harness/drill/schema';
import { runDrill as runDrillOnce, type RunOptions } from '../harness/runner/run';
import type { DrillResult } from '../model/result';
import { writeReports, type ReportPaths } from '../reports/write';

/**
 * blackstart's programmatic API (`import { runDrill } from 'blackstart'`): run a drill from code,
 * for example from a Jest test (`import 'blackstart/jest'` adds the matchers). README, "From code
 * and from Jest".
 */

export { loadDrill, parseDrill, DrillError } from '../harness/drill/load';
export { writeReports, type ReportPaths, type Written } from '../reports/write';
export { EXIT } from '../harness/runner/run';
export { exportK6, type K6Export } from '../harness/load/k6/export';
export type { Drill, Gate } from '../harness/drill/schema';
export type { DrillResult } from '../model/result';

export interface DrillRunOptions {
  /** Where the reports go; default `blackstart-reports/<drill>-<timestamp>/` under the working directory. */
  outDir?: string;
  /** Progress lines (the CLI's); default none. */
  print?: (line: string) => void;
  /** Aborting it stops the drill early, every fault reverted (verdict `aborted`). */
  signal?: AbortSignal;
  /** Write result.json, junit.xml, summary.md and report.html (default true). */
  reports?: boolean;
  /** A run history to add the run to (default none). */
  historyFile?: string;
}

/** A drill's result, with where its reports are (when written). */
export type DrillRun = DrillResult & { reports?: ReportPaths & { dir: string } };

/**
 * Runs a drill (a file, or a drill already loaded with `loadDrill`/`parseDrill`), as `blackstart
 * drill` does: the estate, the load, the faults on schedule, the ledger, the residue check, the
 * gates; then writes its reports. Never throws for a drill that fails: the verdict says so
 * (`result.verdict`, `result.exitCode`); a drill file that does not validate throws a DrillError.
 */
export async function runDrill(drill: Drill | string, options: DrillRunOptions = {}): Promise<DrillRun> {
  const file = typeof drill === 'string' ? drill : `${drill.name}.yaml (from code)`;
  const loaded = typeof drill === 'string' ? loadDrill(drill) : drill;
  const outDir = resolve(options.outDir ?? join('blackstart-reports', `${loaded.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const runOptions: RunOptions = { file, outDir, print: options.print, signal: options.signal };
  const result: DrillRun = await runDrillOnce(loaded, runOptions);
  if (options.reports !== false) {
    const { paths } = writeReports(result, outDir, { historyFile: options.historyFile });
    Object.defineProperty(result, 'reports', { value: { dir: outDir, ...paths }, enumerable: false });
  }
  return result;
}
