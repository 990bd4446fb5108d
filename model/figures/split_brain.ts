/** The split-brain figure: acknowledged writes served by a site that was not the active primary, and the window they span (docs/ARCHITECTURE.md § Figures). */
import { z } from 'zod';
import { controllerEventSchema } from '../controller';
import { figureMetaSchema } from './figure';

/**
 * The split-brain window (docs/ARCHITECTURE.md § 7): acknowledged writes served by a site that was not the
 * active primary, i.e. two sites accepting writes. Target 0. "Active" comes from the controller's
 * promote events; the records say which site served each write (`x-blackstart-site`).
 */

/**
 * A controller event as the split-brain check reads it (model/controller.ts): `t` in unix ms,
 * `type` 'promote' (site became primary), 'fence' / 'demote' (site stopped taking writes), others
 * ignored. Other fields (detail, epoch) are accepted and dropped.
 */
export const splitBrainEventSchema = controllerEventSchema.pick({ t: true, type: true, site: true });
export type SplitBrainEvent = z.infer<typeof splitBrainEventSchema>;

export const splitBrainOptionsSchema = z.object({
  events: z.array(splitBrainEventSchema),
  /** The primary before the first promote event. */
  initialPrimary: z.string(),
  /** The harness's performance.timeOrigin (unix ms): event.t - harnessTimeOrigin is on the records' clock. */
  harnessTimeOrigin: z.number(),
  toleranceMs: z.number().nonnegative().default(0),
});
export type SplitBrainOptions = z.input<typeof splitBrainOptionsSchema>;

export const splitWriteSchema = z.object({
  index: z.number().int(),
  key: z.string().nullable(),
  op: z.string(),
  site: z.string(),
  /** The active primary at the write's start. */
  activeSite: z.string(),
  start: z.number(),
  end: z.number(),
});
export type SplitWrite = z.infer<typeof splitWriteSchema>;

export const splitBrainSchema = figureMetaSchema.extend({
  /** Total time covered by the episodes (their union), ms. Target 0. */
  windowMs: z.number(),
  /** Acknowledged writes served by a site that was not active at any instant of their interval. Target 0. */
  writes: z.number().int(),
  /** Acknowledged writes served by a site entirely within a fenced/demoted period of it (the fence did not hold). */
  writesWhileFenced: z.number().int(),
  /** Acknowledged writes whose serving site is unknown: not judged. */
  unknownSite: z.number().int(),
  /** Who was active from when, on the harness clock (from = null: from the start). */
  active: z.array(z.object({ from: z.number().nullable(), site: z.string() })),
  episodes: z.array(z.object({ site: z.string(), activeSite: z.string(), from: z.number(), to: z.number(), writes: z.number().int() })),
  /**
   * Per serving site, the end of the last acknowledged write it served (harness clock): how long an
   * old primary went on taking writes after a fault, split-brain or not (a partitioned primary that
   * demoted itself in time stops here before the promotion).
   */
  lastWrite: z.record(z.string(), z.number()).default({}),
  splitWrites: z.array(splitWriteSchema),
});
export type SplitBrain = z.infer<typeof splitBrainSchema>;
