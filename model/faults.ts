import { z } from 'zod';
import { SITES } from './estate';
import { TOXIC_TYPES, toxicAttributes, zeroAttributes, type ToxicTypeName } from './toxics';
import { duration } from './units';

/**
 * The fault types of DESIGN.md § 5, as they appear in a drill file (each fault is one of these
 * keys) and, parsed, as chaos/ acts on them. A duration is written with its unit in the drill
 * file ("3s") and is a number of ms once parsed.
 */

export { SITES, type Site } from './estate';

/** One of a fixed set of names, with a message that lists them. */
const oneOf = <const T extends readonly [string, ...string[]]>(what: string, values: T) =>
  z.enum(values, {
    error: (i) =>
      i.input === undefined
        ? `a ${what} is required (${what}s: ${values.join(', ')})`
        : `no ${what} ${JSON.stringify(i.input)} in the estate (${what}s: ${values.join(', ')})`,
  });

const site = oneOf('site', SITES);

export const powerCutSpec = z.object({ site }).strict();
export const powerFlapSpec = z
  .object({
    site,
    /** How many interruptions. */
    times: z.number().int().min(1).max(20),
    /** Period of one cut + restore, ms. */
    every: duration({ min: 100 }),
  })
  .strict();
export const storageCutSpec = z
  .object({
    site,
    /** hang: the SAN link swallows everything; refuse: connections refused; slow: added latency. */
    mode: z.enum(['hang', 'refuse', 'slow']),
    /** For `slow`: added one-way latency, ms (default 500). */
    latency: duration().optional(),
  })
  .strict();

/** Toxics a network fault can add; `noop` does nothing, so it is no fault. */
const NETWORK_TOXICS = TOXIC_TYPES.filter((t): t is Exclude<ToxicTypeName, 'noop'> => t !== 'noop');
/** Not a toxic in Toxiproxy: the proxy disabled (connections refused, live ones closed). */
const DOWN = 'down';

export const networkSpec = z
  .object({
    /** A proxy of the estate: frontdoor, heartbeat, replication, dc1-san, dc1-booking, ... */
    link: z.string().min(1),
    toxic: z.enum([...NETWORK_TOXICS, DOWN]),
    /** The toxic's attributes; omitted ones are 0, as in Toxiproxy. Checked against the toxic below. */
    attributes: z.record(z.string(), z.unknown()).default({}),
    stream: z.enum(['upstream', 'downstream']).default('downstream'),
    toxicity: z.number().min(0).max(1).default(1),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const given = Object.keys(spec.attributes);
    if (spec.toxic === DOWN) {
      for (const key of given) ctx.addIssue({ code: 'custom', path: ['attributes', key], message: `${DOWN} takes no attributes`, params: { key: true } });
      return;
    }
    const toxic = toxicAttributes(spec.toxic)!;
    const known = new Set<string>(toxic.attributeNames);
    for (const key of given.filter((k) => !known.has(k))) {
      // params.key: the key itself is wrong (a drill file's error points at it).
      const message = `unknown attribute of ${spec.toxic} (${toxic.attributeNames.join(', ') || 'none'})`;
      ctx.addIssue({ code: 'custom', path: ['attributes', key], message, params: { key: true } });
    }
    // The set the proxy will check: what is given over zeros.
    const result = toxic.schema.safeParse({ ...zeroAttributes(toxic), ...spec.attributes });
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: ['attributes', ...issue.path], message: issue.message });
    }
  })
  // Checked above: every attribute is a number.
  .transform((spec) => ({ ...spec, attributes: spec.attributes as Record<string, number> }));

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
