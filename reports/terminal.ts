import { faultKind, gateLimit, gateMeasured, offsetOrNone, recoverySentence, sinceStart, duration, VERDICT_LABEL } from './format';
import type { TrendRow } from './history';
import type { DrillResult } from '../model/result';

export interface TerminalOptions {
  /** ANSI colours; the caller decides (e.g. process.stdout.isTTY and no NO_COLOR). */
  color?: boolean;
  /** Where the report files were written, so the reader knows where to look next. */
  outDir?: string;
  /** The drill's last runs from the run history, this one last: its regressions are printed. */
  trend?: TrendRow[];
}

/** Caps that keep the summary on one screen; the full lists are in summary.md. */
const MAX_GATES = 6;
const MAX_FAULTS = 4;
const MAX_LOST = 3;

/**
 * The few lines printed when a drill ends: the verdict, then what failed and why in words, then
 * where to read more. Everything else is in summary.md.
 */
export function terminalSummary(result: DrillResult, options: TerminalOptions = {}): string {
  const c = palette(options.color ?? false);
  const ok = result.verdict === 'passed';
  const lines = [
    `${c.bold(`blackstart drill ${result.drill.name}:`)} ${(ok ? c.green : c.red)(c.bold(VERDICT_LABEL[result.verdict]))} (exit ${result.exitCode})`,
    result.headline,
  ];
  if (result.verdict === 'aborted' && result.abortReason) lines.push(`${c.yellow('Aborted:')} ${result.abortReason}`);
  if (result.error) lines.push(`${c.red('Error:')} ${result.error}`);

  const failed = result.gates.filter((g) => !g.passed);
  // The headline already says when every gate passed; list only what failed.
  if (failed.length > 0) lines.push(c.red(`Failed gates (${failed.length} of ${result.gates.length}):`));
  for (const g of failed.slice(0, MAX_GATES)) {
    const why = g.reason ? ` — ${g.reason}` : '';
    lines.push(`  ${c.red('x')} ${g.name}: measured ${gateMeasured(g)}, limit ${gateLimit(g)}${why}`);
  }
  more(lines, failed.length - MAX_GATES, 'failed gates');

  if (result.faults.length > 0) lines.push('Faults:');
  for (const f of result.faults.slice(0, MAX_FAULTS)) {
    lines.push(`  ${f.name} (${faultKind(f)}) applied ${offsetOrNone(f.appliedAtMs, 'never')}: ${recoverySentence(result, f)}`);
  }
  more(lines, result.faults.length - MAX_FAULTS, 'faults');

  lines.push(...ledgerLines(result, c));
  for (const n of result.notes ?? []) lines.push(`${c.yellow('Note:')} ${n}`);
  lines.push(result.residue.length ? c.red(`Residue: ${result.residue.join('; ')}`) : 'Residue: none');
  const latest = options.trend?.[options.trend.length - 1];
  if (latest?.regressions.length) lines.push(c.red(`Regression against earlier runs: ${latest.regressions.join('; ')}`));
  else if (options.trend && options.trend.length > 1) lines.push(`Trend: no regression against the ${options.trend.length - 1} earlier run(s) in the history`);
  if (options.outDir) lines.push(`Reports in ${options.outDir}: result.json, junit.xml, summary.md, report.html`);
  return lines.join('\n') + '\n';
}

function ledgerLines(r: DrillResult, c: Palette): string[] {
  const l = r.ledger;
  if (!l) return ['Writes: not read back'];
  const { lost, acknowledged, duplicated, conflicting } = l.counts;
  const extra = [duplicated && `${duplicated} duplicated`, conflicting && `${conflicting} conflicting`].filter(Boolean).join(', ');
  // As summary.md says it (§ 7.10): writes acknowledged after the fault are lost but cannot make RPO
  // positive, so an RPO of 0 ms beside them must say why (a split brain's writes, rewound away).
  const after = l.rpo.lostAckedAfterFault > 0 ? `; ${l.rpo.lostAckedAfterFault} of the lost acknowledged after the fault, not counted in it` : '';
  const head = `Lost writes: ${lost} of ${acknowledged} acknowledged${lost ? ` (RPO ${duration(l.rpo.ms)}${after})` : ''}${extra ? `; ${extra}` : ''}`;
  const out = [lost || extra ? c.red(head) : head];
  for (const e of l.lost.slice(0, MAX_LOST)) out.push(`  ${e.key} ${e.op ?? ''} acknowledged ${offsetOrNone(sinceStart(r, e.tAck), 'never')} (${e.reason})`);
  more(out, l.lost.length - MAX_LOST, 'lost writes');
  return out;
}

function more(lines: string[], n: number, what: string): void {
  if (n > 0) lines.push(`  ... and ${n} more ${what} (see summary.md)`);
}

type Paint = (s: string) => string;
interface Palette {
  bold: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
}

function palette(color: boolean): Palette {
  const sgr = (code: number): Paint => (color ? (s) => `\x1b[${code}m${s}\x1b[0m` : (s) => s);
  return { bold: sgr(1), red: sgr(31), green: sgr(32), yellow: sgr(33) };
}
