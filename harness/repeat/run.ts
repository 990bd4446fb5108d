import { join, resolve } from 'node:path';
import type { Aggregate } from '../../model/aggregate';
import type { DrillResult } from '../../model/result';
import { rateLabel } from '../../reports/aggregate_format';
import { VERDICT_LABEL } from '../../reports/format';
import { writeReports } from '../../reports/write';
import type { Drill } from '../drill/schema';
import { packageVersion } from '../paths';
import { runDrill } from '../runner/run';
import type { StatusStream } from '../runner/progress';
import { aggregateRuns, type RunOutcome } from './aggregate';

/**
 * Repeated runs and rate sweeps (docs/ARCHITECTURE.md § 7.14): the drill run `repeat` times at each
 * offered rate, one after another, each on a fresh estate with its own reports in its own
 * directory, then the aggregate of their results. Run k (1-based) at every rate has the seed
 * drill.seed + k - 1: run 1 is the drill as written, and the rates of a sweep are compared on the
 * same request sequences.
 */

export const MAX_REPEAT = 100;

export const SEEDS = 'run k (1-based, at every rate) has seed = drill.seed + k - 1: run 1 is the drill as written, and every rate of a sweep replays the same seeds';
export const RATE_OVERRIDE =
  'constant-arrival-rate: the offered rate replaces load.rate; ramping-arrival-rate: the offered rate is the peak, and the start rate and every stage target are scaled by offered / peak of the drill (durations kept)';

export interface RepeatOptions {
  file: string;
  /** The aggregate's directory; runs go to run-<k>/ or rate-<r>/run-<k>/ under it. */
  outDir: string;
  repeat: number;
  /** Offered rates of a sweep (per second); null: the drill's own load. */
  rates: number[] | null;
  signal?: AbortSignal;
  print?: (line: string) => void;
  /** Each run of a plain --repeat is added to this run history; a sweep's runs are not (other rates would read as regressions). */
  historyFile?: string;
  /** A terminal for each run's status area (harness/runner/progress.ts), which names the run: "run 2 of 5 @30/s". */
  tty?: StatusStream;
}

/** The drill with its load at an offered rate (see RATE_OVERRIDE). */
export function withRate(drill: Drill, rate: number): Drill {
  const load = drill.load;
  if (load.executor !== 'ramping-arrival-rate') return { ...drill, load: { ...load, rate } };
  const stages = load.stages ?? [];
  const peak = Math.max(load.rate, ...stages.map((s) => s.target));
  const f = rate / peak;
  return { ...drill, load: { ...load, rate: load.rate * f, stages: stages.map((s) => ({ ...s, target: s.target * f })) } };
}

/** Where run k at `rate` keeps its reports, relative to the aggregate's directory. */
export function runDir(rate: number | null, k: number): string {
  return rate === null ? `run-${k}` : join(`rate-${Number(rate.toFixed(2))}`, `run-${k}`);
}

export interface Repeated {
  aggregate: Aggregate;
  /** Every run, in order, with its result. */
  runs: (RunOutcome & { result: DrillResult })[];
}

export async function runRepeated(drill: Drill, o: RepeatOptions): Promise<Repeated> {
  const print = o.print ?? (() => {});
  const outDir = resolve(o.outDir);
  const rates = o.rates ?? [null];
  const total = rates.length * o.repeat;
  const startedAt = new Date().toISOString();
  const runs: RunOutcome[] = [];
  let abortReason: string | null = null;
  plan: for (const rate of rates) {
    for (let k = 1; k <= o.repeat; k++) {
      if (o.signal?.aborted) {
        abortReason = `interrupted (${String(o.signal.reason ?? 'signal')}) after ${runs.length} of ${total} runs`;
        break plan;
      }
      const seed = drill.seed + k - 1;
      const dir = runDir(rate, k);
      const tag = `[run ${runs.length + 1}/${total}${rate === null ? '' : ` @${rateLabel(rate)}`}]`;
      print(`${tag} seed ${seed}, reports in ${join(outDir, dir)}`);
      const variant: Drill = { ...(rate === null ? drill : withRate(drill, rate)), seed };
      const result = await runDrill(variant, { file: o.file, outDir: join(outDir, dir), signal: o.signal, print: (line) => print(`${tag} ${line}`), deferStatGates: true, tty: o.tty, runLabel: tag.slice(1, -1) });
      writeReports(result, join(outDir, dir), { historyFile: o.rates ? undefined : o.historyFile });
      const interrupted = !!o.signal?.aborted && (result.abortReason?.startsWith('interrupted') === true || /interrupted/.test(result.error ?? ''));
      runs.push({ result, rate, k, seed, dir, interrupted });
      print(`${tag} ${VERDICT_LABEL[result.verdict]} (exit ${result.exitCode})${interrupted ? ', interrupted' : ''}: ${result.headline}`);
      if (interrupted) {
        abortReason = `interrupted (${String(o.signal!.reason ?? 'signal')}) during run ${runs.length} of ${total}`;
        break plan;
      }
    }
  }
  const aggregate = aggregateRuns({
    drill: { name: drill.name, description: drill.description, file: o.file, seed: drill.seed },
    runtime: drill.estate.runtime,
    versions: { blackstart: packageVersion(), node: process.version },
    plan: { repeat: o.repeat, rates: o.rates, executor: drill.load.executor, seeds: SEEDS, rateOverride: o.rates ? RATE_OVERRIDE : null },
    runs,
    startedAt,
    finishedAt: new Date().toISOString(),
    abortReason,
  });
  return { aggregate, runs };
}
