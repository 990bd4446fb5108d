import { z } from 'zod';
import { gateResultSchema, verdictSchema } from './result';
import { statSchema } from './stat';

/**
 * The aggregate result.json of repeated runs and rate sweeps (`blackstart drill FILE --repeat N
 * --rates R1,R2`): per offered rate, the distribution over runs of each fault's RTO and time to
 * first success, of lost writes, error rate and p99, the verdicts, and the gates that name a
 * statistic. Each run keeps its own result.json (model/result.ts) in its own directory; this file
 * holds what only the runs together can say. Definitions: docs/ARCHITECTURE.md § 7.14; the exact
 * words are also in `definitions`.
 */

/**
 * A statistic's value: ms, a count or a ratio. null means the statistic fell on a run without a
 * value ("not recovered", "no success", "not measured"), which counts as +infinity: with 2 of 10
 * runs not recovered, the p90 (rank 9) is "not recovered". It is also null when no run was measured
 * (`n` = 0).
 */
const statValue = z.number().nullable();

export const sampleSchema = z.object({
  /** The run's number in `runs` (1-based, in the order the runs ran). */
  run: z.number().int().min(1),
  /** null: the run has no value (not recovered, no success, not measured): +infinity for the statistics. */
  value: z.number().nullable(),
});

/** An order-statistics interval around the median: [x_(j), x_(k)], covering the true median with probability `coverage`. */
export const medianCiSchema = z.object({
  lower: statValue,
  upper: statValue,
  /** j and k, 1-based ranks in the sorted values (runs without a value sorted last). */
  ranks: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
  /** Achieved coverage: P(j <= B < k) for B ~ Binomial(n, 1/2); at least 0.95. */
  coverage: z.number().min(0).max(1),
});

export const distributionSchema = z.object({
  /** One per run measured (a run interrupted by Ctrl-C, or that did not reach the figure, has none). */
  samples: z.array(sampleSchema),
  /** Runs measured: samples.length. */
  n: z.number().int().min(0),
  /** Samples without a value (+infinity): e.g. runs that did not recover. */
  missing: z.number().int().min(0),
  min: statValue,
  median: statValue,
  p90: statValue,
  max: statValue,
  /** Arithmetic mean; null when any sample is missing (the mean of +infinity) or n = 0. */
  mean: statValue,
  /** The distribution-free 95 % interval of the median; null when n is too small (n < 6). */
  medianCi: medianCiSchema.nullable(),
  /** Why medianCi is null, e.g. "n too small for a 95% interval (n = 5)". */
  medianCiNote: z.string().nullable(),
});
export type Distribution = z.infer<typeof distributionSchema>;

export const scopeStatsSchema = z.object({
  /** A service, or "all" (every service together). */
  service: z.string(),
  /** RTO (§ 7.4); missing = not recovered. */
  rto: distributionSchema,
  /** Time to first success (§ 7.5); 0 when nothing failed; missing = nothing succeeded after the first failure. */
  timeToFirstSuccess: distributionSchema,
});

export const faultStatsSchema = z.object({
  fault: z.string(),
  /** "all" first, then each service in the order the runs reported them. */
  scopes: z.array(scopeStatsSchema),
});
export type FaultStats = z.infer<typeof faultStatsSchema>;

/** A gate that names a statistic, judged on the statistic of its per-run values. */
export const aggregateGateSchema = gateResultSchema.extend({
  stat: statSchema,
  /** The offered rate of the group it was judged in (per second); null without a sweep. */
  rate: z.number().nullable(),
  /** Runs with a value for it, and of them without one (+infinity). */
  n: z.number().int().min(0),
  missing: z.number().int().min(0),
});
export type AggregateGate = z.infer<typeof aggregateGateSchema>;

export const runSummarySchema = z.object({
  /** 1-based, in the order the runs ran. */
  run: z.number().int().min(1),
  /** 1-based within its rate. */
  k: z.number().int().min(1),
  /** Offered rate (per second) of a sweep; null: the drill's own load. */
  rate: z.number().nullable(),
  seed: z.number().int(),
  /** The run's own report directory, relative to the aggregate's. */
  dir: z.string(),
  verdict: verdictSchema,
  exitCode: z.number().int(),
  headline: z.string(),
  /** Stopped by Ctrl-C or SIGTERM: its reports are written, its figures left out of the statistics. */
  interrupted: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** Names of the run's own gates that failed. */
  gatesFailed: z.array(z.string()),
  /** The run's own notes (result.json `notes`): what it could not measure, or measured with a caveat. */
  notes: z.array(z.string()).default([]),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export const groupSchema = z.object({
  /** Offered rate, requests per second; null: the drill's own load (no sweep). */
  rate: z.number().nullable(),
  /** Numbers of the runs in this group (`runs[].run`). */
  runs: z.array(z.number().int().min(1)),
  /** Runs that finished (not interrupted): what the statistics are over. */
  finished: z.number().int().min(0),
  /** Finished runs per verdict ("passed 9 of 10"). */
  verdicts: z.record(verdictSchema, z.number().int().min(0)),
  verdict: verdictSchema,
  faults: z.array(faultStatsSchema),
  /** Lost acknowledged writes per run (§ 7.9); missing = no ledger. */
  lostWrites: distributionSchema,
  /** (fail + info + dropped) / all requests of the run (warm-up included, as in the run history); missing = no requests. */
  errorRate: distributionSchema,
  /** HDR p99 over the run, all services (§ 7.7); missing = no samples. */
  p99Ms: distributionSchema,
  /** Gates naming a statistic, judged on this group's runs. */
  gates: z.array(aggregateGateSchema),
  /** Every gate that failed here, with how: "<name>: failed in 1 of 5 runs" (a run's gate) or "<name>: <reason>" (a statistic gate). */
  gatesFailed: z.array(z.string()),
});
export type AggregateGroup = z.infer<typeof groupSchema>;

export const aggregateSchema = z.object({
  schema: z.literal('blackstart.aggregate/1'),
  drill: z.object({ name: z.string(), description: z.string(), file: z.string(), seed: z.number().int() }),
  versions: z.object({ blackstart: z.string(), node: z.string() }),
  runtime: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  verdict: verdictSchema,
  exitCode: z.number().int(),
  headline: z.string(),
  /** Set when Ctrl-C or SIGTERM stopped the runs: the aggregate is of the runs that finished. */
  abortReason: z.string().nullable(),
  plan: z.object({
    /** Runs per rate. */
    repeat: z.number().int().min(1),
    /** Offered rates of a sweep, per second, ascending; null: the drill's own load. */
    rates: z.array(z.number().positive()).nullable(),
    executor: z.string(),
    /** How each run's seed is derived. */
    seeds: z.string(),
    /** How a sweep's rate is put on the drill's load. */
    rateOverride: z.string().nullable(),
  }),
  /** The exact definition of every statistic in this file, as docs/ARCHITECTURE.md § 7.14 states it. */
  definitions: z.record(z.string(), z.string()),
  runs: z.array(runSummarySchema),
  /** One per offered rate, ascending (one group with rate null without a sweep). */
  groups: z.array(groupSchema),
  /** Sweeps only: the lowest offered rate at which a gate failed (in a run or on the aggregate), and its gatesFailed. */
  sweep: z
    .object({
      firstFailingRate: z.number().nullable(),
      failedGates: z.array(z.string()),
    })
    .nullable(),
});
export type Aggregate = z.infer<typeof aggregateSchema>;
