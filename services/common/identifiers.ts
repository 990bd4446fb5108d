import type * as http from 'node:http';
import { z } from 'zod';
import { VersionConflict, type Storage } from '../san/storage';
import type { Identifier } from './fhir';
import { HttpError } from './outcome';
import { readRecord, type Rec } from './records';
import type { CasWrite } from './write';

/**
 * Identifiers of FHIR resources, for the standard subset (docs in services/README.md, "FHIR R4"):
 * search by `identifier=<system>|<value>` and conditional create (`If-None-Exist`).
 *
 * One index record per (resource type, system, value) lists the ids of the resources that carry
 * it, in order. It is written in the same commit as the resource it points at, compare-and-set like
 * every record, so it replicates, fails over and is lost with the resource: a black-box read-back
 * sees exactly what the SAN holds.
 */
export const IDENTIFIER_TABLE = 'Identifier';

export const identifierDoc = z.object({
  resourceType: z.string(),
  system: z.string(),
  value: z.string(),
  ids: z.array(z.string()),
  idempotencyKey: z.string().nullable(),
});
export type IdentifierDoc = z.infer<typeof identifierDoc>;

const indexId = (type: string, i: Identifier) => `${type}|${i.system}|${i.value}`;

/** A FHIR token search value: `system|value`, `system|` (any value of the system), `|value` (no system) or `value` (any system). */
export interface Token {
  /** undefined: any system; '': no system. */
  system?: string;
  /** undefined: any value. */
  value?: string;
}

export function parseToken(token: string): Token {
  const bar = token.indexOf('|');
  if (bar < 0) return { value: token };
  const value = token.slice(bar + 1);
  return { system: token.slice(0, bar), value: value === '' ? undefined : value };
}

export const tokenMatches = (t: Token, i: Identifier): boolean =>
  (t.system === undefined || t.system === i.system) && (t.value === undefined || t.value === i.value);

/** The ids of the resources of `type` indexed under one identifier, in the order they were created. */
export async function idsWithIdentifier(storage: Storage, type: string, i: Identifier): Promise<string[]> {
  return (await readRecord(storage, IDENTIFIER_TABLE, identifierDoc, indexId(type, i)))?.doc.ids ?? [];
}

/**
 * The index writes that add `id` under each of `identifiers` (compare-and-set on each index record).
 * `condition`: the `If-None-Exist` identifier a conditional create found no resource for. Its index
 * is read again here, a few awaits later: if a concurrent create has put a resource under it since,
 * the condition was checked on a stale read, and this throws VersionConflict so that the write is
 * planned again (and answers 200 with that resource). Without it, the compare-and-set below took
 * the newer index as its base and both creates succeeded (two resources for one identifier, then
 * 412 for everyone: seen under a busy machine in test/services/fhir.test.ts).
 */
export async function identifierWrites(
  storage: Storage,
  type: string,
  identifiers: readonly Identifier[],
  id: string,
  key: string | null,
  condition?: Identifier,
): Promise<CasWrite[]> {
  const writes: CasWrite[] = [];
  const seen = new Set<string>();
  for (const i of identifiers) {
    const rid = indexId(type, i);
    if (seen.has(rid)) continue;
    seen.add(rid);
    const current = await readRecord(storage, IDENTIFIER_TABLE, identifierDoc, rid);
    const ids = current?.doc.ids ?? [];
    if (condition && rid === indexId(type, condition) && ids.some((other) => other !== id)) {
      throw new VersionConflict(IDENTIFIER_TABLE, rid, 0, current?.version ?? 0);
    }
    const doc: IdentifierDoc = { resourceType: type, system: i.system, value: i.value, ids: ids.includes(id) ? ids : [...ids, id], idempotencyKey: key };
    writes.push({ table: IDENTIFIER_TABLE, id: rid, doc, expectVersion: current?.version ?? 0 });
  }
  return writes;
}

/**
 * The identifier of an `If-None-Exist` header (FHIR conditional create), or undefined without one.
 * Only `identifier=<system>|<value>` is supported: any other criterion is refused (400).
 */
export function ifNoneExist(headers: http.IncomingHttpHeaders): Identifier | undefined {
  const raw = headers['if-none-exist'];
  if (raw === undefined) return undefined;
  const params = new URLSearchParams(String(raw).replace(/^.*\?/, ''));
  const names = [...params.keys()];
  const token = params.get('identifier');
  const t = token === null ? undefined : parseToken(token);
  if (names.length !== 1 || !t?.system || t.value === undefined) {
    throw new HttpError(400, 'not-supported', `If-None-Exist: only 'identifier=<system>|<value>' is supported, not '${String(raw)}'`);
  }
  return { system: t.system, value: t.value };
}

/**
 * Conditional create: the one resource the `If-None-Exist` identifier matches (then nothing is
 * created), undefined when none does (or there is no header), 412 when more than one does.
 */
export async function conditionalMatch<T>(
  headers: http.IncomingHttpHeaders,
  find: (i: Identifier) => Promise<Rec<T>[]>,
): Promise<Rec<T> | undefined> {
  const condition = ifNoneExist(headers);
  if (!condition) return undefined;
  const found = await find(condition);
  if (found.length > 1) {
    throw new HttpError(412, 'multiple-matches', `If-None-Exist: ${found.length} resources have identifier ${condition.system}|${condition.value}`);
  }
  return found[0];
}

/** Resources of `type` whose identifier matches a token: by the index for `system|value`, else by a scan of the table. */
export async function searchByIdentifier<T>(
  storage: Storage,
  type: string,
  token: string,
  o: { load: (id: string) => Promise<Rec<T> | undefined>; scan: () => Promise<Rec<T>[]>; identifiers: (r: Rec<T>) => Identifier[] },
): Promise<Rec<T>[]> {
  const t = parseToken(token);
  if (t.system && t.value !== undefined) {
    const ids = await idsWithIdentifier(storage, type, { system: t.system, value: t.value });
    const found: Rec<T>[] = [];
    for (const id of ids) {
      const r = await o.load(id);
      if (r && o.identifiers(r).some((i) => tokenMatches(t, i))) found.push(r);
    }
    return found;
  }
  return (await o.scan()).filter((r) => o.identifiers(r).some((i) => tokenMatches(t, i)));
}
