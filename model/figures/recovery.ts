/** The recovery figure of one fault: when each service failed, answered again and was healthy again, and its RTO (docs/ARCHITECTURE.md § Figures). */
import { z } from 'zod';
import { figureMetaSchema } from './figure';
import { rangeSchema } from './phases';

/**
 * Recovery of one fault (docs/ARCHITECTURE.md § 7 "Phases", "Recovered", "Outage"), from the records alone. The
 * controller's phase timestamps (detect, promote, switch) are passed in and only turned into
 * durations.
 */

/** The fault's phase timestamps, on the harness clock (convert controller events first). */
export const faultTimesSchema = z.object({
  tFault: z.number(),
  tDetect: z.number().optional(),
  tPromote: z.number().optional(),
  tSwitch: z.number().optional(),
});
export type FaultTimes = z.infer<typeof faultTimesSchema>;

export const recoveryOptionsSchema = z.object({
  fault: faultTimesSchema,
  /** The baseline period before the fault, for the default latency threshold. */
  baseline: rangeSchema,
  /** Consecutive healthy windows needed. */
  n: z.number().int().positive().default(5),
  /** Window width, ms. */
  windowMs: z.number().positive().default(1000),
  /** Minimum success ratio of a healthy window. */
  minSuccessRatio: z.number().min(0).max(1).default(0.99),
  /** Absolute p95 ceiling of a healthy window, ms; when absent, p95Factor x the baseline p95. */
  maxP95Ms: z.number().nonnegative().optional(),
  p95Factor: z.number().positive().default(3),
  /**
   * End of the records (exclusive): only windows that end by then are judged. Defaults to the
   * latest scheduled or end time in the log. With several faults, pass the next fault's t_fault so
   * one episode does not run into the next.
   */
  tEnd: z.number().optional(),
});
export type RecoveryOptions = z.input<typeof recoveryOptionsSchema>;

/** RTO: a number of ms only when the scope recovered; "not recovered" is a different value, never a number. */
export const rtoSchema = z.discriminatedUnion('recovered', [
  z.object({ recovered: z.literal(true), ms: z.number() }),
  z.object({ recovered: z.literal(false) }),
]);
export type Rto = z.infer<typeof rtoSchema>;

export const scopeRecoverySchema = z.object({
  /** Exact nearest-rank p95 of the baseline window; null when it had no latencies. */
  baselineP95Ms: z.number().nullable(),
  /** The latency ceiling l applied to windows; null when there is none (no baseline latencies and no maxP95Ms). */
  maxP95Ms: z.number().nullable(),
  /** Whether any request due at/after t_fault (and before tEnd) was not ok. */
  failed: z.boolean(),
  tFirstFailure: z.number().nullable(),
  tFirstOk: z.number().nullable(),
  /** t_fault when nothing failed; null when not recovered. */
  tRecovered: z.number().nullable(),
  rto: rtoSchema,
  /** Last failed request's end - first failed request's scheduled time, failures due in [t_first_failure, t_recovered or tEnd) (the first always); 0 when nothing failed. */
  outageMs: z.number(),
  timeToFirstOkMs: z.number().nullable(),
  /** How finely t_recovered is known: the gap between the request it starts at and the scope's request before it, ms; null when nothing failed or not recovered. */
  resolutionMs: z.number().nullable(),
  /** Windows judged from t_recovered (from t_first_failure when not recovered) to tEnd: how many, how many healthy, how many had no requests. */
  windows: z.object({ judged: z.number().int(), healthy: z.number().int(), empty: z.number().int() }),
  /** Start of the first unhealthy window after the recovering run, windows continuing from t_recovered (a relapse); null when none. */
  tRelapse: z.number().nullable(),
});
export type ScopeRecovery = z.infer<typeof scopeRecoverySchema>;

export const recoverySchema = figureMetaSchema.extend({
  tFault: z.number(),
  tDetect: z.number().nullable(),
  tPromote: z.number().nullable(),
  tSwitch: z.number().nullable(),
  timeToDetectMs: z.number().nullable(),
  timeToPromoteMs: z.number().nullable(),
  timeToSwitchMs: z.number().nullable(),
  byService: z.record(z.string(), scopeRecoverySchema),
  all: scopeRecoverySchema,
});
export type Recovery = z.infer<typeof recoverySchema>;
