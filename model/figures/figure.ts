/** What every figure carries beside its numbers: definition, parameters, resolution (docs/ARCHITECTURE.md § Figures). */
import { z } from 'zod';

/**
 * What every figure carries beside its numbers (docs/ARCHITECTURE.md § 7: "every figure in a report names its
 * definition, its parameters and its resolution"). Reports print these three verbatim, so the text
 * the harness writes there is the one place a definition is written down; the code computing the
 * figure must agree with it.
 */
export const parameterValueSchema = z.union([z.number(), z.string(), z.boolean(), z.null()]);

export const figureMetaSchema = z.object({
  /** The exact definition, in words a reader of the report can check by hand. */
  definition: z.string(),
  /** The values the definition depends on (window sizes, thresholds, time ranges), as used. */
  parameters: z.record(z.string(), parameterValueSchema),
  /** How fine the numbers are: clock and rounding of times, histogram precision of latencies. */
  resolution: z.string(),
});
export type FigureMeta = z.infer<typeof figureMetaSchema>;

/** Times in the records: ms on the harness monotonic clock (performance.now()), sub-ms floats. */
export const CLOCK_RESOLUTION = 'times: ms on the harness monotonic clock (performance.now(), sub-ms), not rounded';

/** A figure per service and for all services together. */
export const scopedSchema = <T extends z.ZodTypeAny>(figure: T) => z.object({ byService: z.record(z.string(), figure), all: figure });

/** A figure before, during and after each fault (docs/ARCHITECTURE.md § 7.6). */
export const perFaultPhasesSchema = <T extends z.ZodTypeAny>(scoped: T) =>
  z.array(z.object({ name: z.string().nullable(), tFault: z.number(), before: scoped, during: scoped, after: scoped }));
