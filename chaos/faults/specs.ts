import { z } from 'zod';

/**
 * The fault types of DESIGN.md § 5, as they appear in a drill file (each fault is one of these
 * keys). Durations are ms after the drill file's units are parsed.
 */
import { SITES } from '../../model/estate';
export { SITES, type Site } from '../../model/estate';

export const powerCutSpec = z.object({ site: z.enum(SITES) }).strict();
export const powerFlapSpec = z
  .object({
    site: z.enum(SITES),
    /** How many interruptions. */
    times: z.number().int().min(1).max(20),
    /** Period of one cut + restore, ms. */
    every: z.number().int().min(100),
  })
  .strict();
export const storageCutSpec = z
  .object({
    site: z.enum(SITES),
    /** hang: the SAN link swallows everything; refuse: connections refused; slow: added latency. */
    mode: z.enum(['hang', 'refuse', 'slow']),
    /** For `slow`: added one-way latency, ms (default 500). */
    latency: z.number().int().min(0).optional(),
  })
  .strict();
export const networkSpec = z
  .object({
    /** A proxy of the estate: frontdoor, heartbeat, replication, dc1-san, dc1-booking, ... */
    link: z.string().min(1),
    toxic: z.enum(['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data', 'down']),
    attributes: z.record(z.string(), z.number()).default({}),
    stream: z.enum(['upstream', 'downstream']).default('downstream'),
    toxicity: z.number().min(0).max(1).default(1),
  })
  .strict();
export const freezeSpec = z.object({ component: z.string().min(1) }).strict();
/** Not a fault but an operation on the schedule: a planned switchover to the other site. */
export const failbackSpec = z.object({}).strict();

export type PowerCutSpec = z.infer<typeof powerCutSpec>;
export type PowerFlapSpec = z.infer<typeof powerFlapSpec>;
export type StorageCutSpec = z.infer<typeof storageCutSpec>;
export type NetworkSpec = z.infer<typeof networkSpec>;
export type FreezeSpec = z.infer<typeof freezeSpec>;
export type FailbackSpec = z.infer<typeof failbackSpec>;

/** One fault, with its kind resolved: what chaos/ acts on. */
export type FaultSpec =
  | { kind: 'power_cut'; spec: PowerCutSpec }
  | { kind: 'power_flap'; spec: PowerFlapSpec }
  | { kind: 'storage_cut'; spec: StorageCutSpec }
  | { kind: 'network'; spec: NetworkSpec }
  | { kind: 'freeze'; spec: FreezeSpec }
  | { kind: 'failback'; spec: FailbackSpec };

export const FAULT_KINDS = ['power_cut', 'power_flap', 'storage_cut', 'network', 'freeze', 'failback'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
