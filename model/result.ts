import { z } from 'zod';
import { runPhaseSchema } from './run_phase';
import { controllerEventRecordSchema } from './controller';
import { degradationSchema } from './figures/degradation';
import { latencySchema } from './figures/latency';
import { ledgerSchema } from './figures/ledger';
import { paperStatsSchema } from './figures/paper';
import { recoverySchema } from './figures/recovery';
import { splitBrainSchema } from './figures/split_brain';
import { faultTargetSchema } from './faults';
import { statSchema } from './stat';
import { timelineSchema } from './figures/timeline';

/** result.json: everything a drill measured. Reports read only this. */

export const gateResultSchema = z.object({
  /** Readable id, e.g. "rto_ms[all] fault power-cut <= 30000". */
  name: z.string(),
  metric: z.string(),
  service: z.string(),
  phase: z.string(),
  fault: z.string().nullable(),
  max: z.number(),
  /** The measured figure; null when it does not exist (e.g. not recovered). */
  value: z.number().nullable(),
  passed: z.boolean(),
  /** Why it failed, in words a person can act on. */
  reason: z.string().nullable(),
  /** The statistic over repeated runs the gate names (docs/ARCHITECTURE.md § 7.14); absent: judged per run. */
  stat: statSchema.optional(),
});
export type GateResult = z.infer<typeof gateResultSchema>;

export const faultRecordSchema = z.object({
  name: z.string(),
  kind: z.string(),
  description: z.string(),
  /** A fault aimed at a role (`site: active`): the concrete site, component or link it struck when applied; absent for fixed names or when never applied. */
  target: faultTargetSchema.optional(),
  plannedAtMs: z.number(),
  /** Offsets from the start of the load, ms (harness clock). */
  appliedAtMs: z.number().nullable(),
  revertedAtMs: z.number().nullable(),
  error: z.string().nullable(),
  revertError: z.string().nullable(),
});

export const verdictSchema = z.enum(['passed', 'failed', 'aborted', 'error', 'residue']);

export const resultSchema = z.object({
  schema: z.literal('blackstart.result/1'),
  drill: z.object({ name: z.string(), description: z.string(), file: z.string(), seed: z.number() }),
  versions: z.object({ blackstart: z.string(), node: z.string(), proxy: z.string() }),
  runtime: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  verdict: verdictSchema,
  exitCode: z.number().int(),
  /** The plain-language story of the verdict: what failed and why. */
  headline: z.string(),
  abortReason: z.string().nullable(),
  error: z.string().nullable(),
  /**
   * Fault and event offsets (`...AtMs`) are ms from the start of the load. The figures (recovery,
   * latency, ledger, timeline) keep absolute times of the harness's monotonic clock
   * (performance.now()); subtract `clock.t0` to get offsets.
   */
  clock: z.object({ t0: z.number(), timeOrigin: z.number() }),
  load: z.object({
    executor: z.string(),
    plannedMs: z.number(),
    scheduled: z.number().int(),
    dropped: z.number().int(),
    lagP99Ms: z.number(),
    requests: z.record(z.string(), z.number().int()),
  }),
  faults: z.array(faultRecordSchema),
  controllerEvents: z.array(controllerEventRecordSchema),
  recovery: z.array(recoverySchema.extend({ fault: z.string() })),
  latency: latencySchema.nullable(),
  degradation: degradationSchema.nullable(),
  ledger: ledgerSchema.nullable(),
  splitBrain: splitBrainSchema.nullable(),
  paper: paperStatsSchema.nullable(),
  residue: z.array(z.string()),
  gates: z.array(gateResultSchema),
  /** Gates naming a statistic in a repeated run: this run's value of each, judged only on the aggregate (§ 7.14), not in this verdict. */
  aggregateGates: z.array(gateResultSchema).optional(),
  /** What the run could not measure and why, in words (an external system without a controller: no detect/promote/switch times, no split-brain figure). */
  notes: z.array(z.string()).optional(),
  /** How far the drill got: one record per phase of the runner (docs/ARCHITECTURE.md § 9); empty in results written before phases were recorded. */
  phases: z.array(runPhaseSchema).default([]),
  timeline: timelineSchema.nullable(),
});
export type DrillResult = z.infer<typeof resultSchema>;
