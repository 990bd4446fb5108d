import type { HistoryEntry } from '../../reports/history';
import { resultSchema, type DrillResult } from '../../model/result';

/**
 * A synthetic DrillResult for the report writers: the "backup does not come up" story. A power
 * cut at dc1 at +5000 ms, the controller detects it and fails to promote dc2, nothing recovers;
 * one acknowledged write is lost. One gate passes (p99 before the fault), one fails (RTO).
 * Figures hold absolute harness-clock times: T0 + offset.
 */
export const T0 = 10_000;
const at = (offsetMs: number) => T0 + offsetMs;
const meta = (definition: string) => ({ definition, parameters: { windowMs: 1000 }, resolution: 'ms, not rounded' });

const notRecovered = (tFirstFailure: number) => ({
  baselineP95Ms: 4.2,
  maxP95Ms: 12.6,
  failed: true,
  tFirstFailure: at(tFirstFailure),
  tFirstOk: null,
  tRecovered: null,
  rto: { recovered: false as const },
  outageMs: 24_800,
  timeToFirstOkMs: null,
  resolutionMs: null,
  windows: { judged: 25, healthy: 0, empty: 3 },
  tRelapse: null,
});

const percentiles = (from: number, to: number, p50: number | null, p99: number | null) => ({
  from: at(from),
  to: at(to),
  count: p50 === null ? 0 : 500,
  dropped: 0,
  p50,
  p90: p99,
  p95: p99,
  p99,
  p999: p99,
  max: p99,
});
const scopedLatency = (from: number, to: number, p50: number | null, p99: number | null) => ({
  byService: { pas: percentiles(from, to, p50, p99), booking: percentiles(from, to, p50, p99) },
  all: percentiles(from, to, p50, p99),
});

const degradationFigure = (from: number, to: number, errorSeconds: number) => ({ from: at(from), to: at(to), errorSeconds, excessLatencySeconds: 0.5, baselineP95Ms: 4.2 });
const scopedDegradation = (from: number, to: number, errorSeconds: number) => ({
  byService: { pas: degradationFigure(from, to, errorSeconds), booking: degradationFigure(from, to, errorSeconds) },
  all: degradationFigure(from, to, errorSeconds),
});

const lostWrite = {
  key: 'booking-42',
  op: 'book-slot',
  service: 'booking',
  reason: 'absent',
  tAck: at(4_650),
  attempts: [{ index: 7, scheduled: at(4_640), start: at(4_640), end: at(4_650), outcome: 'ok' as const, status: 201, site: 'dc1', ackVersion: 3, ackSeq: 118 }],
  readBack: { key: 'booking-42', present: false },
};

export function drillResult(): DrillResult {
  const result: DrillResult = {
    schema: 'blackstart.result/1',
    drill: { name: 'backup-does-not-come-up', description: 'Power cut at dc1 with promotion: broken', file: 'drills/backup-does-not-come-up.yaml', seed: 42 },
    versions: { blackstart: '0.1.0', node: 'v20.18.0', proxy: 'blackstart-proxy/0.1.0' },
    runtime: 'process',
    startedAt: '2025-03-01T10:00:00.000Z',
    finishedAt: '2025-03-01T10:00:45.500Z',
    verdict: 'failed',
    exitCode: 1,
    headline: 'RTO gate failed: the backup never took over after the power cut at dc1.',
    abortReason: null,
    error: null,
    clock: { t0: T0, timeOrigin: 1_740_823_200_000 },
    load: { executor: 'constant-arrival-rate', plannedMs: 30_000, scheduled: 6000, dropped: 12, lagP99Ms: 1.3, requests: { ok: 1500, fail: 4488, info: 0, dropped: 12 } },
    faults: [
      { name: 'power-cut', kind: 'power_cut', description: 'power cut at dc1', plannedAtMs: 5000, appliedAtMs: 5003.4, revertedAtMs: 29_000, error: null, revertError: null },
    ],
    controllerEvents: [
      { atMs: 0, type: 'start', site: 'dc1', detail: 'primary dc1, promotion broken' },
      { atMs: 5800, type: 'detect', site: 'dc1', detail: '3 heartbeats of 250 ms missed' },
      { atMs: 5810, type: 'promotion-failed', site: 'dc2', detail: 'the backup did not come up (promotion: broken)' },
    ],
    recovery: [
      {
        ...meta('recovery definition'),
        fault: 'power-cut',
        tFault: at(5003.4),
        tDetect: at(5800),
        tPromote: null,
        tSwitch: null,
        timeToDetectMs: 796.6,
        timeToPromoteMs: null,
        timeToSwitchMs: null,
        byService: { pas: notRecovered(5004), booking: notRecovered(5010) },
        all: notRecovered(5004),
      },
    ],
    latency: {
      ...meta('latency definition'),
      run: scopedLatency(0, 30_000, 3.1, 250),
      faults: [{ name: 'power-cut', tFault: at(5003.4), before: scopedLatency(0, 5003.4, 3.1, 8.4), during: scopedLatency(5003.4, 30_000, 1.5, 1000), after: scopedLatency(30_000, 30_000, null, null) }],
    },
    degradation: {
      ...meta('degradation definition'),
      run: scopedDegradation(0, 30_000, 24.9),
      faults: [{ name: 'power-cut', tFault: at(5003.4), before: scopedDegradation(0, 5003.4, 0), during: scopedDegradation(5003.4, 30_000, 24.9), after: scopedDegradation(30_000, 30_000, 0) }],
    },
    ledger: {
      ...meta('ledger definition'),
      counts: { attempted: 120, acknowledged: 100, failed: 12, indeterminate: 8, notSent: 3, lost: 1, recovered: 2, unexpected: 0, duplicated: 0, conflicting: 0, unverified: 0, unkeyed: 0 },
      rpo: { ms: 353.4, tFault: at(5003.4), earliestLostAck: at(4650), lostAckedAfterFault: 0 },
      lost: [lostWrite],
      recovered: [],
      unexpected: [],
      duplicated: [],
      conflicting: [],
      unverified: [],
    },
    splitBrain: { ...meta('split-brain definition'), windowMs: 0, writes: 0, writesWhileFenced: 0, unknownSite: 0, active: [{ from: null, site: 'dc1' }], episodes: [], lastWrite: {}, splitWrites: [] },
    paper: null,
    residue: [],
    phases: [],
    gates: [
      { name: 'p99_ms[all] before power-cut <= 50', metric: 'p99_ms', service: 'all', phase: 'before', fault: 'power-cut', max: 50, value: 8.4, passed: true, reason: null },
      {
        name: 'rto_ms[all] fault power-cut <= 30000',
        metric: 'rto_ms',
        service: 'all',
        phase: 'run',
        fault: 'power-cut',
        max: 30_000,
        value: null,
        passed: false,
        reason: 'not recovered before the drill ended: the backup never took over',
      },
    ],
    timeline: {
      ...meta('timeline definition'),
      t0: T0,
      t1: at(30_000),
      bucketMs: 15_000,
      byService: {},
      all: [
        { t: T0, started: 3000, ok: 1500, fail: 1500, info: 0, dropped: 0, successRatio: 0.5, throughput: 100, p50: 3, p95: 8, p99: 9 },
        { t: at(15_000), started: 3000, ok: 0, fail: 2988, info: 0, dropped: 12, successRatio: 0, throughput: 0, p50: 1, p95: 1, p99: 1 },
      ],
    },
  };
  // The fixture must itself be a valid result.json, or the tests prove nothing about real ones.
  return resultSchema.parse(result);
}

/** A run-history line: a passing run of "maidstone" with two faults, RTOs 2 s and 3 s. */
export function historyEntryFixture(over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    schema: 'blackstart.history/1',
    drill: 'maidstone',
    file: 'drills/maidstone.yaml',
    startedAt: '2026-11-01T00:00:00.000Z',
    verdict: 'passed',
    exitCode: 0,
    runtime: 'process',
    faults: ['cut', 'hang'],
    rtoMs: [2000, 3000],
    windowMs: 1000,
    lost: 0,
    acknowledged: 700,
    errorRate: 0.02,
    p99Ms: 50,
    gatesFailed: [],
    report: 'maidstone-1',
    ...over,
  };
}
