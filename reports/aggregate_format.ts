import type { Aggregate, AggregateGroup, Distribution } from '../model/aggregate';
import type { Verdict } from './format';
import { duration, gateFigure, round } from './format';

/**
 * Numbers and phrases shared by the aggregate's reports (repeated runs and sweeps,
 * docs/ARCHITECTURE.md § 7.14), so summary.md, report.html, junit.xml and the terminal say the
 * same thing in the same words.
 */

/** The runs' notes, each text once with the runs that gave it, in the order first given. */
export function runNotes(a: Aggregate): { note: string; runs: number[] }[] {
  const byText = new Map<string, number[]>();
  for (const r of a.runs) for (const n of r.notes) byText.set(n, [...(byText.get(n) ?? []), r.run]);
  return [...byText].map(([note, runs]) => ({ note, runs }));
}

/** "run 2", "runs 1, 3 and 4": which runs a note came from. */
export function runsPhrase(runs: number[]): string {
  if (runs.length === 1) return `run ${runs[0]}`;
  return `runs ${runs.slice(0, -1).join(', ')} and ${runs[runs.length - 1]}`;
}

/** "1 run", "5 runs". */
export const runsOf = (n: number) => `${n} run${n === 1 ? '' : 's'}`;

/** An offered rate: "30/s" (up to two decimals). */
export function rateLabel(rate: number | null): string {
  return rate === null ? "the drill's rate" : `${round(rate, 2)}/s`;
}

/** What a missing sample of a metric means, in words. */
export function missingPhrase(metric: string): string {
  if (metric === 'rto_ms' || metric === 'rto') return 'not recovered';
  if (metric === 'time_to_first_success_ms' || metric === 'timeToFirstSuccess') return 'no success';
  if (metric === 'backlog_drain_ms') return 'not drained';
  return 'not measured';
}

/** A statistic's value in its metric's unit; null in its own words. */
export function statValue(metric: string, value: number | null, n = 1): string {
  if (n === 0) return 'no runs';
  if (value === null) return missingPhrase(metric);
  if (metric === 'rto' || metric === 'timeToFirstSuccess' || metric === 'p99Ms' || metric.endsWith('_ms')) return duration(value);
  if (metric === 'errorRate' || metric === 'error_rate') return `${round(value * 100, 2)} %`;
  return gateFigure(metric, value);
}

/** "[1020 ms, 1490 ms] (96.9 %)", or why there is none. */
export function medianCiPhrase(metric: string, d: Distribution): string {
  if (!d.medianCi) return d.medianCiNote ?? 'none';
  const c = d.medianCi;
  return `[${statValue(metric, c.lower)}, ${statValue(metric, c.upper)}] (x(${c.ranks[0]})..x(${c.ranks[1]}), coverage ${round(c.coverage * 100, 1)} %)`;
}

/** "min 1020 ms, median 1040 ms, p90 1200 ms, max 1200 ms" with the not-recovered count. */
export function distributionPhrase(metric: string, d: Distribution): string {
  if (d.n === 0) return 'no runs measured';
  const s = (v: number | null) => statValue(metric, v);
  const missing = d.missing ? `; ${d.missing} of ${d.n} ${missingPhrase(metric)}` : '';
  return `min ${s(d.min)}, median ${s(d.median)}, p90 ${s(d.p90)}, max ${s(d.max)}${missing}`;
}

/** Per-run values in run order: "0, 0, 3". */
export function samplesPhrase(metric: string, d: Distribution): string {
  return d.samples.map((x) => statValue(metric, x.value)).join(', ') || 'none';
}

/** "passed 9 of 10 runs (1 failed)". */
export function verdictsPhrase(g: AggregateGroup): string {
  const others = (Object.entries(g.verdicts) as [Verdict, number][]).filter(([v, n]) => v !== 'passed' && n > 0).map(([v, n]) => `${n} ${v}`);
  return `passed ${g.verdicts.passed ?? 0} of ${runsOf(g.finished)}${others.length ? ` (${others.join(', ')})` : ''}`;
}

/** The same, as a sentence. */
export const verdictsSentence = (g: AggregateGroup) => `${verdictsPhrase(g)[0].toUpperCase()}${verdictsPhrase(g).slice(1)}.`;

/** The plain-language story of an aggregate's verdict (its `headline`). */
export function aggregateHeadline(a: Omit<Aggregate, 'headline'>): string {
  const runs = a.runs.filter((r) => !r.interrupted);
  const planned = a.plan.repeat * (a.plan.rates?.length ?? 1);
  const parts: string[] = [];
  if (a.abortReason) parts.push(`Stopped early (${a.abortReason}): the aggregate is of the ${runs.length} of ${runsOf(planned)} that finished.`);
  const bad = (v: Verdict) => runs.filter((r) => r.verdict === v);
  if (bad('error').length) parts.push(`${bad('error').length} run(s) could not run: ${bad('error')[0].headline}`);
  if (a.runs.some((r) => r.verdict === 'residue')) parts.push(`Faults were left behind in run(s) ${a.runs.filter((r) => r.verdict === 'residue').map((r) => r.run).join(', ')}.`);
  if (bad('aborted').length) parts.push(`${bad('aborted').length} run(s) stopped by an abort rule.`);
  if (a.sweep) {
    const rate = a.sweep.firstFailingRate;
    const passedAll = a.groups.filter((g) => rate === null || (g.rate ?? 0) < rate).map((g) => rateLabel(g.rate));
    if (rate === null) parts.push(`No gate failed at any rate (${a.groups.map((g) => `${rateLabel(g.rate)}: ${verdictsPhrase(g)}`).join('; ')}).`);
    else
      parts.push(
        `First failing rate ${rateLabel(rate)}: ${a.sweep.failedGates.join('; ')}.${passedAll.length ? ` Gates held at ${passedAll.join(', ')}.` : ''}`,
      );
  } else {
    const g = a.groups[0];
    if (g) {
      const failedStat = g.gates.filter((x) => !x.passed);
      parts.push(verdictsSentence(g));
      if (g.gates.length) parts.push(failedStat.length ? `${failedStat.length} of ${g.gates.length} statistic gates failed: ${failedStat.map((x) => x.name).join('; ')}.` : g.gates.length === 1 ? 'The one statistic gate passed.' : `All ${g.gates.length} statistic gates passed.`);
    }
  }
  return parts.join(' ');
}
