import { z } from 'zod';

/**
 * The runner's own journal, in the spirit of Chaos Toolkit's run journal: one record per phase of
 * a drill (docs/ARCHITECTURE.md § 9), written whether the phase succeeded, failed or never ran,
 * so a result always says how far the drill got.
 */
export const RUN_PHASES = ['estate', 'load', 'faults', 'read-back', 'residue', 'gates', 'result'] as const;
export type RunPhaseName = (typeof RUN_PHASES)[number];

export const runPhaseSchema = z.object({
  name: z.enum(RUN_PHASES),
  /** ok: done; failed: threw (`error` says why); skipped: never reached (an earlier phase failed or the drill was stopped). */
  status: z.enum(['ok', 'failed', 'skipped']),
  /** ISO wall-clock times; null when skipped. */
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  error: z.string().nullable(),
});
export type RunPhase = z.infer<typeof runPhaseSchema>;
