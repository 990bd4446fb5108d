/** The latency figure: HDR latency percentiles per service and per phase of each fault (docs/ARCHITECTURE.md § Figures). */
import { z } from 'zod';
import { figureMetaSchema, perFaultPhasesSchema, scopedSchema } from './figure';
import { faultSpanSchema, rangeSchema } from './phases';

/**
 * Latency percentiles per service and per phase of each fault (docs/ARCHITECTURE.md § 7), from HDR histograms:
 * long drills have millions of requests, and a histogram keeps them in a few KB with a stated
 * precision instead of holding and sorting every value.
 */
export const latencyPercentilesSchema = z.object({
  /** The phase as applied to this scope, [from, to) by scheduled time. */
  from: z.number(),
  to: z.number(),
  /** Latency samples (requests due in the phase that started). */
  count: z.number().int(),
  /** Requests due in the phase that were dropped: no latency, listed so the count can be read right. */
  dropped: z.number().int(),
  p50: z.number().nullable(),
  p90: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  p999: z.number().nullable(),
  /** Exact, from the records (not histogram-rounded). */
  max: z.number().nullable(),
});
export type LatencyPercentiles = z.infer<typeof latencyPercentilesSchema>;

export const scopedLatencySchema = scopedSchema(latencyPercentilesSchema);
export type ScopedLatency = z.infer<typeof scopedLatencySchema>;

export const latencySchema = figureMetaSchema.extend({
  /** The whole run [run.from, run.to). */
  run: scopedLatencySchema,
  faults: perFaultPhasesSchema(scopedLatencySchema),
});
export type Latency = z.infer<typeof latencySchema>;

export const latencyOptionsSchema = z.object({
  run: rangeSchema,
  faults: z.array(faultSpanSchema).default([]),
});
export type LatencyOptions = z.input<typeof latencyOptionsSchema>;
