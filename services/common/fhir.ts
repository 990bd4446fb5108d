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
