import type { Aggregate } from '../../model/aggregate';
import type { DrillResult, GateResult } from '../../model/result';
import { aggregateRuns, type RunOutcome } from '../../harness/repeat/aggregate';
import { drillResult, T0 } from '../reports/fixture';

/**
 * Synthetic results of repeated runs: the report fixture (one fault, "power-cut", services pas and
 * booking) with the figures the aggregate reads set per run.
 */
export interface RunSpec {
  /** RTO of all services (and of each service); null: not recovered. */
  rto: number | null;
  /** Time to first success; default: RTO / 2, null when not recovered. */
  ttfs?: number | null;
  lost?: number;
  p99?: number;
  /** ok and failed requests (error rate = fail / (ok + fail)). */
  ok?: number;
  fail?: number;
  verdict?: DrillResult['verdict'];
  /** Names of the run's gates that failed. */
  gatesFailed?: string[];
  /** This run's value of the statistic gate `rto_ms p90 <= 5000` (deferred to the aggregate); default: rto. */
  statGate?: number | null | 'none';
}

export const STAT_GATE = 'rto_ms p90 <= 5000 (all services, power-cut)';

export function runResult(s: RunSpec): DrillResult {
  const r = drillResult();
  const rec = r.recovery[0];
  const scope = (x: typeof rec.all) =>
    s.rto === null
      ? { ...x, rto: { recovered: false as const }, tRecovered: null, timeToFirstOkMs: s.ttfs ?? null }
      : { ...x, rto: { recovered: true as const, ms: s.rto }, tRecovered: T0 + 5000 + s.rto, timeToFirstOkMs: s.ttfs === undefined ? s.rto / 2 : s.ttfs };
  rec.all = scope(rec.all);
  rec.byService = { pas: scope(rec.byService.pas), booking: scope(rec.byService.booking) };
  r.ledger!.counts.lost = s.lost ?? 0;
  r.latency!.run.all.p99 = s.p99 ?? 250;
  r.load.requests = { ok: s.ok ?? 990, fail: s.fail ?? 10, info: 0, dropped: 0 };
  r.verdict = s.verdict ?? (s.gatesFailed?.length ? 'failed' : 'passed');
  r.exitCode = { passed: 0, failed: 1, aborted: 1, error: 2, residue: 3 }[r.verdict];
  r.headline = `run ${r.verdict}`;
  r.error = r.verdict === 'error' ? 'Error: the estate did not start' : null;
  r.gates = [
    { name: 'lost_writes <= 0 (all services)', metric: 'lost_writes', service: 'all', phase: 'run', fault: null, max: 0, value: s.lost ?? 0, passed: true, reason: null },
    ...(s.gatesFailed ?? []).map((name): GateResult => ({ name, metric: 'rto_ms', service: 'all', phase: 'run', fault: 'power-cut', max: 3000, value: null, passed: false, reason: 'not recovered' })),
  ];
  const statValue = s.statGate === undefined ? s.rto : s.statGate;
  r.aggregateGates =
    statValue === 'none'
      ? []
      : [{ name: STAT_GATE, metric: 'rto_ms', service: 'all', phase: 'run', fault: 'power-cut', max: 5000, value: statValue, passed: statValue !== null && statValue <= 5000, reason: null, stat: 'p90' }];
  return r;
}

export function outcome(s: RunSpec, o: Partial<Omit<RunOutcome, 'result'>> = {}): RunOutcome {
  const k = o.k ?? 1;
  return { result: runResult(s), rate: o.rate ?? null, k, seed: o.seed ?? 41 + k, dir: o.dir ?? (o.rate ? `rate-${o.rate}/run-${k}` : `run-${k}`), interrupted: o.interrupted ?? false };
}

export function aggregateOf(runs: RunOutcome[], o: { rates?: number[] | null; repeat?: number; abortReason?: string | null } = {}): Aggregate {
  return aggregateRuns({
    drill: { name: 'backup-does-not-come-up', description: 'synthetic', file: 'drills/x.yaml', seed: 42 },
    runtime: 'process',
    versions: { blackstart: '0.1.0', node: 'v20.18.0' },
    plan: { repeat: o.repeat ?? runs.length / (o.rates?.length ?? 1), rates: o.rates ?? null, executor: 'constant-arrival-rate', seeds: 'seed + k - 1', rateOverride: o.rates ? 'rate replaces load.rate' : null },
    runs,
    startedAt: '2025-03-01T10:00:00.000Z',
    finishedAt: '2025-03-01T10:05:00.000Z',
    abortReason: o.abortReason ?? null,
  });
}
