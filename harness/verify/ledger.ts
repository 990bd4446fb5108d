import { z } from 'zod';
import { CLOCK_RESOLUTION, figureMetaSchema } from '../measure/figure';
import { OUTCOMES, OutcomeCode, SERVICES, SITE_CODES, type RequestLog } from '../load/records';

/**
 * The write ledger (DESIGN § 7): every write ever attempted, judged against what the active site
 * holds after the drill. The read-back itself is I/O and belongs to the runner; this module only
 * compares, so it can be fed synthetic histories with known answers (Jepsen-style: ok must have
 * taken effect, fail must not have, info may or may not have).
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

const DEFINITION =
  'Writes are grouped by idempotency key (retries share a key). A key is acknowledged when any attempt was ok (t_ack = end of the first ok attempt, ' +
  'its ackVersion/ackSeq are the acknowledged ones), else indeterminate when any was info, else failed when any was fail, else not sent (only dropped). ' +
  'attempted = keys with an attempt sent. lost = acknowledged and absent, or present with a version or seq different from the acknowledged one ' +
  '(compared only where both sides are known: an ack version/seq of 0 means none was reported). recovered = indeterminate and present. ' +
  'unexpected = present but never attempted (read-back of an unknown key, or listed by the caller), or present although every attempt failed or none was sent. ' +
  'duplicated = appliedCount > 1. conflicting = the domain conflicts found by the caller, with the writes of their keys. ' +
  'unverified = attempted keys with no read-back (not judged). RPO = the largest t_fault - t_ack over lost acknowledged writes, where t_fault is the first fault that took the primary away (one followed by a promotion) applied after t_ack; 0 when none is lost; ' +
  'a write acknowledged at or after the last such fault cannot make RPO positive and still counts as lost (lostAckedAfterFault). rpo.tFault is the fault the largest was measured from.';

interface KeyHistory {
  key: string;
  rows: number[];
}

export function ledger(log: RequestLog, input: LedgerInput): Ledger {
  const o = ledgerInputSchema.parse(input);
  const histories = new Map<string, KeyHistory>();
  let unkeyed = 0;
  for (let i = 0; i < log.length; i++) {
    if (log.write[i] !== 1) continue;
    const key = log.keys.get(i);
    if (key === undefined) {
      unkeyed++;
      continue;
    }
    let h = histories.get(key);
    if (!h) histories.set(key, (h = { key, rows: [] }));
    h.rows.push(i);
  }
  const readBack = new Map(o.readBack.map((r) => [r.key, r]));

  const attemptOf = (i: number): WriteAttempt => ({
    index: i,
    scheduled: log.scheduled[i],
    start: Number.isFinite(log.start[i]) ? log.start[i] : null,
    end: Number.isFinite(log.end[i]) ? log.end[i] : null,
    outcome: OUTCOMES[log.outcome[i]],
    status: log.status[i],
    site: SITE_CODES[log.site[i]],
    ackVersion: log.ackVersion[i],
    ackSeq: log.ackSeq[i],
  });
  const entry = (key: string, reason: string, h?: KeyHistory, ack?: number): LedgerEntry => ({
    key,
    op: h ? log.opNames[log.op[h.rows[0]]] : null,
    service: h ? SERVICES[log.service[h.rows[0]]] : null,
    reason,
    tAck: ack === undefined || !Number.isFinite(log.end[ack]) ? null : log.end[ack],
    attempts: h ? h.rows.map(attemptOf) : [],
    readBack: readBack.get(key) ?? null,
  });

  const counts = { attempted: 0, acknowledged: 0, failed: 0, indeterminate: 0, notSent: 0 };
  const lost: LedgerEntry[] = [];
  const recovered: LedgerEntry[] = [];
  const unexpected: LedgerEntry[] = [];
  const unverified: LedgerEntry[] = [];
  for (const h of histories.values()) {
    const has = (c: OutcomeCode) => h.rows.some((i) => log.outcome[i] === c);
    const ack = ackOf(log, h);
    const rb = readBack.get(h.key);
    const sent = ack !== undefined || has(OutcomeCode.Info) || has(OutcomeCode.Fail);
    if (!sent) {
      counts.notSent++;
      if (rb?.present) unexpected.push(entry(h.key, 'never-sent-but-present', h));
      continue;
    }
    counts.attempted++;
    if (ack !== undefined) counts.acknowledged++;
    else if (has(OutcomeCode.Info)) counts.indeterminate++;
    else counts.failed++;
    if (!rb) {
      unverified.push(entry(h.key, 'no-read-back', h, ack));
      continue;
    }
    if (ack !== undefined) {
      const why = lostBecause(rb, log.ackVersion[ack], log.ackSeq[ack]);
      if (why) lost.push(entry(h.key, why, h, ack));
    } else if (has(OutcomeCode.Info)) {
      if (rb.present) recovered.push(entry(h.key, 'indeterminate-but-present', h));
    } else if (rb.present) {
      unexpected.push(entry(h.key, 'failed-but-present', h));
    }
  }

  // Read-back entries of unknown keys first, in read-back order, then the caller's list.
  const neverAttempted = new Set(o.readBack.filter((r) => r.present).map((r) => r.key));
  for (const key of o.unattemptedKeys) neverAttempted.add(key);
  for (const key of neverAttempted) {
    if (histories.has(key)) continue; // the caller's list disagrees with the log: the log wins, judged above
    unexpected.push(entry(key, 'never-attempted'));
  }

  const duplicated = o.readBack
    .filter((r) => (r.appliedCount ?? 0) > 1)
    .map((r) => entry(r.key, `applied ${r.appliedCount} times`, histories.get(r.key), ackOf(log, histories.get(r.key))));
  const conflicting = o.conflicts.map((c) => ({
    ...c,
    writes: c.keys.map((k) => entry(k, c.kind, histories.get(k), ackOf(log, histories.get(k)))),
  }));

  const acks = lost.map((e) => e.tAck).filter((t): t is number => t !== null);
  const earliestLostAck = acks.length ? Math.min(...acks) : null;
  const rpo = recoveryPoint(acks, o.lossFaults?.length ? [...o.lossFaults].sort((a, b) => a - b) : [o.tFault]);
  return {
    definition: DEFINITION,
    parameters: { tFault: o.tFault, readBack: o.readBack.length, unattemptedKeys: o.unattemptedKeys.length, conflicts: o.conflicts.length },
    resolution: `${CLOCK_RESOLUTION}; counts exact`,
    counts: {
      ...counts,
      lost: lost.length,
      recovered: recovered.length,
      unexpected: unexpected.length,
      duplicated: duplicated.length,
      conflicting: conflicting.length,
      unverified: unverified.length,
      unkeyed,
    },
    rpo: {
      ms: rpo.ms,
      tFault: rpo.tFault ?? o.tFault,
      earliestLostAck,
      lostAckedAfterFault: rpo.after,
    },
    lost,
    recovered,
    unexpected,
    duplicated,
    conflicting,
    unverified,
  };
}

/**
 * RPO over the lost acknowledgments: for each, the first loss fault at or after it minus the ack;
 * the largest wins (the worst data-loss window of the drill), with the fault it was measured from.
 * A write acknowledged after the last loss fault cannot make it positive (counted in `after`).
 */
function recoveryPoint(acks: number[], faults: number[]): { ms: number; tFault: number | undefined; after: number } {
  let ms = 0;
  let tFault: number | undefined;
  let after = 0;
  for (const ack of acks) {
    const fault = faults.find((t) => t > ack);
    if (fault === undefined) {
      after++;
      continue;
    }
    if (tFault === undefined || fault - ack > ms) [ms, tFault] = [fault - ack, fault];
  }
  return { ms, tFault, after };
}

/** Why an acknowledged write counts as lost, or undefined when the server holds it as acknowledged. */
function lostBecause(rb: ReadBack, ackVersion: number, ackSeq: number): string | undefined {
  if (!rb.present) return 'absent';
  if (ackVersion !== 0 && rb.version !== undefined && rb.version !== ackVersion) return 'version-mismatch';
  if (ackSeq !== 0 && rb.seq !== undefined && rb.seq !== ackSeq) return 'seq-mismatch';
  return undefined;
}

/** The acknowledging attempt of a key: the first ok answer to come back. */
function ackOf(log: RequestLog, h: KeyHistory | undefined): number | undefined {
  return h?.rows.filter((i) => log.outcome[i] === OutcomeCode.Ok).sort((a, b) => log.end[a] - log.end[b])[0];
}
