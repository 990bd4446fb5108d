import type { ControllerEventRecord } from '../model/controller';
import type { DrillResult, GateResult } from '../model/result';

/**
 * Numbers and phrases shared by every report, so junit.xml, summary.md and the terminal say the
 * same thing in the same words (a gate's "measured 31250 ms" must read alike everywhere).
 */

export type Verdict = DrillResult['verdict'];
export type FaultRecord = DrillResult['faults'][number];
export type FaultRecovery = DrillResult['recovery'][number];

export const VERDICT_LABEL: Record<Verdict, string> = {
  passed: 'PASSED',
  failed: 'FAILED',
  aborted: 'ABORTED',
  error: 'ERROR',
  residue: 'RESIDUE',
};

/** A duration in ms; seconds added past 1 s because a reader thinks of RTOs in seconds. */
export function duration(ms: number): string {
  const exact = Math.abs(ms) < 10 ? `${round(ms, 1)} ms` : `${Math.round(ms)} ms`;
  return Math.abs(ms) >= 1000 ? `${exact} (${round(ms / 1000, 1)} s)` : exact;
}

export function durationOrNone(ms: number | null, none = 'n/a'): string {
  return ms === null ? none : duration(ms);
}

/** An offset from the start of the load, e.g. "+5003 ms". */
export function offset(ms: number): string {
  return `${ms < 0 ? '-' : '+'}${Math.round(Math.abs(ms))} ms`;
}

export function offsetOrNone(ms: number | null, none = 'n/a'): string {
  return ms === null ? none : offset(ms);
}

/** Figures hold absolute harness-clock times; reports show them as offsets from clock.t0. */
export function sinceStart(result: DrillResult, t: number | null): number | null {
  return t === null ? null : t - result.clock.t0;
}

/** A latency in ms with precision that matches its size (sub-ms latencies are common). */
export function latency(ms: number | null): string {
  if (ms === null) return 'n/a';
  const digits = ms < 10 ? 2 : ms < 100 ? 1 : 0;
  return `${round(ms, digits)} ms`;
}

export function round(x: number, digits: number): string {
  // At most `digits` decimals, without trailing zeros: "7 s" rather than "7.0 s".
  return String(Number(x.toFixed(digits)));
}

/** A gate's figure in its own unit, inferred from the metric's name (the drill schema's convention). */
export function gateFigure(metric: string, value: number): string {
  // To 0.1 ms, finer than other durations: a failed gate must not read "measured 50 ms, limit 50 ms".
  if (metric.endsWith('_ms')) return `${round(value, 1)} ms${Math.abs(value) >= 1000 ? ` (${round(value / 1000, 1)} s)` : ''}`;
  if (metric === 'error_rate') return `${round(value, 4)} (${round(value * 100, 2)} %)`;
  return String(value);
}

/** What a gate measured; a missing figure is named for what it means, never shown as a number. */
export function gateMeasured(g: GateResult): string {
  if (g.value !== null) {
    const shown = gateFigure(g.metric, g.value);
    // Rounded onto its own limit, a failed figure would look like a pass: show every digit then.
    return !g.passed && shown === gateFigure(g.metric, g.max) ? `${g.value}${g.metric.endsWith('_ms') ? ' ms' : ''}` : shown;
  }
  if (g.metric === 'rto_ms') return 'not recovered';
  if (g.metric === 'time_to_first_success_ms') return 'no success';
  if (g.metric === 'backlog_drain_ms') return 'not drained';
  return 'not measured';
}

export function gateLimit(g: GateResult): string {
  return `<= ${gateFigure(g.metric, g.max)}`;
}

/** A failed gate's reason, or a generic one from the numbers when the runner gave none. */
export function gateReason(g: GateResult): string {
  if (g.reason) return g.reason;
  return g.passed ? '' : `measured ${gateMeasured(g)}, limit ${gateLimit(g)}`;
}

/** The recovery figure of a fault, by name (the runner names recoveries after their faults). */
/** A fault's kind, with where a fault aimed at a role struck: `power_flap, site=active: hit dc1`. */
export function faultKind(fault: FaultRecord): string {
  return fault.target ? `${fault.kind}, ${fault.target.field}=${fault.target.role}: hit ${fault.target.hit}` : fault.kind;
}

export function recoveryOf(result: DrillResult, fault: FaultRecord): FaultRecovery | undefined {
  return result.recovery.find((r) => r.fault === fault.name);
}

/**
 * The controller's 'promotion-failed' event behind a fault that never recovered: the plain reason
 * "the backup never took over". Only events at or after the fault was applied count, so a failed
 * promotion during an earlier, recovered fault is not blamed on a later one.
 */
export function promotionFailure(result: DrillResult, fault: FaultRecord): ControllerEventRecord | null {
  const rec = recoveryOf(result, fault);
  if (!rec || rec.all.rto.recovered) return null;
  const from = fault.appliedAtMs ?? fault.plannedAtMs;
  return result.controllerEvents.find((e) => e.type === 'promotion-failed' && e.atMs >= from) ?? null;
}

export const BACKUP_NEVER_TOOK_OVER = 'the backup never took over';

/** "promotion-failed at dc2 +3200 ms: <the controller's detail>". */
export function eventPhrase(e: ControllerEventRecord): string {
  return `${e.type}${e.site ? ` at ${e.site}` : ''} ${offset(e.atMs)}${e.detail ? `: ${e.detail}` : ''}`;
}

/** One sentence for a fault's outcome, as the summary and the terminal both state it. */
export function recoverySentence(result: DrillResult, fault: FaultRecord): string {
  const rec = recoveryOf(result, fault);
  if (!rec) return fault.appliedAtMs === null ? 'not applied' : 'no recovery figure';
  if (rec.all.rto.recovered) return rec.all.failed ? `recovered, RTO ${duration(rec.all.rto.ms)}` : 'no request failed (RTO 0)';
  const failure = promotionFailure(result, fault);
  if (!failure) return 'not recovered before the drill ended';
  return `not recovered: ${BACKUP_NEVER_TOOK_OVER} (${eventPhrase(failure)})`;
}

/** The line above a run's notes, or the runs' notes in an aggregate, in every report. */
export const NOTES_LEAD = {
  run: 'What this run could not measure, or measured with a caveat:',
  runs: "What runs could not measure, or measured with a caveat (each run's own reports have its notes):",
} as const;

/**
 * The plain-language story of a verdict, result.json's `headline`: what failed and why. The runner
 * writes it from the result; every report shows it in these words.
 */
export function headline(result: Omit<DrillResult, 'headline'>): string {
  const { verdict, gates } = result;
  if (verdict === 'error') return `The drill could not run: ${result.error?.split('\n')[0]}`;
  if (verdict === 'residue') return `Faults were left behind after the drill: ${result.residue.join('; ')}`;
  if (verdict === 'aborted') return `The drill was stopped early: ${result.abortReason}`;
  const failed = gates.filter((g) => !g.passed);
  const neverRecovered = result.recovery.some((r) => !r.all.rto.recovered);
  const backup = BACKUP_NEVER_TOOK_OVER[0].toUpperCase() + BACKUP_NEVER_TOOK_OVER.slice(1);
  const story = result.controllerEvents.some((e) => e.type === 'promotion-failed')
    ? neverRecovered
      ? `${backup}, and service did not come back before the drill ended. `
      : `${backup}: service came back only when the failed site did. `
    : neverRecovered
      ? 'Service did not recover before the drill ended. '
      : '';
  if (failed.length === 0) return story + (gates.length === 0 ? 'No gates were set.' : gates.length === 1 ? 'The one gate passed.' : `All ${gates.length} gates passed.`);
  return `${story}${failed.length} of ${gates.length} gates failed: ${failed.map((g) => g.name).join('; ')}.`;
}
