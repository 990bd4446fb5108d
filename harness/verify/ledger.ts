import { CLOCK_RESOLUTION } from '../../model/figures/figure';
import { ledgerInputSchema, type Ledger, type LedgerEntry, type LedgerInput, type ReadBack, type WriteAttempt } from '../../model/figures/ledger';
import { OUTCOMES, OutcomeCode, SERVICES, type RequestLog } from '../load/records';

/**
 * The write ledger (docs/ARCHITECTURE.md § 7): every write ever attempted, judged against what the active site
 * holds after the drill. The read-back itself is I/O and belongs to the runner; this module only
 * compares, so it can be fed synthetic histories with known answers (Jepsen-style: ok must have
 * taken effect, fail must not have, info may or may not have).
 */

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
    site: log.siteOf(i),
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
