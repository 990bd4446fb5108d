/** The paper-mode figure: bookings queued on paper while booking was unreachable, and how the backlog drained (docs/ARCHITECTURE.md § Figures). */
import { z } from 'zod';

export const paperStatsSchema = z.object({
  definition: z.string(),
  /** Bookings written on paper while the service was unreachable. */
  queued: z.number().int(),
  /** Largest backlog held at once. */
  backlogMax: z.number().int(),
  submitted: z.number().int(),
  /** Re-entered and refused because the slot was taken meanwhile (409). */
  conflicts: z.number().int(),
  /** Re-entry failed for another reason (still unreachable at the end, refused otherwise). */
  failed: z.number().int(),
  /** Left on paper when the run ended. */
  remaining: z.number().int(),
  /** First booking that succeeded after the first one queued: the service is back. */
  tRecovered: z.number().nullable(),
  /** Backlog empty again (every queued booking re-entered). */
  tDrained: z.number().nullable(),
  /** tDrained - tRecovered; null when never drained. */
  drainMs: z.number().nullable(),
});
export type PaperStats = z.infer<typeof paperStatsSchema>;
