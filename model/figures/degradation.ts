/** The degradation figure: error-seconds and excess latency-seconds per service and per fault phase (docs/ARCHITECTURE.md § Figures). */
import { z } from 'zod';
import { figureMetaSchema, perFaultPhasesSchema, scopedSchema } from './figure';
import { faultSpanSchema, rangeSchema } from './phases';

/**
 * Degradation (docs/ARCHITECTURE.md § 7): how much service was lost, as areas rather than instants, so a long
 * shallow brown-out and a short total outage can be compared. error-seconds is the area under the
 * failure ratio; excess latency-seconds is the time ok requests spent beyond the normal p95.
 */
export const degradationFigureSchema = z.object({
  /** The phase as applied to this scope, [from, to) by scheduled time. */
  from: z.number(),
  to: z.number(),
  errorSeconds: z.number(),
  /** null when the scope's baseline window had no latencies (nothing to exceed). */
  excessLatencySeconds: z.number().nullable(),
  baselineP95Ms: z.number().nullable(),
});
export type DegradationFigure = z.infer<typeof degradationFigureSchema>;

export const scopedDegradationSchema = scopedSchema(degradationFigureSchema);
export type ScopedDegradation = z.infer<typeof scopedDegradationSchema>;

export const degradationSchema = figureMetaSchema.extend({
  run: scopedDegradationSchema,
  faults: perFaultPhasesSchema(scopedDegradationSchema),
});
export type Degradation = z.infer<typeof degradationSchema>;

export const degradationOptionsSchema = z.object({
  run: rangeSchema,
  faults: z.array(faultSpanSchema).default([]),
  /** The baseline period whose p95 is "normal" latency (the same window as the recovery figure's). */
  baseline: rangeSchema,
  bucketMs: z.number().positive().default(100),
});
export type DegradationOptions = z.input<typeof degradationOptionsSchema>;
