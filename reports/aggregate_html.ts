import type { Aggregate, AggregateGroup, Distribution } from '../model/aggregate';
import { PAGE_CSS } from './html_style';
import { rateChart, stripPlot, type RatePoint, type StripRow } from './aggregate_chart';
import { distributionPhrase, medianCiPhrase, missingPhrase, rateLabel, runNotes, runsPhrase, samplesPhrase, statValue, verdictsPhrase, verdictsSentence } from './aggregate_format';
import { planPhrase } from './aggregate_markdown';
import { gateLimit, NOTES_LEAD, round, VERDICT_LABEL } from './format';
import { esc } from './html_escape';

/**
 * report.html of repeated runs or a sweep (docs/ARCHITECTURE.md § 7.14), self-contained like a
 * run's (inline CSS and SVG, no script, nothing fetched): the verdict, the verdicts per rate, the
 * statistic gates, for a sweep a table and charts against the offered rate, per fault a strip plot
 * of every run's RTO and the distributions, the runs (linked to their own reports) and the
 * definitions. It says what summary.md says, in the same words (reports/aggregate_format.ts).
 */
export function aggregateHtml(a: Aggregate): string {
  const sections = [header(a), facts(a), verdicts(a), gates(a), sweep(a), ...a.groups.map((g) => group(a, g)), runs(a), notes(a), definitions(a)].filter(Boolean);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(`${VERDICT_LABEL[a.verdict]}: drill ${a.drill.name}, ${planPhrase(a)}`)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    ...sections,
    `<footer>blackstart ${esc(a.versions.blackstart)}; result.json beside this file has every statistic with its definition; each run's own reports are in its directory.</footer>`,
    '</body></html>',
    '',
  ].join('\n');
}

function tableHtml(headers: string[], rows: string[][], rowClass: (i: number) => string = () => ''): string {
  const head = `<tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = rows.map((cells, i) => `<tr${rowClass(i) ? ` class="${rowClass(i)}"` : ''}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<table>${head}${body}</table>`;
}

function header(a: Aggregate): string {
  const label = VERDICT_LABEL[a.verdict];
  return [
    `<header class="verdict ${esc(a.verdict)}">`,
    `<h1>Drill <code>${esc(a.drill.name)}</code>, ${esc(planPhrase(a))}: <span class="badge">${esc(label)}</span></h1>`,
    `<p class="headline">${esc(a.headline)}</p>`,
    a.abortReason ? `<p>Stopped early: ${esc(a.abortReason)}</p>` : '',
    '</header>',
  ].join('');
}

function facts(a: Aggregate): string {
  const elapsed = Date.parse(a.finishedAt) - Date.parse(a.startedAt);
  const pairs: [string, string | null][] = [
    ['Drill', `<code>${esc(a.drill.name)}</code>${a.drill.description ? `: ${esc(a.drill.description)}` : ''}`],
    ['File', `<code>${esc(a.drill.file)}</code>`],
    ['Runs', esc(`${a.runs.filter((r) => !r.interrupted).length} finished of ${a.plan.repeat * (a.plan.rates?.length ?? 1)} planned (${planPhrase(a)}), each on a fresh estate`)],
    ['Seeds', esc(a.plan.seeds)],
    ['Offered rate', esc(a.plan.rates ? (a.plan.rateOverride ?? '') : `the drill's own load (${a.plan.executor})`)],
    ['Runtime', esc(a.runtime)],
    ['Run', `${esc(a.startedAt)} to ${esc(a.finishedAt)}${Number.isFinite(elapsed) ? ` (${round(elapsed / 1000, 1)} s)` : ''}`],
    ['Exit code', String(a.exitCode)],
    ['Stopped early', a.abortReason === null ? null : esc(a.abortReason)],
  ];
  return `<section><h2>Runs</h2><dl>${pairs
    .filter((p): p is [string, string] => p[1] !== null)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`)
    .join('')}</dl></section>`;
}

function verdicts(a: Aggregate): string {
  const rows = a.groups.map((g) => [esc(rateLabel(g.rate)), g.verdict === 'passed' ? 'passed' : `<strong>${esc(g.verdict)}</strong>`, esc(verdictsPhrase(g)), esc(g.gatesFailed.join('; ') || 'none')]);
  return `<section><h2>Verdicts</h2>${tableHtml(['Rate', 'Verdict', 'Runs', 'Gates failed'], rows, (i) => (a.groups[i].verdict === 'passed' ? '' : 'fail'))}</section>`;
}

function gates(a: Aggregate): string {
  const all = a.groups.flatMap((g) => g.gates);
  if (all.length === 0) return '';
  const rows = all.map((g) => [
    `<code>${esc(g.name)}</code>`,
    esc(rateLabel(g.rate)),
    `${g.n}${g.missing ? ` (${g.missing} ${esc(missingPhrase(g.metric))})` : ''}`,
    esc(statValue(g.metric, g.value, g.n)),
    esc(gateLimit(g)),
    g.passed ? 'pass' : '<strong>FAIL</strong>',
    esc(g.reason ?? ''),
  ]);
  return `<section><h2>Statistic gates</h2><p class="note">Judged here, on the values of the runs, and not in each run's own verdict.</p>${tableHtml(['Gate', 'Rate', 'Runs', 'Measured', 'Limit', 'Result', 'Reason'], rows, (i) => (all[i].passed ? 'pass' : 'fail'))}</section>`;
}

const point = (d: Distribution | undefined): RatePoint => (d ? { median: d.median, min: d.min, max: d.max, n: d.n } : { median: null, min: null, max: null, n: 0 });

function sweep(a: Aggregate): string {
  if (!a.sweep || !a.plan.rates) return '';
  const rates = a.groups.map((g) => g.rate ?? 0);
  const faults = [...new Set(a.groups.flatMap((g) => g.faults.map((f) => f.fault)))];
  const allOf = (g: AggregateGroup, fault: string) => g.faults.find((f) => f.fault === fault)?.scopes.find((s) => s.service === 'all');
  const med = (metric: string, d: Distribution | undefined) => (d ? esc(statValue(metric, d.median, d.n)) : 'n/a');
  const first = a.sweep.firstFailingRate;
  const rows = a.groups.map((g) => [
    esc(rateLabel(g.rate)),
    esc(verdictsPhrase(g)),
    ...faults.flatMap((f) => [med('rto', allOf(g, f)?.rto), med('timeToFirstSuccess', allOf(g, f)?.timeToFirstSuccess)]),
    esc(samplesPhrase('lost_writes', g.lostWrites)),
    med('errorRate', g.errorRate),
    med('p99Ms', g.p99Ms),
    g.rate === first ? '<strong>first failing rate</strong>' : g.gatesFailed.length ? 'failed' : '',
  ]);
  const headers = ['Rate', 'Runs', ...faults.flatMap((f) => [`${f}: RTO median`, `${f}: first success median`]), 'Lost writes per run', 'Error rate median', 'p99 median', 'Gates'];
  const ms = (v: number) => `${round(v / 1000, 2)} s`;
  const charts = [
    rateChart({ title: 'RTO (all services) against the offered rate: median, min to max', unit: 'ms', rates, format: ms, firstFailingRate: first, missingLabel: 'not recovered', series: faults.map((f) => ({ name: f, points: a.groups.map((g) => point(allOf(g, f)?.rto)) })) }),
    rateChart({ title: 'Time to first success (all services) against the offered rate', unit: 'ms', rates, format: ms, firstFailingRate: first, missingLabel: 'no success', series: faults.map((f) => ({ name: f, points: a.groups.map((g) => point(allOf(g, f)?.timeToFirstSuccess)) })) }),
    rateChart({ title: 'p99 latency of the run (all services) against the offered rate', unit: 'ms', rates, format: (v) => `${round(v, 1)} ms`, firstFailingRate: first, missingLabel: 'not measured', series: [{ name: 'p99', points: a.groups.map((g) => point(g.p99Ms)) }] }),
    rateChart({ title: 'Error rate of the run against the offered rate', unit: '', rates, format: (v) => `${round(v * 100, 2)} %`, firstFailingRate: first, missingLabel: 'not measured', series: [{ name: 'error rate', points: a.groups.map((g) => point(g.errorRate)) }] }),
    rateChart({ title: 'Lost writes per run against the offered rate', unit: '', rates, format: (v) => String(Math.round(v)), firstFailingRate: first, missingLabel: 'not measured', series: [{ name: 'lost writes', points: a.groups.map((g) => point(g.lostWrites)) }] }),
  ];
  return [
    '<section><h2>Against the offered rate</h2>',
    tableHtml(headers, rows, (i) => (a.groups[i].rate === first ? 'fail' : '')),
    first === null ? '<p>No gate failed at any rate.</p>' : `<p class="fail"><strong>First failing rate: ${esc(rateLabel(first))}.</strong> ${esc(a.sweep.failedGates.join('; '))}</p>`,
    '<p class="note">Each point is the median over the runs at that rate; the whisker runs from min to max. A cross at the top: the median is not recovered (or has no value).</p>',
    ...charts.map((c) => `<figure>${c}</figure>`),
    '</section>',
  ].join('\n');
}

const DIST_HEADERS = ['Figure', 'Runs', 'Missing', 'Min', 'Median', 'p90', 'Max', 'Mean', '95% CI of the median', 'Per run'];

function distributionRow(label: string, metric: string, d: Distribution): string[] {
  const s = (v: number | null) => esc(statValue(metric, v, d.n));
  return [esc(label), String(d.n), String(d.missing), s(d.min), s(d.median), s(d.p90), s(d.max), s(d.mean), esc(medianCiPhrase(metric, d)), esc(samplesPhrase(metric, d))];
}

function group(a: Aggregate, g: AggregateGroup): string {
  const title = a.plan.rates ? `At ${rateLabel(g.rate)}` : 'Figures over the runs';
  const parts = [`<section><h2>${esc(title)}</h2>`, `<p>${esc(verdictsSentence(g))}</p>`];
  for (const f of g.faults) {
    const all = f.scopes.find((s) => s.service === 'all');
    const rows: StripRow[] = f.scopes.map((s) => ({
      label: s.service,
      values: s.rto.samples.map((x) => x.value),
      median: s.rto.median,
      ci: s.rto.medianCi && { lower: s.rto.medianCi.lower, upper: s.rto.medianCi.upper },
    }));
    parts.push(
      `<h3>Fault <code>${esc(f.fault)}</code></h3>`,
      all ? `<p>RTO, all services: ${esc(distributionPhrase('rto', all.rto))}.</p>` : '',
      `<figure>${stripPlot({ title: `${f.fault}: RTO of each run, per service`, unit: 'ms', missingLabel: 'not recovered', rows })}</figure>`,
      '<p class="note">Each dot is a run; the vertical line is the median, the shaded bar its 95 % interval (from 6 runs). Crosses right of the axis: runs that did not recover.</p>',
      tableHtml(
        DIST_HEADERS,
        f.scopes.flatMap((s) => [distributionRow(`${s.service}: RTO`, 'rto', s.rto), distributionRow(`${s.service}: time to first success`, 'timeToFirstSuccess', s.timeToFirstSuccess)]),
      ),
    );
  }
  parts.push(
    '<h3>Writes, errors and latency</h3>',
    tableHtml(DIST_HEADERS, [distributionRow('lost writes', 'lost_writes', g.lostWrites), distributionRow('error rate', 'errorRate', g.errorRate), distributionRow('p99 (all services)', 'p99Ms', g.p99Ms)]),
    '</section>',
  );
  return parts.join('');
}

function runs(a: Aggregate): string {
  const rows = a.runs.map((r) => [
    String(r.run),
    esc(rateLabel(r.rate)),
    String(r.seed),
    r.verdict === 'passed' ? 'passed' : `<strong>${esc(r.verdict)}</strong>${r.interrupted ? ' (interrupted)' : ''}`,
    esc(r.headline),
    `<a href="${esc(`${r.dir}/report.html`)}">${esc(r.dir)}</a>`,
  ]);
  return `<section><h2>Each run</h2><p class="note">Each run keeps its own reports (result.json, junit.xml, summary.md, report.html) in its directory.</p>${tableHtml(['Run', 'Rate', 'Seed', 'Verdict', 'Headline', 'Reports'], rows, (i) => (a.runs[i].verdict === 'passed' ? '' : 'fail'))}</section>`;
}

function notes(a: Aggregate): string {
  const all = runNotes(a);
  if (all.length === 0) return '';
  return `<section><h2>Notes</h2><p class="note">${esc(NOTES_LEAD.runs)}</p><ul>${all.map((n) => `<li>${esc(runsPhrase(n.runs))}: ${esc(n.note)}</li>`).join('')}</ul></section>`;
}

function definitions(a: Aggregate): string {
  return `<section><h2>Definitions</h2><dl>${Object.entries(a.definitions)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('')}</dl></section>`;
}

const CSS = `${PAGE_CSS}svg{font:11px system-ui,sans-serif;background:#fff}
svg .panel{fill:none;stroke:#d0d7de}svg .grid{stroke:#eaeef2}svg .tick,svg .row-label{fill:#57606a}svg .chart-title{font-weight:600;font-size:13px}
svg .run{fill:#0969da;fill-opacity:.75}svg .missing{fill:#cf222e;font-weight:700;font-size:13px}svg .missing-label{fill:#cf222e}
svg .median{stroke:#1b1f24;stroke-width:2}svg .ci{fill:#0969da;fill-opacity:.15}
svg .first-failing line{stroke:#cf222e;stroke-dasharray:5 3}svg .first-failing text{fill:#cf222e}
svg .rate-series path{fill:none;stroke-width:1.8}svg .rate-series .whisker{stroke-width:1;stroke-opacity:.6}
svg .series-0 path,svg .series-0 line{stroke:#0969da}svg .series-0 circle{fill:#0969da}
svg .series-1 path,svg .series-1 line{stroke:#8250df}svg .series-1 circle{fill:#8250df}
svg .series-2 path,svg .series-2 line{stroke:#bf3989}svg .series-2 circle{fill:#bf3989}
svg .series-3 path,svg .series-3 line{stroke:#9a6700}svg .series-3 circle{fill:#9a6700}
svg .series-4 path,svg .series-4 line{stroke:#1a7f37}svg .series-4 circle{fill:#1a7f37}
svg .series-5 path,svg .series-5 line{stroke:#57606a}svg .series-5 circle{fill:#57606a}
footer{margin-top:30px;color:#57606a;font-size:12px}
`;
