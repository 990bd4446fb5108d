import {
  BACKUP_NEVER_TOOK_OVER,
  duration,
  eventPhrase,
  durationOrNone,
  faultKind,
  gateLimit,
  gateMeasured,
  gateReason,
  offset,
  offsetOrNone,
  promotionFailure,
  recoveryOf,
  recoverySentence,
  round,
  sinceStart,
  VERDICT_LABEL,
  type FaultRecord,
} from './format';
import { controllerEventsSection, definitionsSection, degradationSection, latencySection, ledgerSection, notesSection, paperSection, residueSection, splitBrainSection } from './markdown_figures';
import { code, facts, table, text } from './md';
import type { TrendRow } from './history';
import type { DrillResult } from '../model/result';

/**
 * summary.md: the drill's story for a person, verdict first, then the evidence in the order one
 * asks for it (which gate, which fault, how long, what was lost). Every time is an offset from the
 * start of the load, so it can be laid against the controller's events at the end.
 */
export function summaryMarkdown(result: DrillResult, trend: TrendRow[] = []): string {
  return [
    headline(result),
    runFacts(result),
    gatesSection(result),
    notesSection(result),
    faultsSection(result),
    latencySection(result),
    degradationSection(result),
    ledgerSection(result),
    splitBrainSection(result),
    paperSection(result),
    residueSection(result),
    trendSection(trend),
    controllerEventsSection(result),
    definitionsSection(result),
  ]
    .filter((s) => s !== '')
    .join('\n\n')
    .concat('\n');
}

function headline(r: DrillResult): string {
  const label = VERDICT_LABEL[r.verdict];
  const lines = [`# Drill ${code(r.drill.name)}: ${label}`, '', `**${label}.** ${text(r.headline)}`];
  if (r.verdict === 'aborted' && r.abortReason) lines.push('', `The drill was stopped early: ${text(r.abortReason)}`);
  if (r.error) lines.push('', `Harness error: ${text(r.error)}`);
  return lines.join('\n');
}

function runFacts(r: DrillResult): string {
  const elapsed = Date.parse(r.finishedAt) - Date.parse(r.startedAt);
  const requests = Object.entries(r.load.requests)
    .map(([service, n]) => `${text(service)} ${n}`)
    .join(', ');
  return facts([
    ['Drill', r.drill.description ? `${code(r.drill.name)}: ${text(r.drill.description)}` : code(r.drill.name)],
    ['File', code(r.drill.file)],
    ['Seed', String(r.drill.seed)],
    ['Runtime', text(r.runtime)],
    ['Run', `${text(r.startedAt)} to ${text(r.finishedAt)}${Number.isFinite(elapsed) ? ` (${round(elapsed / 1000, 1)} s)` : ''}`],
    ['Exit code', String(r.exitCode)],
    ['Versions', `blackstart ${text(r.versions.blackstart)}, node ${text(r.versions.node)}, proxy ${text(r.versions.proxy)}`],
    [
      'Load',
      `${text(r.load.executor)}, planned ${duration(r.load.plannedMs)}, ${r.load.scheduled} requests scheduled, ${r.load.dropped} dropped ` +
        `(scheduler lag p99 ${duration(r.load.lagP99Ms)})${requests ? `; outcomes: ${requests}` : ''}`,
    ],
  ]);
}

function gatesSection(r: DrillResult): string {
  // Gates naming a statistic, in one of repeated runs: judged on the aggregate (docs/ARCHITECTURE.md § 7.14).
  const deferred = (r.aggregateGates ?? []).map((g) => `${code(g.name)}: judged on the aggregate (this run: ${text(gateMeasured(g))})`);
  const note = deferred.length ? `\n\nNot in this verdict: ${deferred.join('; ')}.` : '';
  if (r.gates.length === 0) return `## Gates\n\nNo gates were evaluated.${note}`;
  const failed = r.gates.filter((g) => !g.passed).length;
  const rows = r.gates.map((g) => [code(g.name), text(gateMeasured(g)), text(gateLimit(g)), g.passed ? 'pass' : '**FAIL**', text(gateReason(g))]);
  return [`## Gates`, '', `${failed} of ${r.gates.length} failed.`, '', table(['Gate', 'Measured', 'Limit', 'Result', 'Reason'], rows)].join('\n') + note;
}

function faultsSection(r: DrillResult): string {
  if (r.faults.length === 0) return '## Faults\n\nNo faults were applied.';
  return ['## Faults', ...r.faults.map((f, i) => faultSection(r, f, i))].join('\n\n');
}

function faultSection(r: DrillResult, f: FaultRecord, i: number): string {
  const rec = recoveryOf(r, f);
  const out = [`### ${i + 1}. ${code(f.name)} (${text(faultKind(f))})`, ''];
  if (f.description) out.push(text(f.description), '');
  const failure = promotionFailure(r, f);
  // The sentence a reader is looking for comes before the numbers.
  const outcome = failure
    ? `**Not recovered: ${BACKUP_NEVER_TOOK_OVER}.** The controller reported ${text(eventPhrase(failure))}.`
    : `**Outcome:** ${text(recoverySentence(r, f))}`;
  out.push(outcome, '');
  out.push(
    facts([
      ['Planned at', offset(f.plannedAtMs)],
      ['Applied at', offsetOrNone(f.appliedAtMs, 'not applied')],
      ['Reverted at', offsetOrNone(f.revertedAtMs, 'not reverted')],
      ['Apply error', f.error === null ? null : text(f.error)],
      ['Revert error', f.revertError === null ? null : text(f.revertError)],
    ]),
  );
  if (!rec) return out.join('\n');
  out.push(
    facts([
      ['Time to detect', durationOrNone(rec.timeToDetectMs, 'not detected')],
      ['Time to promote', durationOrNone(rec.timeToPromoteMs, 'not promoted')],
      ['Time to switch', durationOrNone(rec.timeToSwitchMs, 'not switched')],
      ['Time to first success', durationOrNone(rec.all.timeToFirstOkMs, rec.all.failed ? 'no success after the first failure' : 'nothing failed')],
      ['RTO (all services)', rec.all.rto.recovered ? duration(rec.all.rto.ms) : 'not recovered'],
      ['Outage (all services)', duration(rec.all.outageMs)],
    ]),
    '',
  );
  const scopes = [...Object.entries(rec.byService), ['all', rec.all] as const];
  const rows = scopes.map(([service, s]) => [
    text(service),
    s.failed ? offsetOrNone(sinceStart(r, s.tFirstFailure)) : 'nothing failed',
    offsetOrNone(sinceStart(r, s.tFirstOk), s.failed ? 'none' : 'n/a'),
    s.rto.recovered ? offsetOrNone(sinceStart(r, s.tRecovered)) : 'not recovered',
    s.rto.recovered ? duration(s.rto.ms) : '**not recovered**',
    duration(s.outageMs),
    `${s.windows.healthy} of ${s.windows.judged}`,
    s.tRelapse === null ? 'none' : offset(sinceStart(r, s.tRelapse)!),
  ]);
  out.push(table(['Service', 'First failure', 'First success', 'Recovered at', 'RTO', 'Outage', 'Healthy windows', 'Relapse'], rows));
  return out.join('\n');
}

/** The drill's last runs from the run history (this one last), with what got worse in each. */
function trendSection(rows: TrendRow[]): string {
  if (rows.length < 2) return '';
  const cells = rows.map((t) => [
    text(t.startedAt),
    t.verdict === 'passed' ? 'passed' : `**${t.verdict}**`,
    text(t.runtime),
    text(t.rtoMs.map((v) => (v === null ? 'not recovered' : duration(v))).join(', ') || 'n/a'),
    t.lost === null ? 'n/a' : String(t.lost),
    t.errorRate === null ? 'n/a' : `${round(t.errorRate * 100, 2)} %`,
    t.regressions.length ? `**${text(t.regressions.join('; '))}**` : '',
  ]);
  return ['## Trend', '', `The last ${rows.length} runs of this drill from the run history, this one last.`, '', table(['Started', 'Verdict', 'Runtime', 'RTO per fault', 'Lost', 'Error rate', 'Regression'], cells)].join('\n');
}
