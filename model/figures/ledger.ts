/** The write ledger figure: every write attempted, judged against what the active site holds after the drill, and the RPO (docs/ARCHITECTURE.md § Figures). */
import { z } from 'zod';
import { OUTCOMES } from '../outcomes';
import { figureMetaSchema } from './figure';

/**
 * The write ledger (docs/ARCHITECTURE.md § 7): every write ever attempted, judged against what the active site
 * holds after the drill (Jepsen-style: ok must have taken effect, fail must not have, info may or
 * may not have). The read-back is the runner's I/O; the inputs below are what it hands the ledger.
 */

/** What the server holds for one idempotency key, as read back by the caller. */
export const readBackSchema = z.object({
  key: z.string(),
  present: z.boolean(),
  /**
   * The version and SAN sequence number the server recorded FOR THIS KEY's write (its idempotency
   * record), not the resource's current version, which later writes may have moved on.
   */
  version: z.number().optional(),
  seq: z.number().optional(),
  /** How many times the key's write was applied; > 1 is a duplicate. */
  appliedCount: z.number().int().nonnegative().optional(),
});
export type ReadBack = z.infer<typeof readBackSchema>;

/** A domain rule found broken on the server (by the app-specific checker), e.g. a slot booked twice. */
export const conflictSchema = z.object({
  kind: z.string(),
  id: z.string(),
  keys: z.array(z.string()),
  detail: z.string().optional(),
});
export type Conflict = z.infer<typeof conflictSchema>;

export const ledgerInputSchema = z.object({
  readBack: z.array(readBackSchema),
  /** Keys found on the server that the caller knows were never attempted. */
  unattemptedKeys: z.array(z.string()).default([]),
  conflicts: z.array(conflictSchema).default([]),
  /** The first fault (harness clock): RPO is measured from it when `lossFaults` is not given. */
  tFault: z.number(),
  /**
   * When each fault that took the primary away was applied (those followed by a promotion),
   * ascending. A lost write's RPO is measured from the first of them at or after its
   * acknowledgment: a fault that changed nothing (a slow WAN link) does not reset the clock, and
   * each failover of a drill is judged for the writes it lost. Default: [tFault].
   */
  lossFaults: z.array(z.number()).optional(),
});
export type LedgerInput = z.input<typeof ledgerInputSchema>;

export const writeAttemptSchema = z.object({
  index: z.number().int(),
  scheduled: z.number(),
  start: z.number().nullable(),
  end: z.number().nullable(),
  outcome: z.enum(OUTCOMES),
  status: z.number().int(),
  site: z.string(),
  ackVersion: z.number(),
  ackSeq: z.number(),
});
export type WriteAttempt = z.infer<typeof writeAttemptSchema>;

export const ledgerEntrySchema = z.object({
  key: z.string(),
  /** null for keys never attempted. */
  op: z.string().nullable(),
  service: z.string().nullable(),
  /** Why the key is listed, e.g. 'absent', 'version-mismatch', 'never-attempted', 'failed-but-present'. */
  reason: z.string(),
  /** End of the first ok attempt (the acknowledgment), when acknowledged. */
  tAck: z.number().nullable(),
  attempts: z.array(writeAttemptSchema),
  readBack: readBackSchema.nullable(),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

export const ledgerSchema = figureMetaSchema.extend({
  counts: z.object({
    /** Distinct keys with at least one attempt sent (ok, fail or info). */
    attempted: z.number().int(),
    acknowledged: z.number().int(),
    /** Keys whose every sent attempt was a definite fail. */
    failed: z.number().int(),
    /** Keys with an info attempt and no ok one. */
    indeterminate: z.number().int(),
    /** Keys only ever dropped (never sent). */
    notSent: z.number().int(),
    lost: z.number().int(),
    recovered: z.number().int(),
    unexpected: z.number().int(),
    duplicated: z.number().int(),
    conflicting: z.number().int(),
    /** Sent keys the caller gave no read-back for: not judged. */
    unverified: z.number().int(),
    /** Write rows without an idempotency key: cannot be judged. */
    unkeyed: z.number().int(),
  }),
  rpo: z.object({
    /** max(0, t_fault - t_ack of the earliest lost acknowledged write); 0 when none lost. */
    ms: z.number(),
    tFault: z.number(),
    earliestLostAck: z.number().nullable(),
    /** Lost writes acknowledged at or after t_fault: in `lost`, but they cannot make RPO positive. */
    lostAckedAfterFault: z.number().int(),
  }),
  lost: z.array(ledgerEntrySchema),
  recovered: z.array(ledgerEntrySchema),
  unexpected: z.array(ledgerEntrySchema),
  duplicated: z.array(ledgerEntrySchema),
  conflicting: z.array(conflictSchema.extend({ writes: z.array(ledgerEntrySchema) })),
  unverified: z.array(ledgerEntrySchema),
});
export type Ledger = z.infer<typeof ledgerSchema>;
