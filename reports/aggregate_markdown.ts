import type { Aggregate, AggregateGroup, Distribution } from '../model/aggregate';
import { distributionPhrase, medianCiPhrase, rateLabel, runNotes, runsOf, runsPhrase, samplesPhrase, statValue, verdictsPhrase, verdictsSentence } from './aggregate_format';
import { gateLimit, NOTES_LEAD, round, VERDICT_LABEL } from './format';
import { code, facts, table, text } from './md';

/**
 * summary.md of repeated runs or a sweep (docs/ARCHITECTURE.md § 7.14): the verdict, then per rate
 * the verdicts of the runs, the statistic gates, each fault's RTO and time to first success as
 * distributions, lost writes, error rate and p99 per run, the sweep table, the runs and the
 * definitions of every statistic.
 */
export function aggregateMarkdown(a: Aggregate): string {
  return [headline(a), runFacts(a), verdictsSection(a), gatesSection(a), sweepSection(a), ...a.groups.map((g) => groupSection(a, g)), runsSection(a), notesSection(a), definitions(a)]
    .filter((s) => s !== '')
    .join('\n\n')
    .concat('\n');
}

export function planPhrase(a: Aggregate): string {
  const rates = a.plan.rates;
  return rates ? `${rates.length} rates (${rates.map(rateLabel).join(', ')}) x ${runsOf(a.plan.repeat)}` : runsOf(a.plan.repeat);
}

function headline(a: Aggregate): string {
  const label = VERDICT_LABEL[a.verdict];
  return [`# Drill ${code(a.drill.name)}, ${planPhrase(a)}: ${label}`, '', `**${label}.** ${text(a.headline)}`].join('\n');
}

function runFacts(a: Aggregate): string {
  const elapsed = Date.parse(a.finishedAt) - Date.parse(a.startedAt);
  const finished = a.runs.filter((r) => !r.interrupted).length;
  return facts([
    ['Drill', a.drill.description ? `${code(a.drill.name)}: ${text(a.drill.description)}` : code(a.drill.name)],
    ['File', code(a.drill.file)],
    ['Runs', `${finished} finished of ${a.plan.repeat * (a.plan.rates?.length ?? 1)} planned (${planPhrase(a)}), one after another, each on a fresh estate with its own reports`],
    ['Seeds', text(a.plan.seeds)],
    ['Offered rate', a.plan.rates ? text(a.plan.rateOverride ?? '') : `the drill's own load (${text(a.plan.executor)})`],
    ['Runtime', text(a.runtime)],
    ['Run', `${text(a.startedAt)} to ${text(a.finishedAt)}${Number.isFinite(elapsed) ? ` (${round(elapsed / 1000, 1)} s)` : ''}`],
    ['Exit code', String(a.exitCode)],
    ['Stopped early', a.abortReason === null ? null : text(a.abortReason)],
    ['Versions', `blackstart ${text(a.versions.blackstart)}, node ${text(a.versions.node)}`],
  ]);
}

function verdictsSection(a: Aggregate): string {
  const rows = a.groups.map((g) => [text(rateLabel(g.rate)), VERDICT_LABEL[g.verdict], text(verdictsPhrase(g)), g.gatesFailed.length ? text(g.gatesFailed.join('; ')) : 'none']);
  return ['## Verdicts', '', table(['Rate', 'Verdict', 'Runs', 'Gates failed'], rows)].join('\n');
}

function gatesSection(a: Aggregate): string {
  const gates = a.groups.flatMap((g) => g.gates);
  if (gates.length === 0) return '';
  const rows = gates.map((g) => [
    code(g.name),
    text(rateLabel(g.rate)),
    `${g.n}${g.missing ? ` (${g.missing} ${text(statValue(g.metric, null))})` : ''}`,
    text(statValue(g.metric, g.value, g.n)),
    text(gateLimit(g)),
    g.passed ? 'pass' : '**FAIL**',
    text(g.reason ?? ''),
  ]);
  return [
    '## Statistic gates',
    '',
    'Gates that name a statistic are judged here, on the values of the runs, and not in each run\'s own verdict.',
    '',
    table(['Gate', 'Rate', 'Runs', 'Measured', 'Limit', 'Result', 'Reason'], rows),
  ].join('\n');
}

/** Sweeps: each figure's median (and the first failing rate) against the offered rate. */
function sweepSection(a: Aggregate): string {
  if (!a.sweep) return '';
  const faults = [...new Set(a.groups.flatMap((g) => g.faults.map((f) => f.fault)))];
  const allOf = (g: AggregateGroup, fault: string) => g.faults.find((f) => f.fault === fault)?.scopes.find((s) => s.service === 'all');
  const med = (metric: string, d: Distribution | undefined) => (d ? text(statValue(metric, d.median, d.n)) : 'n/a');
  const rows = a.groups.map((g) => [
    text(rateLabel(g.rate)),
    text(verdictsPhrase(g)),
    ...faults.flatMap((f) => [med('rto', allOf(g, f)?.rto), med('timeToFirstSuccess', allOf(g, f)?.timeToFirstSuccess)]),
    text(samplesPhrase('lost_writes', g.lostWrites)),
    med('errorRate', g.errorRate),
    med('p99Ms', g.p99Ms),
    g.rate === a.sweep!.firstFailingRate ? '**first failing rate**' : g.gatesFailed.length ? 'failed' : '',
  ]);
  const headers = ['Rate', 'Runs', ...faults.flatMap((f) => [`${f}: RTO median`, `${f}: first success median`]), 'Lost writes per run', 'Error rate median', 'p99 median', 'Gates'];
  const first = a.sweep.firstFailingRate;
  return [
    '## Against the offered rate',
    '',
    table(headers.map(text), rows),
    '',
    first === null ? 'No gate failed at any rate.' : `**First failing rate: ${text(rateLabel(first))}.** ${text(a.sweep.failedGates.join('; '))}`,
  ].join('\n');
}

function distributionRow(label: string, metric: string, d: Distribution): string[] {
  const s = (v: number | null) => text(statValue(metric, v, d.n));
  return [label, String(d.n), String(d.missing), s(d.min), s(d.median), s(d.p90), s(d.max), s(d.mean), text(medianCiPhrase(metric, d)), text(samplesPhrase(metric, d))];
}

const DIST_HEADERS = ['Figure', 'Runs', 'Missing', 'Min', 'Median', 'p90', 'Max', 'Mean', '95% CI of the median', 'Per run'];

function groupSection(a: Aggregate, g: AggregateGroup): string {
  const title = a.plan.rates ? `## At ${text(rateLabel(g.rate))}` : '## Figures over the runs';
  const out = [title, '', text(verdictsSentence(g))];
  for (const f of g.faults) {
    const rows = f.scopes.flatMap((s) => [distributionRow(`${text(s.service)}: RTO`, 'rto', s.rto), distributionRow(`${text(s.service)}: time to first success`, 'timeToFirstSuccess', s.timeToFirstSuccess)]);
    const all = f.scopes.find((s) => s.service === 'all');
    out.push('', `### Fault ${code(f.fault)}`, '');
    if (all) out.push(`RTO, all services: ${text(distributionPhrase('rto', all.rto))}.`, '');
    out.push(table(DIST_HEADERS, rows));
  }
  out.push(
    '',
    '### Writes, errors and latency',
    '',
    table(DIST_HEADERS, [distributionRow('lost writes', 'lost_writes', g.lostWrites), distributionRow('error rate', 'errorRate', g.errorRate), distributionRow('p99 (all services)', 'p99Ms', g.p99Ms)]),
  );
  return out.join('\n');
}

function runsSection(a: Aggregate): string {
  const rows = a.runs.map((r) => [
    String(r.run),
    text(rateLabel(r.rate)),
    String(r.seed),
    r.verdict === 'passed' ? 'passed' : `**${r.verdict}**${r.interrupted ? ' (interrupted)' : ''}`,
    text(r.headline),
    code(`${r.dir}/summary.md`),
  ]);
  return ['## Runs', '', 'Each run keeps its own reports (result.json, junit.xml, summary.md, report.html) in its directory.', '', table(['Run', 'Rate', 'Seed', 'Verdict', 'Headline', 'Reports'], rows)].join('\n');
}

function notesSection(a: Aggregate): string {
  const notes = runNotes(a);
  if (notes.length === 0) return '';
  return ['## Notes', '', NOTES_LEAD.runs, '', ...notes.map((n) => `- ${runsPhrase(n.runs)}: ${text(n.note)}`)].join('\n');
}

function definitions(a: Aggregate): string {
  return ['## Definitions', '', ...Object.entries(a.definitions).map(([k, v]) => `- **${text(k)}:** ${text(v)}`)].join('\n');
}
