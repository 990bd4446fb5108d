import { InvalidArgumentError, type Command } from 'commander';
import { readHistory, trend, type TrendRow } from '../reports/history';
import { DEFAULT_HISTORY } from './drill_commands';

const out = (line: string): void => void process.stdout.write(line + '\n');
const err = (line: string): void => void process.stderr.write(line + '\n');

/**
 * `blackstart history`: the trend of each drill from the run history, its regressions named.
 * With --fail-on-regression it exits 1 when the latest run of a drill shown regressed, so a
 * scheduled drill's pipeline can turn red on a slower failover that still passed its gates.
 */
export function addHistoryCommand(program: Command): void {
  program
    .command('history')
    .description('the trend of each drill from the run history, with regressions named')
    .option('--file <file>', 'the run history', DEFAULT_HISTORY)
    .option('--drill <name>', 'only this drill')
    .option('--runs <n>', 'runs shown per drill', (v) => positiveInt(v), 10)
    .option('--json', 'print the rows as JSON')
    .option('--fail-on-regression', 'exit 1 when the latest run of a drill regressed')
    .action((opts: { file: string; drill?: string; runs: number; json?: boolean; failOnRegression?: boolean }) => {
      const { entries, skipped } = readHistory(opts.file);
      if (skipped) err(`${opts.file}: ${skipped} unreadable line(s) skipped`);
      const drills = opts.drill ? [opts.drill] : [...new Set(entries.map((e) => e.drill))];
      const byDrill = drills.map((d) => [d, trend(entries, d, opts.runs)] as const).filter(([, rows]) => rows.length > 0);
      if (opts.json) out(JSON.stringify(Object.fromEntries(byDrill), null, 2));
      else if (byDrill.length === 0) out(`${opts.file}: no runs${opts.drill ? ` of ${opts.drill}` : ''}`);
      else for (const [drill, rows] of byDrill) printTrend(drill, rows);
      const regressed = byDrill.filter(([, rows]) => rows[rows.length - 1].regressions.length > 0);
      if (opts.failOnRegression && regressed.length) process.exitCode = 1;
    });
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got "${v}"`);
  return n;
}

function printTrend(drill: string, rows: TrendRow[]): void {
  out(`${drill}: last ${rows.length} run(s), newest last`);
  for (const r of rows) {
    const rto = r.rtoMs.map((v) => (v === null ? 'not recovered' : `${Math.round(v)} ms`)).join(', ') || 'n/a';
    const errors = r.errorRate === null ? 'n/a' : `${Number((r.errorRate * 100).toFixed(2))} %`;
    out(`  ${r.startedAt}  ${r.verdict.padEnd(8)} ${r.runtime.padEnd(8)} RTO ${rto}; lost ${r.lost ?? 'n/a'}; errors ${errors}${r.regressions.length ? `  REGRESSION: ${r.regressions.join('; ')}` : ''}`);
  }
}
