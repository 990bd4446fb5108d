import type { Conflict, Ledger, ReadBack } from '../../model/figures/ledger';
import { FHIR_WRITES, type FhirWriteType } from '../load/fhir_workload';
import { SERVICES, type RequestLog, type ServiceName } from '../load/records';
import { versionNumber } from '../load/version';
import type { ReadBackResult } from './readback';

/**
 * The black-box read-back (docs/ARCHITECTURE.md § 7.9, "by FHIR search"): every write of the FHIR
 * workload is found again by the identifier it carries, with nothing but standard FHIR R4 searches,
 * so it works on any FHIR R4 server (no `/_ledger`, no SAN):
 * - `GET [base]/<type>?identifier=<system>|<key>` per key, several at once in `batch` Bundles
 *   (`POST [base]`, `Bundle.type = batch`) where the server takes them (probed once per base, on
 *   the first chunk; else one GET per key, `concurrency` at a time, up to 3 tries each);
 * - found 0 times: absent; n times: present, applied n times (n > 1 is a duplicate); the version
 *   is the resource's `meta.versionId` when this key wrote its current version (the last of its
 *   identifiers of the system: each update adds its key), else not compared (a later write of the
 *   run moved it on, and carries its own check);
 * - unexpected writes: `GET [base]/<type>?identifier=<system>|` (the system alone, paged) lists every
 *   resource of the system; its keys of this run that were never attempted are unattempted keys.
 *   A server that refuses or ignores that search leaves unexpected not measured (`unexpectedMeasured`);
 * - domain conflicts: each slot the run's found bookings reference, `GET [base]/Appointment?slot=
 *   Slot/<id>&status=booked`: more than one booked appointment is a slot booked twice.
 */

export interface FhirReadBackOptions {
  /** FHIR base URL per service (Patient and Encounter on pas, Slot and Appointment on booking). */
  bases: Record<ServiceName, string>;
  /** The system of the write keys' identifiers. */
  identifierSystem: string;
  /** Every key of this run starts with `<runPrefix>-`. */
  runPrefix: string;
  /** Requests in flight at most. Default 8. */
  concurrency?: number;
  /** Searches per batch Bundle. Default 50. */
  batchSize?: number;
  /** Extra headers on every request (a vendor's auth). */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface FhirReadBackResult extends ReadBackResult {
  /** Per base URL: true when it answered batch Bundles, false when each search was a GET. */
  batch: Record<string, boolean>;
  /** False when a server could not search by identifier system alone: unexpected writes were not looked for. */
  unexpectedMeasured: boolean;
  /** What could not be done, in words (for the ledger's parameters). */
  notes: string[];
}

interface FhirResource {
  resourceType?: string;
  id?: string;
  meta?: { versionId?: string };
  identifier?: { system?: string; value?: string }[];
  slot?: { reference?: string }[];
}

interface SearchBundle {
  resourceType?: string;
  entry?: { resource?: FhirResource; search?: { mode?: string } }[];
  link?: { relation?: string; url?: string }[];
}

export async function fhirReadBack(log: RequestLog, o: FhirReadBackOptions): Promise<FhirReadBackResult> {
  const http = new FhirHttp(o);
  const system = o.identifierSystem;
  // Every key of the run once, with the resource type its operation wrote.
  const writes = new Map<string, { type: FhirWriteType; service: ServiceName; op: string }>();
  for (const [i, key] of log.keys) {
    const op = log.opNames[log.op[i]];
    const w = FHIR_WRITES[op];
    if (w && !writes.has(key)) writes.set(key, { type: w.resourceType, service: SERVICES[log.service[i]], op });
  }

  // One search per key, grouped by base (batches go to one base).
  const byBase = new Map<string, { key: string; type: FhirWriteType }[]>();
  for (const [key, w] of writes) {
    const base = o.bases[w.service];
    if (!byBase.has(base)) byBase.set(base, []);
    byBase.get(base)!.push({ key, type: w.type });
  }
  const readBack: ReadBack[] = [];
  const unreadable: string[] = [];
  const found = new Map<string, FhirResource[]>();
  for (const [base, items] of byBase) {
    const bundles = await http.searches(
      base,
      items.map((it) => `${it.type}?identifier=${encodeURIComponent(`${system}|${it.key}`)}`),
    );
    items.forEach((it, n) => {
      const bundle = bundles[n];
      if (!bundle) {
        unreadable.push(it.key);
        return;
      }
      const matches = matchesOf(bundle, it.type).filter((r) => identifiersOf(r, system).includes(it.key));
      found.set(it.key, matches);
      if (matches.length === 0) {
        readBack.push({ key: it.key, present: false });
        return;
      }
      const ours = identifiersOf(matches[0], system);
      // This key wrote the current version only if it is the last key the resource carries.
      const version = ours[ours.length - 1] === it.key ? versionNumber(matches[0].meta?.versionId) || undefined : undefined;
      readBack.push({ key: it.key, present: true, appliedCount: matches.length, ...(version !== undefined ? { version } : {}) });
    });
  }

  // Unexpected: every resource of the system, per type the run wrote.
  const notes: string[] = [];
  let unexpectedMeasured = true;
  const unattempted = new Set<string>();
  const types = new Map<string, { base: string; type: FhirWriteType }>();
  for (const w of Object.values(FHIR_WRITES)) types.set(`${o.bases[w.service]} ${w.resourceType}`, { base: o.bases[w.service], type: w.resourceType });
  for (const { base, type } of types.values()) {
    const listed = await http.searchPaged(base, `${type}?identifier=${encodeURIComponent(`${system}|`)}&_count=1000`, type);
    if (!listed) {
      unexpectedMeasured = false;
      notes.push(`${type} at ${base}: no search by identifier system alone`);
      continue;
    }
    // A server that ignored the parameter lists resources without the system: not a search by system.
    if (listed.some((r) => identifiersOf(r, system).length === 0)) {
      unexpectedMeasured = false;
      notes.push(`${type} at ${base}: the search by identifier system alone was ignored`);
      continue;
    }
    for (const r of listed) for (const k of identifiersOf(r, system)) if (k.startsWith(`${o.runPrefix}-`) && !writes.has(k)) unattempted.add(k);
  }

  // A slot booked twice, among the slots the run's found bookings hold.
  const slots = new Set<string>();
  for (const [key, w] of writes) {
    if (w.op !== 'book_appointment') continue;
    for (const r of found.get(key) ?? []) for (const s of r.slot ?? []) if (s.reference) slots.add(s.reference.replace(/^.*\b(Slot\/[^/]+)$/, '$1'));
  }
  const conflicts: Conflict[] = [];
  const slotList = [...slots];
  const slotBundles = await http.searches(
    o.bases.booking,
    slotList.map((s) => `Appointment?slot=${encodeURIComponent(s)}&status=booked`),
  );
  slotList.forEach((slot, n) => {
    const bundle = slotBundles[n];
    if (!bundle) {
      notes.push(`${slot}: not checked for double booking (search failed)`);
      return;
    }
    const bookedHere = matchesOf(bundle, 'Appointment');
    if (bookedHere.length > 1) {
      conflicts.push({
        kind: 'slot-double-booked',
        id: slot.replace(/^Slot\//, ''),
        keys: bookedHere.map((a) => identifiersOf(a, system)[0] ?? '?'),
        detail: `${bookedHere.length} booked appointments`,
      });
    }
  });

  return {
    readBack,
    unattemptedKeys: [...unattempted],
    conflicts,
    unreadable,
    batch: Object.fromEntries(http.batchSupport),
    unexpectedMeasured,
    notes,
  };
}

/** The resources of a searchset that matched (not `_include`d ones, not OperationOutcomes). */
function matchesOf(bundle: SearchBundle, type: string): FhirResource[] {
  return (bundle.entry ?? []).filter((e) => e.resource?.resourceType === type && (e.search?.mode ?? 'match') === 'match').map((e) => e.resource!);
}

/** The values of a resource's identifiers of `system`, in order. */
function identifiersOf(r: FhirResource, system: string): string[] {
  return (r.identifier ?? []).filter((i) => i.system === system && typeof i.value === 'string').map((i) => i.value!);
}

/** Searches on FHIR bases: batched where a base takes batch Bundles, else one GET each. */
class FhirHttp {
  readonly batchSupport = new Map<string, boolean>();
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly timeoutMs: number;

  constructor(private readonly o: FhirReadBackOptions) {
    this.concurrency = o.concurrency ?? 8;
    this.batchSize = o.batchSize ?? 50;
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  /** Each search's Bundle, in order; undefined where it failed after its tries. */
  async searches(base: string, urls: string[]): Promise<(SearchBundle | undefined)[]> {
    const out: (SearchBundle | undefined)[] = new Array(urls.length).fill(undefined);
    const missing: number[] = [];
    const chunks: number[][] = [];
    for (let i = 0; i < urls.length; i += this.batchSize) chunks.push(urls.slice(i, i + this.batchSize).map((_, k) => i + k));
    let next = 0;
    if (this.batchSupport.get(base) !== false && chunks.length > 0) {
      // The first chunk is the probe: a base that does not answer it with a batch-response gets GETs.
      if (!this.batchSupport.has(base)) {
        const first = chunks[next++];
        const answers = await this.batch(base, first.map((i) => urls[i]));
        this.batchSupport.set(base, answers !== undefined);
        first.forEach((i, k) => (answers?.[k] ? (out[i] = answers[k]) : missing.push(i)));
      }
      if (this.batchSupport.get(base)) {
        await pool(chunks.slice(next), Math.max(1, Math.floor(this.concurrency / 2)), async (chunk) => {
          const answers = await this.batch(base, chunk.map((i) => urls[i]));
          chunk.forEach((i, k) => (answers?.[k] ? (out[i] = answers[k]) : missing.push(i)));
        });
        next = chunks.length;
      }
    }
    for (const chunk of chunks.slice(next)) missing.push(...chunk);
    // Entries a batch did not answer, and everything on a base without batches: one GET each.
    await pool(missing, this.concurrency, async (i) => {
      const res = await this.request('GET', `${base}/${urls[i]}`);
      if (res && res.status === 200 && isBundle(res.body)) out[i] = res.body;
    });
    return out;
  }

  /** Every resource of `type` a search returns across its pages (`link[next]`, its query kept on our base); undefined when the server refused it. */
  async searchPaged(base: string, url: string, type: string): Promise<FhirResource[] | undefined> {
    const all: FhirResource[] = [];
    let query = url;
    for (let page = 0; page < 1000; page++) {
      const res = await this.request('GET', `${base}/${query}`);
      if (!res || res.status !== 200 || !isBundle(res.body)) return undefined;
      all.push(...matchesOf(res.body, type));
      const nextUrl = res.body.link?.find((l) => l.relation === 'next')?.url;
      if (!nextUrl) return all;
      const q = nextUrl.indexOf('?');
      if (q < 0) return all;
      query = `${type}${nextUrl.slice(q)}`;
    }
    return all;
  }

  /** One batch Bundle of GETs; each entry's searchset (undefined for an entry that failed), or undefined when the batch itself was not answered as one. */
  private async batch(base: string, urls: string[]): Promise<(SearchBundle | undefined)[] | undefined> {
    const body = { resourceType: 'Bundle', type: 'batch', entry: urls.map((url) => ({ request: { method: 'GET', url } })) };
    const res = await this.request('POST', base, body);
    const b = res?.body as { resourceType?: string; type?: string; entry?: { resource?: unknown; response?: { status?: string } }[] } | undefined;
    if (!res || res.status !== 200 || b?.resourceType !== 'Bundle' || b.type !== 'batch-response' || b.entry?.length !== urls.length) return undefined;
    return b.entry.map((e) => (parseInt(e.response?.status ?? '', 10) === 200 && isBundle(e.resource) ? e.resource : undefined));
  }

  /** Up to 3 tries on a network error or a 5xx; undefined when every try failed without an answer. */
  private async request(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: unknown } | undefined> {
    let last: { status: number; body: unknown } | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 200 * attempt));
      try {
        const res = await fetch(url, {
          method,
          headers: { accept: 'application/fhir+json', ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}), ...this.o.headers },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const text = await res.text();
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        last = { status: res.status, body: parsed };
        if (res.status < 500) return last;
      } catch {
        // try again
      }
    }
    return last;
  }
}

const isBundle = (b: unknown): b is SearchBundle => typeof b === 'object' && b !== null && (b as { resourceType?: unknown }).resourceType === 'Bundle';

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/**
 * The ledger as judged from a FHIR read-back: its definition and parameters say how the writes
 * were read back, and whether unexpected writes could be looked for at all.
 */
export function describeFhirReadBack(l: Ledger, back: FhirReadBackResult): Ledger {
  const how =
    ' Read back by FHIR search (black box): each key by GET [base]/<type>?identifier=<system>|<key> (in batch Bundles where the server takes them), ' +
    'present = found, appliedCount = times found, version = meta.versionId of the resource when the key wrote its current version (its last identifier of the system), else not compared; ' +
    'no SAN sequence numbers. Unexpected writes need a search by identifier system alone (identifier=<system>|): ' +
    (back.unexpectedMeasured ? 'done.' : `not available here, so unexpected counts only present keys that failed or were never sent, not unknown keys (${back.notes.join('; ')}).`);
  const batched = Object.values(back.batch);
  return {
    ...l,
    definition: l.definition + how,
    parameters: {
      ...l.parameters,
      readBackBy: 'fhir-identifier-search',
      batch: batched.length > 0 && batched.every(Boolean),
      unexpectedMeasured: back.unexpectedMeasured,
      unreadable: back.unreadable.length,
    },
  };
}
