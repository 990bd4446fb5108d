import { z } from 'zod';
import { nhsNumberProblem } from './nhs_number';
import { unprocessable } from './outcome';

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
/** meta.tag system carrying the Idempotency-Key that last wrote a resource, so verification can spot a key applied twice. */
export const IDEMPOTENCY_KEY_SYSTEM = 'urn:blackstart:idempotency-key';

export interface Meta {
  versionId: string;
  tag?: { system: string; code: string }[];
}

export function meta(version: number, idempotencyKey: string | null): Meta {
  return idempotencyKey === null
    ? { versionId: String(version) }
    : { versionId: String(version), tag: [{ system: IDEMPOTENCY_KEY_SYSTEM, code: idempotencyKey }] };
}

export const reference = (type: string, id: string) => ({ reference: `${type}/${id}` });

export interface Bundle<R> {
  resourceType: 'Bundle';
  type: 'searchset';
  total: number;
  entry: { resource: R }[];
}

export const searchset = <R>(resources: R[]): Bundle<R> => ({
  resourceType: 'Bundle',
  type: 'searchset',
  total: resources.length,
  entry: resources.map((resource) => ({ resource })),
});

/** ETag of a stored version, weak as FHIR's. */
export const etag = (version: number | string) => `W/"${version}"`;

/** Refuses (422) a value that is not a valid NHS number, saying which field and why. */
export function requireNhsNumber(value: string, field: string): string {
  const problem = nhsNumberProblem(value);
  if (problem) throw unprocessable(`${field}: ${problem}`, 'invalid');
  return value;
}

/** A FHIR Identifier as the apps keep it: system and value (use, type, period are not kept). */
export const identifierSchema = z.object({ system: z.string().min(1).max(255), value: z.string().min(1).max(255) });
export type Identifier = z.infer<typeof identifierSchema>;

/** A FHIR Reference as the apps read it: `{reference: "Type/id"}` (an absolute URL ending in Type/id is the same). */
export const referenceSchema = z.object({ reference: z.string().min(1) });

/** The id in a reference to `type`, or undefined when it refers to something else. */
export function referenceId(reference: string, type: string): string | undefined {
  const m = new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})$`).exec(reference);
  return m?.[1];
}

/** True when `json` is a FHIR resource of `type` (the standard request shape rather than the apps' own). */
export const isResource = (json: unknown, type: string): boolean =>
  typeof json === 'object' && json !== null && (json as { resourceType?: unknown }).resourceType === type;

/** The version in an `If-Match` / `ETag` value (`W/"3"`, `"3"` or `3`). */
export const versionOfEtag = (value: string): string => value.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
