import type { Aggregate } from '../model/aggregate';
import { runsOf, distributionPhrase, medianCiPhrase, rateLabel, runNotes, runsPhrase, samplesPhrase, statValue, verdictsPhrase } from './aggregate_format';
import { planPhrase } from './aggregate_markdown';
import { gateLimit, VERDICT_LABEL } from './format';

/** The lines printed when repeated runs or a sweep end (docs/ARCHITECTURE.md § 7.14); the rest is in summary.md. */
export function aggregateTerminal(a: Aggregate, options: { outDir?: string; color?: boolean } = {}): string {
  const paint = (code: number) => (s: string) => (options.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const [bold, red, green] = [paint(1), paint(31), paint(32)];
  const lines = [`${bold(`blackstart drill ${a.drill.name}, ${planPhrase(a)}:`)} ${(a.verdict === 'passed' ? green : red)(bold(VERDICT_LABEL[a.verdict]))} (exit ${a.exitCode})`, a.headline];
  for (const g of a.groups) {
    lines.push(`${a.plan.rates ? `At ${rateLabel(g.rate)}` : 'Runs'}: ${verdictsPhrase(g)}${g.gatesFailed.length ? red(`; failed: ${g.gatesFailed.join('; ')}`) : ''}`);
    for (const f of g.faults) {
      const all = f.scopes.find((s) => s.service === 'all');
      if (!all) continue;
      lines.push(`  ${f.fault} (all services): RTO ${distributionPhrase('rto', all.rto)}; median 95% CI ${medianCiPhrase('rto', all.rto)}`);
      lines.push(`  ${' '.repeat(f.fault.length)} time to first success ${distributionPhrase('timeToFirstSuccess', all.timeToFirstSuccess)}`);
    }
    lines.push(`  lost writes per run: ${samplesPhrase('lost_writes', g.lostWrites)}; error rate median ${statValue('errorRate', g.errorRate.median, g.errorRate.n)}; p99 median ${statValue('p99Ms', g.p99Ms.median, g.p99Ms.n)}`);
    for (const x of g.gates) {
      const line = `  ${x.passed ? 'ok' : 'x'} ${x.name}: ${x.stat} over ${runsOf(x.n)} ${statValue(x.metric, x.value, x.n)}, limit ${gateLimit(x)}${x.reason ? ` — ${x.reason}` : ''}`;
      lines.push(x.passed ? line : red(line));
    }
  }
  if (a.sweep) lines.push(a.sweep.firstFailingRate === null ? 'First failing rate: none' : red(`First failing rate: ${rateLabel(a.sweep.firstFailingRate)}`));
  for (const n of runNotes(a)) lines.push(`Note (${runsPhrase(n.runs)}): ${n.note}`);
  if (options.outDir) lines.push(`Reports in ${options.outDir}: result.json, junit.xml, summary.md, report.html (the aggregate); each run's own under ${a.plan.rates ? 'rate-<r>/run-<k>/' : 'run-<k>/'}`);
  return lines.join('\n') + '\n';
}
