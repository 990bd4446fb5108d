import { z } from 'zod';
/**
 * The failover controller's HTTP contract (`GET /events`, `GET /active`), read by the runner, the
 * split-brain check and the reports. Every step of a failover is one event with its reason, as
 * Patroni logs its decisions (docs/ARCHITECTURE.md § The estate model).
 *
 * Event types the measurements read: `detect` (site declared down), `promote` (site became
 * writable), `fence` / `demote` (site stopped taking writes), `switch` (front door re-pointed),
 * `promotion-failed`. Others (`armed`, `heartbeat-missed`, `failback-*`, ...) are shown, not read.
 */
export const controllerEventSchema = z.object({
  /** Unix ms, sub-ms precision (the controller's performance.timeOrigin + performance.now()). */
  t: z.number(),
  type: z.string(),
  /** A site name (`dc1`, `dc2` in the regional estate). */
  site: z.string().optional(),
  detail: z.string().optional(),
  epoch: z.number().int(),
});
export type ControllerEvent = z.infer<typeof controllerEventSchema>;

export const controllerEventsSchema = z.array(controllerEventSchema);

/**
 * `GET /active`: the site serving writes now and its epoch; `watching` false while the controller
 * has not yet seen the active site healthy (it would not fail over yet: an estate is not serving
 * until it is true). A controller that does not say is taken as watching.
 */
export const activeSiteSchema = z.object({ site: z.string(), epoch: z.number().int(), watching: z.boolean().optional() });
export type ActiveSite = z.infer<typeof activeSiteSchema>;

/** A controller event as result.json keeps it: offset from the start of the load, ms. */
export const controllerEventRecordSchema = z.object({ atMs: z.number(), type: z.string(), site: z.string().nullable(), detail: z.string().nullable() });
export type ControllerEventRecord = z.infer<typeof controllerEventRecordSchema>;
