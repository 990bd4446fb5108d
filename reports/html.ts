import {
  BACKUP_NEVER_TOOK_OVER,
  duration,
  durationOrNone,
  eventPhrase,
  faultKind,
  gateLimit,
  gateMeasured,
  gateReason,
  latency,
  NOTES_LEAD,
  offsetOrNone,
  promotionFailure,
  recoveryOf,
  recoverySentence,
  round,
  sinceStart,
  VERDICT_LABEL,
} from './format';
import { PAGE_CSS } from './html_style';
import { timelineChart, type ChartBucket, type ChartInput } from './html_chart';
import { esc } from './html_escape';
import type { TrendRow } from './history';
import type { DrillResult } from '../model/result';

/**
 * report.html: the drill for a person, in one self-contained file (inline CSS and SVG, no script,
 * nothing fetched), so it can be attached to a CI run or mailed. The verdict and the failed gates
 * first, then a timeline chart per scope with the faults as bands and the recoveries as markers,
 * then the figures. It says what summary.md says, in the same words (reports/format.ts).
 */
export function reportHtml(r: DrillResult, trend: TrendRow[] = []): string {
  const sections = [header(r), facts(r), gates(r), notes(r), timelines(r), faults(r), ledger(r), trendSection(trend), residue(r), events(r)].filter(Boolean);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(`${VERDICT_LABEL[r.verdict]}: drill ${r.drill.name}`)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    ...sections,
    `<footer>blackstart ${esc(r.versions.blackstart)}; result.json beside this file has every figure with its definition.</footer>`,
    '</body></html>',
    '',
  ].join('\n');
}

function header(r: DrillResult): string {
  const label = VERDICT_LABEL[r.verdict];
  return [
    `<header class="verdict ${esc(r.verdict)}">`,
    `<h1>Drill <code>${esc(r.drill.name)}</code>: <span class="badge">${esc(label)}</span></h1>`,
    `<p class="headline">${esc(r.headline)}</p>`,
    r.verdict === 'aborted' && r.abortReason ? `<p>The drill was stopped early: ${esc(r.abortReason)}</p>` : '',
    r.error ? `<p class="error">Harness error: ${esc(r.error)}</p>` : '',
    '</header>',
  ].join('');
}

function dl(pairs: [string, string | null][]): string {
  return `<dl>${pairs
    .filter((p): p is [string, string] => p[1] !== null)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`)
    .join('')}</dl>`;
}

function tableHtml(headers: string[], rows: string[][], rowClass: (i: number) => string = () => ''): string {
  const head = `<tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = rows.map((cells, i) => `<tr${rowClass(i) ? ` class="${rowClass(i)}"` : ''}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<table>${head}${body}</table>`;
}

function facts(r: DrillResult): string {
  const elapsed = Date.parse(r.finishedAt) - Date.parse(r.startedAt);
  const requests = Object.entries(r.load.requests)
    .map(([outcome, n]) => `${outcome} ${n}`)
    .join(', ');
  return `<section><h2>Run</h2>${dl([
    ['Drill', `<code>${esc(r.drill.name)}</code>${r.drill.description ? `: ${esc(r.drill.description)}` : ''}`],
    ['File', `<code>${esc(r.drill.file)}</code>`],
    ['Seed', String(r.drill.seed)],
    ['Runtime', esc(r.runtime)],
    ['Run', `${esc(r.startedAt)} to ${esc(r.finishedAt)}${Number.isFinite(elapsed) ? ` (${round(elapsed / 1000, 1)} s)` : ''}`],
    ['Exit code', String(r.exitCode)],
    ['Versions', esc(`blackstart ${r.versions.blackstart}, node ${r.versions.node}, proxy ${r.versions.proxy}`)],
    [
      'Load',
      esc(
        `${r.load.executor}, planned ${duration(r.load.plannedMs)}, ${r.load.scheduled} requests scheduled, ${r.load.dropped} dropped (scheduler lag p99 ${duration(r.load.lagP99Ms)})${requests ? `; outcomes: ${requests}` : ''}`,
      ),
    ],
  ])}</section>`;
}

function gates(r: DrillResult): string {
  // Gates naming a statistic, in one of repeated runs: judged on the aggregate (docs/ARCHITECTURE.md § 7.14).
  const deferred = (r.aggregateGates ?? []).map((g) => `<code>${esc(g.name)}</code>: judged on the aggregate (this run: ${esc(gateMeasured(g))})`);
  const note = deferred.length ? `<p class="note">Not in this verdict: ${deferred.join('; ')}.</p>` : '';
  if (r.gates.length === 0) return `<section><h2>Gates</h2><p>No gates were evaluated.</p>${note}</section>`;
  const failed = r.gates.filter((g) => !g.passed).length;
  const rows = r.gates.map((g) => [`<code>${esc(g.name)}</code>`, esc(gateMeasured(g)), esc(gateLimit(g)), g.passed ? 'pass' : '<strong>FAIL</strong>', esc(gateReason(g))]);
  return `<section><h2>Gates</h2><p>${failed} of ${r.gates.length} failed.</p>${tableHtml(['Gate', 'Measured', 'Limit', 'Result', 'Reason'], rows, (i) => (r.gates[i].passed ? 'pass' : 'fail'))}${note}</section>`;
}

/** One chart for all services together, then one per service. */
function timelines(r: DrillResult): string {
  const t = r.timeline;
  if (!t) return '';
  const toOffset = (abs: number) => abs - r.clock.t0;
  const bands = r.faults
    .filter((f) => f.appliedAtMs !== null)
    .map((f) => ({ name: f.name, from: f.appliedAtMs!, to: f.revertedAtMs }));
  const events = r.controllerEvents.map((e) => ({ at: e.atMs, type: e.type, site: e.site }));
  const splitBrain = (r.splitBrain?.episodes ?? []).map((e) => ({ from: toOffset(e.from), to: toOffset(e.to), site: e.site, activeSite: e.activeSite, writes: e.writes }));
  const chart = (title: string, scope: string, buckets: typeof t.all): string => {
    const markers: ChartInput['markers'] = r.recovery.flatMap((rec): ChartInput['markers'] => {
      const s = scope === 'all' ? rec.all : rec.byService[scope];
      if (!s || !s.failed) return [];
      if (s.rto.recovered && s.tRecovered !== null) return [{ at: toOffset(s.tRecovered), label: `${rec.fault}: RTO ${round(s.rto.ms / 1000, 1)} s`, kind: 'recovered' as const }];
      return [{ at: toOffset(rec.tFault), label: `${rec.fault}: not recovered`, kind: 'not-recovered' as const }];
    });
    const series: ChartBucket[] = buckets.map((b) => ({ t: toOffset(b.t), successRatio: b.successRatio, p95: b.p95, due: b.started + b.dropped }));
    return timelineChart({ title, bucketMs: t.bucketMs, buckets: series, bands, markers, events, splitBrain, from: toOffset(t.t0), to: toOffset(t.t1) });
  };
  const charts = [chart('All services', 'all', t.all), ...Object.entries(t.byService).map(([service, b]) => chart(service, service, b))];
  return [
    '<section><h2>Timeline</h2>',
    `<p class="note">Per ${esc(duration(t.bucketMs))} bucket, by scheduled time: the success ratio (dropped and indeterminate requests count as failures) and the p95 latency of ok requests (log scale; the slowest bucket labelled). Shaded: a fault applied; purple strip: split brain (writes acknowledged by a site that was not the primary); green line: recovered (start of the healthy run, RTO); ticks: the controller's events. Seconds from the start of the load.</p>`,
    ...charts.map((c) => `<figure>${c}</figure>`),
    '</section>',
  ].join('\n');
}

function faults(r: DrillResult): string {
  if (r.faults.length === 0) return '<section><h2>Faults</h2><p>No faults were applied.</p></section>';
  const parts = r.faults.map((f, i) => {
    const rec = recoveryOf(r, f);
    const failure = promotionFailure(r, f);
    const outcome = failure
      ? `<p class="fail"><strong>Not recovered: ${esc(BACKUP_NEVER_TOOK_OVER)}.</strong> The controller reported ${esc(eventPhrase(failure))}.</p>`
      : `<p><strong>Outcome:</strong> ${esc(recoverySentence(r, f))}</p>`;
    const timing = dl([
      ['Applied at', esc(offsetOrNone(f.appliedAtMs, 'not applied'))],
      ['Reverted at', esc(offsetOrNone(f.revertedAtMs, 'not reverted'))],
      ['Apply error', f.error === null ? null : esc(f.error)],
      ['Revert error', f.revertError === null ? null : esc(f.revertError)],
      ['Time to detect', rec ? esc(durationOrNone(rec.timeToDetectMs, 'not detected')) : null],
      ['Time to promote', rec ? esc(durationOrNone(rec.timeToPromoteMs, 'not promoted')) : null],
      ['Time to switch', rec ? esc(durationOrNone(rec.timeToSwitchMs, 'not switched')) : null],
    ]);
    const rows = rec
      ? [...Object.entries(rec.byService), ['all', rec.all] as const].map(([service, s]) => [
          esc(service),
          esc(s.failed ? offsetOrNone(sinceStart(r, s.tFirstFailure)) : 'nothing failed'),
          esc(offsetOrNone(sinceStart(r, s.tFirstOk), s.failed ? 'none' : 'n/a')),
          s.rto.recovered ? esc(duration(s.rto.ms)) : '<strong>not recovered</strong>',
          esc(duration(s.outageMs)),
          `${s.windows.healthy} of ${s.windows.judged}`,
        ])
      : [];
    return [
      `<h3>${i + 1}. <code>${esc(f.name)}</code> (${esc(faultKind(f))})</h3>`,
      f.description ? `<p>${esc(f.description)}</p>` : '',
      outcome,
      timing,
      rows.length ? tableHtml(['Service', 'First failure', 'First success', 'RTO', 'Outage', 'Healthy windows'], rows) : '',
    ].join('');
  });
  return `<section><h2>Faults</h2>${parts.join('')}</section>`;
}

function ledger(r: DrillResult): string {
  const l = r.ledger;
  const latencyRow = r.latency ? `<p>Whole run, all services: p50 ${esc(latency(r.latency.run.all.p50))}, p99 ${esc(latency(r.latency.run.all.p99))}, max ${esc(latency(r.latency.run.all.max))}.</p>` : '';
  if (!l) return latencyRow ? `<section><h2>Writes</h2><p>No write ledger.</p>${latencyRow}</section>` : '';
  const c = l.counts;
  const lost = l.lost.slice(0, 50).map((e) => [`<code>${esc(e.key)}</code>`, esc(e.op ?? 'n/a'), esc(offsetOrNone(sinceStart(r, e.tAck), 'never')), esc(e.reason)]);
  return [
    '<section><h2>Writes</h2>',
    `<p class="${c.lost > 0 ? 'fail' : ''}"><strong>${c.lost} of ${c.acknowledged} acknowledged writes lost</strong>; RPO ${esc(duration(l.rpo.ms))}. ${c.recovered} recovered, ${c.unexpected} unexpected, ${c.duplicated} duplicated, ${c.conflicting} conflicting, ${c.indeterminate} indeterminate, ${c.unverified} unverified.</p>`,
    lost.length ? tableHtml(['Lost write', 'Operation', 'Acknowledged at', 'Why'], lost) : '',
    l.lost.length > 50 ? `<p class="note">The first 50 of ${l.lost.length}; result.json lists every one.</p>` : '',
    latencyRow,
    '</section>',
  ].join('');
}

function trendSection(trend: TrendRow[]): string {
  if (trend.length === 0) return '';
  const rows = trend.map((t) => [
    esc(t.startedAt),
    t.verdict === 'passed' ? 'passed' : `<strong>${esc(t.verdict)}</strong>`,
    esc(t.runtime),
    esc(t.rtoMs.map((v) => (v === null ? 'not recovered' : duration(v))).join(', ') || 'n/a'),
    t.lost === null ? 'n/a' : String(t.lost),
    t.errorRate === null ? 'n/a' : `${round(t.errorRate * 100, 2)} %`,
    esc(t.regressions.join('; ')),
  ]);
  return `<section><h2>Trend</h2><p class="note">The last runs of this drill from the run history, newest last.</p>${tableHtml(['Started', 'Verdict', 'Runtime', 'RTO per fault', 'Lost', 'Error rate', 'Regression'], rows, (i) => (trend[i].regressions.length ? 'fail' : ''))}</section>`;
}

function notes(r: DrillResult): string {
  if (!r.notes?.length) return '';
  return `<section><h2>Notes</h2><p class="note">${esc(NOTES_LEAD.run)}</p><ul>${r.notes.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></section>`;
}

function residue(r: DrillResult): string {
  if (r.residue.length === 0) return '<section><h2>Residue</h2><p>None: every fault was undone.</p></section>';
  return `<section><h2>Residue</h2><p class="fail">Left behind after the drill:</p><ul>${r.residue.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></section>`;
}

function events(r: DrillResult): string {
  if (r.controllerEvents.length === 0) return '';
  return `<section><h2>Controller events</h2><ul class="events">${r.controllerEvents.map((e) => `<li>${esc(eventPhrase(e))}</li>`).join('')}</ul></section>`;
}

const CSS = `${PAGE_CSS}tr.pass td:nth-child(4){color:#1a7f37}
svg.timeline{font:11px system-ui,sans-serif;background:#fff}
svg .panel{fill:none;stroke:#d0d7de}svg .grid{stroke:#eaeef2}svg .tick,svg .axis-label{fill:#57606a}svg .chart-title{font-weight:600;font-size:13px}
svg .series{fill:none;stroke-width:1.6}svg .ratio{stroke:#0969da}svg .latency{stroke:#8250df}
svg .fault-band rect{fill:#cf222e;fill-opacity:.09}svg .fault-band text{fill:#a40e26}svg .split-brain rect{fill:#8250df;fill-opacity:.35;stroke:#8250df}svg .split-brain text{fill:#6639ba;font-weight:600}
svg .dead{fill:#cf222e}
svg .marker.recovered line{stroke:#1a7f37;stroke-width:1.5;stroke-dasharray:4 3}svg .marker.recovered text{fill:#1a7f37;font-weight:600}
svg .marker.not-recovered text{fill:#cf222e;font-weight:600}
svg .peak circle{fill:#8250df}svg .peak text{fill:#8250df;font-size:10px}
svg .event line{stroke:#57606a}svg .event text{fill:#57606a;font-size:9.5px}
footer{margin-top:30px;color:#57606a;font-size:12px}
`;
