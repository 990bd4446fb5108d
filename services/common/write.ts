import { createHash } from 'node:crypto';
import { z } from 'zod';
import { VersionConflict, type CommitResult, type Storage } from '../san/storage';
import { etag } from './fhir';
import type { Ctx, Reply, Router } from './http';
import { HttpError, badRequest } from './outcome';

/**
 * The one way the apps write: Idempotency-Key lookup, domain checks on fresh reads, one atomic
 * compare-and-set commit that also stores the answer, so a retry gets the first answer and never
 * writes twice.
 */

/** A record write whose expected version is always given: every write in the estate is compare-and-set. */
export interface CasWrite {
  table: string;
  id: string;
  /** Every stored document names the key that last wrote it, so verification can find a key applied twice. */
  doc: { idempotencyKey: string | null };
  /** 0 for a new record, else the version read. */
  expectVersion: number;
}

export interface WritePlan {
  status: 200 | 201;
  /** The first write is the record the answer is about: its new version is the answer's version. */
  writes: [CasWrite, ...CasWrite[]];
  /** The answer's body, given the first record's new version (known before commit: expectVersion + 1). */
  respond(version: number): unknown;
  location?: string;
}

/**
 * Nothing to write: the answer is a resource that already exists (a FHIR conditional create whose
 * `If-None-Exist` matched exactly one resource answers 200 with it, and stores nothing).
 */
export interface ExistingAnswer {
  existing: Reply;
}

export interface WriteCtx<B> extends Ctx<B> {
  /** The client's Idempotency-Key, or null when the request has none (then there is no idempotency). */
  key: string | null;
}

/** What the SAN keeps with a key and gives back to a retry. */
const storedResponse = z.object({
  status: z.number().int(),
  body: z.unknown(),
  headers: z.record(z.string(), z.string()),
  /** Fingerprint of the first request: the same key with another request is refused, not replayed. */
  request: z.string(),
});
type StoredResponse = z.infer<typeof storedResponse>;

// A lost compare-and-set means our reads were stale; planning again on fresh reads turns it into
// either a success or a 409 naming the real domain reason (slot booked, session full).
const ATTEMPTS = 3;

/** Registers write routes (POST, or PUT for a FHIR update) on a router, all going through the idempotent commit flow. */
export function writeRoutes(router: Router, storage: Storage) {
  return function write<B extends z.ZodType = z.ZodUnknown>(
    path: string,
    options: { body?: B; method?: 'POST' | 'PUT' },
    plan: (ctx: WriteCtx<z.output<B>>) => Promise<WritePlan | ExistingAnswer>,
  ): void {
    router.route(options.method ?? 'POST', path, { body: options.body, before: (ctx) => replayIfSeen(storage, ctx) }, (ctx) =>
      commitPlan(storage, { ...ctx, key: idempotencyKey(ctx) }, plan),
    );
  };
}

async function replayIfSeen(storage: Storage, ctx: Ctx<unknown, unknown>): Promise<Reply | undefined> {
  const key = idempotencyKey(ctx);
  if (key === null) return undefined;
  const prior = await storage.lookupIdempotencyKey(key);
  return prior && replay(key, prior, fingerprint(ctx));
}

async function commitPlan<B>(storage: Storage, ctx: WriteCtx<B>, plan: (ctx: WriteCtx<B>) => Promise<WritePlan | ExistingAnswer>): Promise<Reply> {
  const request = fingerprint(ctx);
  for (let attempt = 1; ; attempt++) {
    let p: WritePlan;
    try {
      const planned = await plan(ctx);
      if ('existing' in planned) return planned.existing;
      p = planned;
    } catch (err) {
      // A read the plan rests on went stale while it planned (identifierWrites): plan again.
      if (err instanceof VersionConflict && attempt < ATTEMPTS) continue;
      // A concurrent request with the same key may have committed since our lookup, and its write
      // now refuses ours (the slot it booked is busy): the client must get that first answer.
      if (ctx.key !== null && err instanceof HttpError && (err.status === 409 || err.status === 422)) {
        const prior = await storage.lookupIdempotencyKey(ctx.key);
        if (prior) return replay(ctx.key, prior, request);
      }
      throw err;
    }
    for (const w of p.writes) {
      if (w.doc.idempotencyKey !== ctx.key) throw new Error(`${w.table}/${w.id}: document does not carry the request's Idempotency-Key`);
    }
    const version = p.writes[0].expectVersion + 1;
    const headers: Record<string, string> = { ETag: etag(version), ...(p.location ? { Location: p.location } : {}) };
    const response: StoredResponse = { status: p.status, body: p.respond(version), headers, request };
    let result: CommitResult;
    try {
      result = await storage.commit({ writes: p.writes, idempotencyKey: ctx.key ?? undefined, response });
    } catch (err) {
      if (err instanceof VersionConflict && attempt < ATTEMPTS) continue;
      throw err;
    }
    if (result.replayed) return replay(ctx.key!, result, request);
    if (result.versions[0] !== version) {
      throw new Error(`storage gave ${p.writes[0].table}/${p.writes[0].id} version ${result.versions[0]}, expected ${version}`);
    }
    // The site that served a write is the one whose storage took it, where that is not the app's own.
    const served: Record<string, string> = result.site !== undefined ? { 'x-blackstart-site': result.site } : {};
    return { status: response.status, body: response.body, headers: { ...headers, 'x-blackstart-seq': String(result.seq), ...served } };
  }
}

function replay(key: string, prior: CommitResult, request: string): Reply {
  const stored = storedResponse.safeParse(prior.response);
  if (!stored.success || stored.data.request !== request) {
    throw new HttpError(
      422,
      'business-rule',
      `Idempotency-Key '${key}' was already used for a different request; a retry must repeat its first request exactly`,
    );
  }
  const { status, body, headers } = stored.data;
  return { status, body, headers: { ...headers, 'idempotent-replayed': 'true', 'x-blackstart-seq': String(prior.seq) } };
}

function idempotencyKey(ctx: Ctx<unknown, unknown>): string | null {
  const raw = ctx.headers['idempotency-key'];
  if (raw === undefined) return null;
  // The IETF draft sends the key as a quoted string; plain tokens are accepted as the same key.
  const key = String(raw).replace(/^"(.*)"$/, '$1');
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw badRequest('Idempotency-Key header must be 1 to 255 visible ASCII characters');
  return key;
}

/** Method, path and body (keys sorted): what makes two requests "the same request" for a key. */
function fingerprint(ctx: Ctx<unknown, unknown>): string {
  return createHash('sha256').update(`${ctx.method} ${ctx.path}\n${canonicalJson(ctx.json)}`).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
