import { InvalidArgumentError } from 'commander';
import { relative } from 'node:path';
import { parseRate } from '../model/units';
import { aggregateTerminal } from '../reports/aggregate_terminal';
import { rateLabel } from '../reports/aggregate_format';
import { writeAggregateReports } from '../reports/write_aggregate';
import type { Drill } from './drill/schema';
import { MAX_REPEAT, RATE_OVERRIDE, runDir, runRepeated, SEEDS } from './repeat/run';

/** `blackstart drill FILE --repeat N --rates R1,R2` (docs/ARCHITECTURE.md § 7.14). */

export function parseRepeat(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPEAT) throw new InvalidArgumentError(`must be a whole number of runs, 1-${MAX_REPEAT}`);
  return n;
}

/** "30,100,300" or "30/s,6000/m": requests per second, ascending, each once. */
export function parseRates(value: string): number[] {
  const rates = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      try {
        return /^\d+(\.\d+)?$/.test(s) ? parseRate(`${s}/s`) : parseRate(s);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    });
  if (rates.length === 0) throw new InvalidArgumentError('give at least one rate, e.g. 30,100,300');
  if (rates.length > 20) throw new InvalidArgumentError('at most 20 rates');
  return [...new Set(rates)].sort((a, b) => a - b);
}

export interface RepeatPlan {
  repeat: number;
  rates: number[] | null;
}

/** The CLI's --repeat/--rates, else the drill's sweep block; null: one plain run. */
export function repeatPlan(drill: Drill, opts: { repeat?: number; rates?: number[] }): RepeatPlan | null {
  const rates = opts.rates ?? drill.sweep?.rates ?? null;
  const repeat = opts.repeat ?? drill.sweep?.repeat;
  if (repeat === undefined && rates === null) return null;
  return { repeat: repeat ?? 1, rates: rates && [...new Set(rates)].sort((a, b) => a - b) };
}

/** The dry run's lines for a repeated drill. */
export function repeatPlanLines(drill: Drill, p: RepeatPlan): string[] {
  const total = p.repeat * (p.rates?.length ?? 1);
  const lines = [`repeat: ${total} run(s), one after another, each on a fresh estate: ${p.rates ? `${p.repeat} at each of ${p.rates.map(rateLabel).join(', ')}` : `${p.repeat} of the drill as written`}`];
  lines.push(`  seeds ${drill.seed}..${drill.seed + p.repeat - 1} (${SEEDS})`);
  if (p.rates) lines.push(`  ${RATE_OVERRIDE}`);
  lines.push(`  each run's reports in <out>/${runDir(p.rates?.[0] ?? null, 1)}/ ...; the aggregate's in <out>/`);
  return lines;
}

export interface RepeatCommandOptions {
  file: string;
  outDir: string;
  json?: boolean;
  historyFile?: string;
  signal: AbortSignal;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Runs the plan, writes the aggregate's reports, prints the summary; returns the exit code. */
export async function runRepeatCommand(drill: Drill, p: RepeatPlan, o: RepeatCommandOptions): Promise<number> {
  const { aggregate } = await runRepeated(drill, {
    file: o.file,
    outDir: o.outDir,
    repeat: p.repeat,
    rates: p.rates,
    signal: o.signal,
    print: o.json ? o.err : o.out,
    historyFile: o.historyFile,
    tty: process.stderr.isTTY ? process.stderr : undefined,
  });
  const paths = writeAggregateReports(aggregate, o.outDir);
  if (o.json) o.out(JSON.stringify(aggregate));
  else o.out(aggregateTerminal(aggregate, { outDir: o.outDir, color: process.stdout.isTTY }));
  o.err(`aggregate reports: ${paths.resultJson}, ${paths.junitXml}, ${paths.summaryMd}, ${paths.reportHtml}`);
  o.err(`runs: ${aggregate.runs.map((r) => relative(process.cwd(), `${o.outDir}/${r.dir}`) || r.dir).join(', ')}`);
  return aggregate.exitCode;
}
