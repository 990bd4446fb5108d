import { z } from 'zod';
import { errors } from './errors';

/**
 * The proxy API's request bodies. Decoding follows Toxiproxy (Go's encoding/json): keys match
 * case-insensitively, unknown keys are ignored, null means absent.
 */

const jsonKind = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v;

/**
 * The longest name, listen or upstream accepted (Toxiproxy has no limit): a proxy or toxic name
 * longer than a request line can carry could never be addressed in a URL, and without a bound a
 * few requests with megabyte names would hold gigabytes.
 */
export const MAX_TEXT = 1024;

/** The deepest JSON nesting accepted, as Go's encoding/json (which Toxiproxy decodes with). */
export const MAX_JSON_DEPTH = 10_000;

const field = {
  string: (struct: string, name: string) =>
    z
      .string({ error: (i) => `json: cannot unmarshal ${jsonKind(i.input)} into Go struct field ${struct}.${name} of type string` })
      .max(MAX_TEXT, { error: `longer than ${MAX_TEXT} characters` }),
  boolean: (struct: string, name: string) =>
    z.boolean({ error: (i) => `json: cannot unmarshal ${jsonKind(i.input)} into Go struct field ${struct}.${name} of type bool` }),
  number: (struct: string, name: string) =>
    z.number({ error: (i) => `json: cannot unmarshal ${jsonKind(i.input)} into Go struct field ${struct}.${name} of type float32` }),
  object: (struct: string, name: string) =>
    z.record(z.string(), z.unknown(), {
      error: (i) => `json: cannot unmarshal ${jsonKind(i.input)} into Go struct field ${struct}.${name} of type map[string]interface {}`,
    }),
};

/** Renames keys to the schema's spelling when they match case-insensitively, and drops nulls. */
export function normaliseKeys(value: unknown, names: readonly string[]): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  const lower = new Map(names.map((n) => [n.toLowerCase(), n]));
  for (const [key, v] of Object.entries(value)) {
    if (v === null) continue;
    const known = names.includes(key) ? key : lower.get(key.toLowerCase());
    // An exact match wins over a case-insensitive one, as in Go.
    if (known && (known === key || !(known in out))) out[known] = v;
  }
  return out;
}

const lenientObject = <T extends z.ZodRawShape>(struct: string, shape: T) =>
  z.preprocess(
    (v) => normaliseKeys(v, Object.keys(shape)),
    z.object(shape, { error: (i) => `json: cannot unmarshal ${jsonKind(i.input)} into Go value of type ${struct}` }),
  );

export const proxyBody = lenientObject('proxy.Proxy', {
  name: field.string('Proxy', 'name').optional(),
  listen: field.string('Proxy', 'listen').optional(),
  upstream: field.string('Proxy', 'upstream').optional(),
  enabled: field.boolean('Proxy', 'enabled').optional(),
});
export type ProxyBody = z.infer<typeof proxyBody>;

export const toxicBody = lenientObject('toxics.ToxicWrapper', {
  name: field.string('ToxicWrapper', 'name').optional(),
  type: field.string('ToxicWrapper', 'type').optional(),
  stream: field.string('ToxicWrapper', 'stream').optional(),
  toxicity: field.number('ToxicWrapper', 'toxicity').optional(),
  attributes: field.object('ToxicWrapper', 'attributes').optional(),
});
export type ToxicBody = z.infer<typeof toxicBody>;

/**
 * A toxic update: Toxiproxy decodes only these two keys (into an anonymous struct, hence the
 * empty struct name in its messages); name, type and stream are ignored whatever their type.
 */
export const toxicUpdateBody = lenientObject('struct { Attributes interface {}; Toxicity float32 }', {
  toxicity: field.number('', 'toxicity').optional(),
  attributes: field.object('', 'attributes').optional(),
});
export type ToxicUpdateBody = z.infer<typeof toxicUpdateBody>;

/** A `--config` file entry: a populate entry, plus the toxics to apply (an extension). */
export const configEntry = lenientObject('proxy.Proxy', {
  name: field.string('Proxy', 'name').optional(),
  listen: field.string('Proxy', 'listen').optional(),
  upstream: field.string('Proxy', 'upstream').optional(),
  enabled: field.boolean('Proxy', 'enabled').optional(),
  toxics: z.array(toxicBody).optional(),
});
export type ConfigEntry = z.infer<typeof configEntry>;

/** Parses a request body as JSON; the errors read as Toxiproxy's `bad request body: ...`. */
export function parseJson(raw: string): unknown {
  if (raw.trim() === '') throw errors.badRequestBody('EOF');
  // Refused before parsing: a deeply nested value would overflow the stack of whatever walks it.
  if (jsonDepthExceeds(raw, MAX_JSON_DEPTH)) throw errors.badRequestBody(`invalid JSON: exceeded max depth (${MAX_JSON_DEPTH})`);
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw errors.badRequestBody(`invalid JSON: ${(err as Error).message}`);
  }
}

/** True when `raw` opens more than `max` arrays and objects inside one another (strings skipped). */
export function jsonDepthExceeds(raw: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function decode<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw errors.badRequestBody(describeIssue(result.error.issues[0]));
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.filter((p) => typeof p !== 'symbol').join('.');
  return issue.message.startsWith('json:') || path === '' ? issue.message : `${path}: ${issue.message}`;
}
