import { z } from 'zod';

/**
 * The toxic types of Toxiproxy, by the name its API uses: each with its attribute names and the
 * zod schema of a full attribute set. One declaration serves the proxy (proxy/toxics, which adds
 * the behaviour) and the drill file's network fault (model/faults.ts).
 */

/**
 * A value as an error message quotes it: JSON, cut to `max` characters, so a hostile value (a
 * megabyte string, a structure nested thousands deep) cannot blow up the message or the stack.
 */
export function shownValue(value: unknown, max = 60): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? '[...]' : typeof value === 'object' ? '{...}' : String(value);
  }
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

/** Integer attribute, never negative: Toxiproxy takes int64 and crashes or misbehaves on negatives. */
export const nonNegativeInt = () =>
  z
    .number({ error: (i) => `must be an integer, got ${shownValue(i.input)}` })
    .int({ error: (i) => `must be an integer, got ${shownValue(i.input)}` })
    .min(0, { error: (i) => `must not be negative, got ${shownValue(i.input)}` });

/** One toxic type's attributes: `attributeNames` in the order Toxiproxy emits them. */
export interface ToxicAttributes<A extends Record<string, number>> {
  readonly type: string;
  readonly attributeNames: readonly (keyof A & string)[];
  /** Validates a full attribute set (after defaults and merging); unknown keys are dropped. */
  readonly schema: z.ZodType<A>;
}

/** The shape's keys, in the order written, are the attribute names: write them in Toxiproxy's order. */
function attributes<const T extends string, S extends Record<string, z.ZodType<number>>>(type: T, shape: S) {
  return {
    type,
    attributeNames: Object.keys(shape) as (keyof S & string)[],
    schema: z.object(shape) as z.ZodType<{ [K in keyof S]: number }>,
  } satisfies ToxicAttributes<{ [K in keyof S]: number }>;
}

export const latencyAttributes = attributes('latency', { latency: nonNegativeInt(), jitter: nonNegativeInt() });
export const bandwidthAttributes = attributes('bandwidth', { rate: nonNegativeInt() });
export const slowCloseAttributes = attributes('slow_close', { delay: nonNegativeInt() });
export const timeoutAttributes = attributes('timeout', { timeout: nonNegativeInt() });
export const resetPeerAttributes = attributes('reset_peer', { timeout: nonNegativeInt() });
export const slicerAttributes = attributes('slicer', {
  // 0 makes the real server recurse until it crashes: refused here.
  average_size: nonNegativeInt().min(1, { error: 'must be at least 1 (0 crashes Toxiproxy)' }),
  size_variation: nonNegativeInt(),
  delay: nonNegativeInt(),
});
export const limitDataAttributes = attributes('limit_data', { bytes: nonNegativeInt() });
export const noopAttributes = attributes('noop', {});

/** Every toxic type; adding one means a line here and its behaviour in proxy/toxics. */
export const TOXICS = [
  latencyAttributes,
  bandwidthAttributes,
  slowCloseAttributes,
  timeoutAttributes,
  resetPeerAttributes,
  slicerAttributes,
  limitDataAttributes,
  noopAttributes,
] as const;

export type ToxicTypeName = (typeof TOXICS)[number]['type'];

export const TOXIC_TYPES = TOXICS.map((t) => t.type) as ToxicTypeName[];

export function toxicAttributes(type: string): ToxicAttributes<Record<string, number>> | undefined {
  return (TOXICS as readonly ToxicAttributes<Record<string, number>>[]).find((t) => t.type === type);
}

/** Omitted attributes are 0, as in Toxiproxy. */
export function zeroAttributes(t: ToxicAttributes<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(t.attributeNames.map((n) => [n, 0]));
}
