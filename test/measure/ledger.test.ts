import { ledger } from '../../harness/verify/ledger';
import { ledgerSchema, type Ledger, type LedgerInput } from '../../model/figures/ledger';
import { logOf, steady, write, type Rec } from './builders';

const T_FAULT = 5000;

function judge(records: Rec[], input: Partial<LedgerInput>): Ledger {
  return ledgerSchema.parse(ledger(logOf(records), { readBack: [], tFault: T_FAULT, ...input }));
}

/** One write of each kind, and what the server held afterwards. */
const history: Rec[] = [
  write({ key: 'k1', at: 1000, version: 1, seq: 101 }), // held as acknowledged
  write({ key: 'k2', at: 2000, version: 1, seq: 102 }), // acknowledged, absent: lost
  write({ key: 'k3', at: 3000, version: 1, seq: 103 }), // acknowledged, held with another seq: lost
  write({ key: 'k4', at: 3100, outcome: 'info', latency: 2000 }), // indeterminate, present: recovered
  write({ key: 'k5', at: 3200, outcome: 'info' }), // indeterminate, absent: fine
  write({ key: 'k6', at: 3300, outcome: 'fail' }), // definite fail, present: unexpected
  write({ key: 'k7', at: 3400, outcome: 'fail' }), // definite fail, absent: fine
  write({ key: 'k8', at: 3500, version: 1, seq: 108 }), // applied twice: duplicated
  write({ key: 'k9', at: 3600, version: 1, seq: 109, op: 'book' }), // k9 and k10 booked the same slot
  write({ key: 'k10', at: 3700, version: 1, seq: 110, op: 'book' }),
  write({ key: 'k11', at: 3800, outcome: 'info' }), // timed out, retried with the same key ...
  write({ key: 'k11', at: 3900, version: 1, seq: 111 }), // ... and acknowledged: held
  write({ key: 'k12', at: 4000, outcome: 'dropped' }), // never sent, absent
  write({ key: 'k13', at: 4100, version: 1, seq: 113 }), // no read-back: unverified
  write({ at: 4200 }), // no idempotency key: unkeyed
  ...steady({ from: 0, to: 5000, rateHz: 10 }), // reads are ignored
];

const readBack: LedgerInput['readBack'] = [
  { key: 'k1', present: true, version: 1, seq: 101, appliedCount: 1 },
  { key: 'k2', present: false },
  { key: 'k3', present: true, version: 1, seq: 999 },
  { key: 'k4', present: true, version: 1, seq: 104 },
  { key: 'k5', present: false },
  { key: 'k6', present: true, version: 1, seq: 106 },
  { key: 'k7', present: false },
  { key: 'k8', present: true, version: 1, seq: 108, appliedCount: 2 },
  { key: 'k9', present: true, version: 1, seq: 109 },
  { key: 'k10', present: true, version: 1, seq: 110 },
  { key: 'k11', present: true, version: 1, seq: 111, appliedCount: 1 },
  { key: 'k12', present: false },
  { key: 'ghost', present: true, version: 1, seq: 200 }, // read back, never attempted
];

describe('write ledger', () => {
  const l = judge(history, {
    readBack,
    unattemptedKeys: ['ghost2'],
    conflicts: [{ kind: 'slot-double-booked', id: 'slot-42', keys: ['k9', 'k10'] }],
  });

  test('counts', () => {
    expect(l.counts).toEqual({
      attempted: 12, // k1..k11 and k13 were sent; k12 only dropped
      acknowledged: 8, // k1 k2 k3 k8 k9 k10 k11 k13
      failed: 2, // k6 k7
      indeterminate: 2, // k4 k5
      notSent: 1,
      lost: 2,
      recovered: 1,
      unexpected: 3, // k6, ghost, ghost2
      duplicated: 1,
      conflicting: 1,
      unverified: 1,
      unkeyed: 1,
    });
  });

  test('lost writes: absent, or held differently from the acknowledgment', () => {
    expect(l.lost.map((e) => [e.key, e.reason, e.tAck])).toEqual([
      ['k2', 'absent', 2005],
      ['k3', 'seq-mismatch', 3005],
    ]);
    expect(l.lost[0]).toMatchObject({ op: 'book', service: 'booking', readBack: { key: 'k2', present: false } });
    expect(l.lost[0].attempts).toEqual([
      { index: expect.any(Number), scheduled: 2000, start: 2000, end: 2005, outcome: 'ok', status: 201, site: 'dc1', ackVersion: 1, ackSeq: 102 },
    ]);
  });

  test('RPO: t_fault - t_ack of the earliest lost acknowledged write', () => {
    expect(l.rpo).toEqual({ ms: T_FAULT - 2005, tFault: T_FAULT, earliestLostAck: 2005, lostAckedAfterFault: 0 });
  });

  test('recovered, unexpected, duplicated, conflicting, unverified', () => {
    expect(l.recovered.map((e) => [e.key, e.reason, e.tAck])).toEqual([['k4', 'indeterminate-but-present', null]]);
    expect(l.unexpected.map((e) => [e.key, e.reason])).toEqual([
      ['k6', 'failed-but-present'],
      ['ghost', 'never-attempted'],
      ['ghost2', 'never-attempted'],
    ]);
    expect(l.unexpected[1]).toMatchObject({ op: null, attempts: [], readBack: { key: 'ghost', present: true } });
    expect(l.unexpected[2].readBack).toBeNull();
    expect(l.duplicated.map((e) => [e.key, e.reason, e.tAck])).toEqual([['k8', 'applied 2 times', 3505]]);
    expect(l.conflicting).toHaveLength(1);
    expect(l.conflicting[0]).toMatchObject({ kind: 'slot-double-booked', id: 'slot-42', keys: ['k9', 'k10'] });
    expect(l.conflicting[0].writes.map((w) => [w.key, w.op, w.tAck])).toEqual([
      ['k9', 'book', 3605],
      ['k10', 'book', 3705],
    ]);
    expect(l.unverified.map((e) => e.key)).toEqual(['k13']);
  });

  test('a retried key is acknowledged by its ok attempt and lists both attempts', () => {
    const lostRetry = judge(history.slice(10, 12), { readBack: [{ key: 'k11', present: false }] });
    expect(lostRetry.lost).toHaveLength(1);
    expect(lostRetry.lost[0].tAck).toBe(3905);
    expect(lostRetry.lost[0].attempts.map((a) => a.outcome)).toEqual(['info', 'ok']);
  });

  test('a version mismatch is lost; unknown versions are not compared', () => {
    const l2 = judge([write({ key: 'a', at: 100, version: 3, seq: 7 }), write({ key: 'b', at: 200, version: 1, seq: 0 })], {
      readBack: [
        { key: 'a', present: true, version: 2, seq: 7 },
        { key: 'b', present: true, version: 1, seq: 55 }, // ack seq 0 = not reported: not compared
      ],
    });
    expect(l2.lost.map((e) => [e.key, e.reason])).toEqual([['a', 'version-mismatch']]);
  });

  test('a write lost after the fault: RPO clamped to 0, still listed and counted', () => {
    const l3 = judge([write({ key: 'x', at: 4000 }), write({ key: 'y', at: 6000 })], {
      readBack: [
        { key: 'x', present: true, version: 1 },
        { key: 'y', present: false },
      ],
    });
    expect(l3.counts.lost).toBe(1);
    expect(l3.rpo).toEqual({ ms: 0, tFault: T_FAULT, earliestLostAck: 6005, lostAckedAfterFault: 1 });
  });

  test('RPO with several faults: each lost write from the first failover after its acknowledgment, the worst wins', () => {
    // Failovers at 5000 and 9000 (a fault at 3000 took nothing away and is not passed in).
    const writes = [write({ key: 'a', at: 2000 }), write({ key: 'b', at: 4500 }), write({ key: 'c', at: 5500 }), write({ key: 'd', at: 9500 })];
    const readBack = ['a', 'b', 'c', 'd'].map((key) => ({ key, present: false }));
    const l6 = judge(writes, { readBack, tFault: 3000, lossFaults: [9000, 5000] });
    // a: 5000 - 2005; b: 5000 - 4505; c: 9000 - 5505 (the largest); d: after the last failover.
    expect(l6.rpo).toEqual({ ms: 9000 - 5505, tFault: 9000, earliestLostAck: 2005, lostAckedAfterFault: 1 });
    // From the failover (5000), not from an earlier fault that took nothing away (3000, the old default).
    expect(judge(writes.slice(0, 1), { readBack, tFault: 3000, lossFaults: [5000] }).rpo.ms).toBe(5000 - 2005);
    expect(judge(writes.slice(0, 1), { readBack, tFault: 3000 }).rpo.ms).toBe(3000 - 2005);
  });

  test('nothing lost: RPO 0', () => {
    const l4 = judge([write({ key: 'x', at: 4000 })], { readBack: [{ key: 'x', present: true, version: 1 }] });
    expect(l4.counts).toMatchObject({ attempted: 1, acknowledged: 1, lost: 0, unexpected: 0 });
    expect(l4.rpo).toEqual({ ms: 0, tFault: T_FAULT, earliestLostAck: null, lostAckedAfterFault: 0 });
  });

  test('a dropped write found on the server is unexpected', () => {
    const l5 = judge([write({ key: 'd', at: 100, outcome: 'dropped' })], { readBack: [{ key: 'd', present: true }] });
    expect(l5.unexpected.map((e) => [e.key, e.reason])).toEqual([['d', 'never-sent-but-present']]);
    expect(l5.counts).toMatchObject({ attempted: 0, notSent: 1 });
  });
});
