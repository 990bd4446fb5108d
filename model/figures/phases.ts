/** The phases of a fault (before, during, after) and the time ranges the latency and degradation figures are cut by (docs/ARCHITECTURE.md § Figures). */
import { z } from 'zod';

/**
 * The phases of one fault, shared by the latency and degradation figures: before = [run start,
 * t_fault), during = [t_fault, t_recovered), after = [t_recovered, run end). When the scope never
 * recovered, during runs to the end and after is empty. Requests belong to a phase by their
 * scheduled time. Phases of several faults are each relative to the whole run (the brief's
 * definition), so "before" of a second fault includes the first one.
 */

/** A time range [from, to) on the harness clock; requests belong to it by their scheduled time. */
export const rangeSchema = z.object({ from: z.number(), to: z.number() });
export type Range = z.infer<typeof rangeSchema>;

/** The three phases, in order. */
export const PHASES = ['before', 'during', 'after'] as const;
export type PhaseName = (typeof PHASES)[number];

export const faultSpanSchema = z.object({
  /** Optional label for reports (e.g. the fault's name in the drill file). */
  name: z.string().optional(),
  tFault: z.number(),
  /** From the recovery figure (its t_recovered); null when not recovered. */
  tRecovered: z.number().nullable(),
  /**
   * Per-service t_recovered (the recovery figure's byService), so each service's phases follow its
   * own recovery; the 'all' scope and services not listed use tRecovered.
   */
  tRecoveredByService: z.record(z.string(), z.number().nullable()).optional(),
});
export type FaultSpan = z.infer<typeof faultSpanSchema>;
