import { aggregateSchema, type Aggregate, type AggregateGate, type AggregateGroup, type FaultStats, type RunSummary } from '../../model/aggregate';
import type { DrillResult, GateResult } from '../../model/result';
import type { Stat } from '../../model/stat';
import { aggregateHeadline, missingPhrase, runsOf, statValue } from '../../reports/aggregate_format';
import { EXIT } from '../runner/result';
import { DEFINITIONS, distribution, statOf, type Sample } from './stats';

/**
 * The aggregate of repeated runs (docs/ARCHITECTURE.md § 7.14) from their results alone: pure, so
 * it is tested with synthetic results and could be rebuilt from the runs' result.json files.
 */

type Verdict = DrillResult['verdict'];
const VERDICTS: readonly Verdict[] = ['passed', 'failed', 'aborted', 'error', 'residue'];

/** One run as the repeat loop recorded it. */
export interface RunOutcome {
  result: DrillResult;
  /** Offered rate of a sweep (per second); null: the drill's own load. */
  rate: number | null;
  /** 1-based within its rate. */
  k: number;
  seed: number;
  /** Its report directory, relative to the aggregate's. */
  dir: string;
  /** Stopped by Ctrl-C/SIGTERM: reports written, figures left out of the statistics. */
  interrupted: boolean;
}

export interface AggregateInput {
  drill: { name: string; description: string; file: string; seed: number };
  runtime: string;
  versions: { blackstart: string; node: string };
  plan: Aggregate['plan'];
  runs: RunOutcome[];
  startedAt: string;
  finishedAt: string;
  /** Why the runs stopped before the plan was done (Ctrl-C, SIGTERM); null when every run ran. */
  abortReason: string | null;
}

export function aggregateRuns(input: AggregateInput): Aggregate {
  const summaries: RunSummary[] = input.runs.map((o, i) => ({
    run: i + 1,
    k: o.k,
    rate: o.rate,
    seed: o.seed,
    dir: o.dir,
    verdict: o.result.verdict,
    exitCode: o.result.exitCode,
    headline: o.result.headline,
    interrupted: o.interrupted,
    startedAt: o.result.startedAt,
    finishedAt: o.result.finishedAt,
    gatesFailed: o.result.gates.filter((g) => !g.passed).map((g) => g.name),
    notes: o.result.notes ?? [],
  }));
  const rates = input.plan.rates ?? [null];
  const groups = rates.map((rate) => group(rate, input.runs.map((o, i) => ({ ...o, run: i + 1 })).filter((o) => o.rate === rate)));
  const sweep = input.plan.rates ? sweepOf(groups) : null;
  const verdict = overallVerdict(summaries, groups, input.abortReason);
  const aggregate: Omit<Aggregate, 'headline'> = {
    schema: 'blackstart.aggregate/1',
    drill: input.drill,
    versions: input.versions,
    runtime: input.runtime,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    verdict,
    exitCode: EXIT[verdict],
    abortReason: input.abortReason,
    plan: input.plan,
    definitions: DEFINITIONS,
    runs: summaries,
    groups,
    sweep,
  };
  return aggregateSchema.parse({ ...aggregate, headline: aggregateHeadline(aggregate) });
}

type Numbered = RunOutcome & { run: number };

/** Runs whose figures are statistics' samples: finished (not interrupted) and not an error. */
const measured = (runs: Numbered[]) => runs.filter((o) => !o.interrupted && o.result.verdict !== 'error');

function group(rate: number | null, runs: Numbered[]): AggregateGroup {
  const finished = runs.filter((o) => !o.interrupted);
  const verdicts = Object.fromEntries(VERDICTS.map((v) => [v, finished.filter((o) => o.result.verdict === v).length])) as Record<Verdict, number>;
  const sampled = measured(runs);
  const gates = statGates(rate, sampled);
  const failedIn = new Map<string, number>();
  for (const o of finished) for (const g of o.result.gates) if (!g.passed) failedIn.set(g.name, (failedIn.get(g.name) ?? 0) + 1);
  const gatesFailed = [
    ...[...failedIn].map(([name, count]) => `${name}: failed in ${count} of ${runsOf(finished.length)}`),
    ...gates.filter((g) => !g.passed).map((g) => `${g.name}: ${g.reason}`),
  ];
  return {
    rate,
    runs: runs.map((o) => o.run),
    finished: finished.length,
    verdicts,
    verdict: groupVerdict(runs, gates),
    faults: faultStats(sampled),
    lostWrites: distribution(sampled.map((o) => ({ run: o.run, value: o.result.ledger ? o.result.ledger.counts.lost : null }))),
    errorRate: distribution(sampled.map((o) => ({ run: o.run, value: errorRate(o.result) }))),
    p99Ms: distribution(sampled.map((o) => ({ run: o.run, value: o.result.latency?.run.all.p99 ?? null }))),
    gates,
    gatesFailed,
  };
}

/** (fail + info + dropped) / all requests of the run, as the run history has it; null without requests. */
export function errorRate(r: DrillResult): number | null {
  const total = Object.values(r.load.requests).reduce((a, b) => a + b, 0);
  return total > 0 ? (total - (r.load.requests.ok ?? 0)) / total : null;
}

/** Per fault (by name, in the order the runs applied them) and scope ("all" first): RTO and time to first success. */
function faultStats(runs: Numbered[]): FaultStats[] {
  const faults: string[] = [];
  const services = new Map<string, string[]>();
  for (const o of runs) {
    for (const rec of o.result.recovery) {
      if (!faults.includes(rec.fault)) faults.push(rec.fault);
      const known = services.get(rec.fault) ?? [];
      for (const s of Object.keys(rec.byService)) if (!known.includes(s)) known.push(s);
      services.set(rec.fault, known);
    }
  }
  return faults.map((fault) => ({
    fault,
    scopes: ['all', ...(services.get(fault) ?? [])].map((service) => {
      const rto: Sample[] = [];
      const ttfs: Sample[] = [];
      for (const o of runs) {
        const rec = o.result.recovery.find((r) => r.fault === fault);
        const s = rec && (service === 'all' ? rec.all : rec.byService[service]);
        if (!s) continue;
        rto.push({ run: o.run, value: s.rto.recovered ? s.rto.ms : null });
        ttfs.push({ run: o.run, value: s.failed ? s.timeToFirstOkMs : 0 });
      }
      return { service, rto: distribution(rto), timeToFirstSuccess: distribution(ttfs) };
    }),
  }));
}

/** Gates naming a statistic: each run's value of the gate (result.aggregateGates) as a sample. */
function statGates(rate: number | null, runs: Numbered[]): AggregateGate[] {
  const byName = new Map<string, { gate: GateResult; samples: Sample[] }>();
  for (const o of runs) {
    for (const g of o.result.aggregateGates ?? []) {
      if (!g.stat) continue;
      const entry = byName.get(g.name) ?? { gate: g, samples: [] };
      entry.samples.push({ run: o.run, value: g.value });
      byName.set(g.name, entry);
    }
  }
  return [...byName.values()].map(({ gate, samples }) => judgeStat(gate, gate.stat!, rate, samples));
}

export function judgeStat(gate: GateResult, stat: Stat, rate: number | null, samples: Sample[]): AggregateGate {
  const d = distribution(samples);
  const value = d.n === 0 ? null : statOf(d, stat);
  const passed = d.n > 0 && value !== null && value <= gate.max;
  let reason: string | null = null;
  if (!passed) {
    if (d.n === 0) reason = 'no run measured it';
    else if (value === null) reason = `${d.missing} of ${runsOf(d.n)} ${missingPhrase(gate.metric)}: the ${stat} is ${missingPhrase(gate.metric)}`;
    else reason = `${stat} over ${runsOf(d.n)} ${statValue(gate.metric, value)} > limit ${statValue(gate.metric, gate.max)}`;
  }
  return { ...gate, stat, value, passed, reason, rate, n: d.n, missing: d.missing };
}

/** First match wins, as for one run (§ 8): error, residue, aborted, failed, passed. */
function groupVerdict(runs: Numbered[], gates: AggregateGate[]): Verdict {
  const finished = runs.filter((o) => !o.interrupted);
  const has = (v: Verdict, among = finished) => among.some((o) => o.result.verdict === v);
  if (has('error')) return 'error';
  if (has('residue', runs)) return 'residue';
  if (has('aborted') || runs.some((o) => o.interrupted)) return 'aborted';
  if (has('failed') || gates.some((g) => !g.passed)) return 'failed';
  return 'passed';
}

function overallVerdict(runs: RunSummary[], groups: AggregateGroup[], abortReason: string | null): Verdict {
  const finished = runs.filter((r) => !r.interrupted);
  if (finished.some((r) => r.verdict === 'error')) return 'error';
  if (runs.some((r) => r.verdict === 'residue')) return 'residue';
  if (abortReason || runs.some((r) => r.interrupted) || finished.some((r) => r.verdict === 'aborted')) return 'aborted';
  if (finished.some((r) => r.verdict === 'failed') || groups.some((g) => g.gates.some((x) => !x.passed))) return 'failed';
  // A plan with no run finished has nothing to pass.
  return finished.length ? 'passed' : 'aborted';
}

function sweepOf(groups: AggregateGroup[]): NonNullable<Aggregate['sweep']> {
  const first = groups.find((g) => g.gatesFailed.length > 0);
  return { firstFailingRate: first?.rate ?? null, failedGates: first?.gatesFailed ?? [] };
}
