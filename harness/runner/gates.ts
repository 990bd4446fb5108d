import type { Gate } from '../drill/schema';
import type { RequestLog } from '../load/records';
import { OutcomeCode } from '../load/records';
import type { Latency } from '../../model/figures/latency';
import type { FaultSpan, Range } from '../../model/figures/phases';
import { faultPhases } from '../measure/phases';
import type { Recovery } from '../../model/figures/recovery';
import { inScope, scopesOf, type Scope } from '../measure/scope';
import type { Ledger } from '../../model/figures/ledger';
import type { SplitBrain } from '../../model/figures/split_brain';
import type { PaperStats } from '../../model/figures/paper';
import type { GateResult } from '../../model/result';

/** What the gates are judged on: the figures of one drill. */
export interface Figures {
  log: RequestLog;
  run: Range;
  /** The applied faults' names, one per recovery. */
  faultNames: string[];
  /** Every fault of the drill file, applied or not, by its index there (a gate's `fault: 1`). */
  drillFaultNames: string[];
  recovery: Recovery[];
  spans: FaultSpan[];
  latency: Latency | null;
  ledger: Ledger | null;
  splitBrain: SplitBrain | null;
  paper: PaperStats | null;
  /** Controller events that explain a failure, e.g. promotion-failed. */
  promotionFailed: boolean;
}

/** Every gate of the drill file, evaluated: one result per gate and fault it applies to. */
export function evaluateGates(gates: readonly Gate[], f: Figures): GateResult[] {
  return gates.flatMap((gate) => {
    const faults = faultIndexes(gate, f);
    const perFault = gate.metric === 'rto_ms' || gate.metric === 'time_to_first_success_ms' || ((gate.metric === 'error_rate' || gate.metric === 'p99_ms') && gate.phase !== 'run');
    if (perFault) {
      if (faults.length === 0) {
        const named = typeof gate.fault === 'number' ? f.drillFaultNames[gate.fault] : gate.fault;
        return [result(gate, named ?? null, null, named === undefined ? 'the drill applied no fault to judge' : `fault ${named} was not applied`)];
      }
      return faults.map((i) => judge(gate, f, i));
    }
    return [judge(gate, f, null)];
  });
}

function faultIndexes(gate: Gate, f: Figures): number[] {
  if (gate.fault === undefined) return f.recovery.map((_, i) => i);
  // An index is the drill file's: the applied faults' list skips any that was not applied.
  const name = typeof gate.fault === 'number' ? f.drillFaultNames[gate.fault] : gate.fault;
  const i = f.faultNames.indexOf(name);
  return i >= 0 && i < f.recovery.length ? [i] : [];
}

function judge(gate: Gate, f: Figures, fault: number | null): GateResult {
  const faultName = fault === null ? null : f.faultNames[fault];
  const scopeOf = (r: Recovery) => (gate.service === 'all' ? r.all : r.byService[gate.service]);
  // A service the run sent nothing to has no figures (harness/measure/scope.ts): a gate on it has no
  // evidence to pass on, where "nothing failed" (0) would pass it.
  const perService = gate.metric === 'rto_ms' || gate.metric === 'time_to_first_success_ms' || gate.metric === 'error_rate' || gate.metric === 'p99_ms';
  const scope = perService ? scopesOf(f.log).find((s) => s.name === gate.service) : undefined;
  if (perService && !scope) return result(gate, faultName, null, `no requests to ${gate.service} in this run: nothing to judge`);
  switch (gate.metric) {
    case 'rto_ms': {
      const scope = scopeOf(f.recovery[fault!]);
      if (!scope.rto.recovered) {
        const why = f.promotionFailed ? 'the backup never took over (the controller reported promotion-failed)' : 'service never met the recovery windows before the drill ended';
        return result(gate, faultName, null, `not recovered: ${why}`);
      }
      return result(gate, faultName, scope.rto.ms, null);
    }
    case 'time_to_first_success_ms': {
      const scope = scopeOf(f.recovery[fault!]);
      if (!scope.failed) return result(gate, faultName, 0, null);
      return scope.timeToFirstOkMs === null ? result(gate, faultName, null, 'no request succeeded after the first failure') : result(gate, faultName, scope.timeToFirstOkMs, null);
    }
    case 'lost_writes':
      return f.ledger ? result(gate, null, f.ledger.counts.lost, null) : result(gate, null, null, 'no write ledger (the read-back did not run)');
    case 'split_brain_writes':
      return f.splitBrain ? result(gate, null, f.splitBrain.writes, null) : result(gate, null, null, 'split-brain not measured');
    case 'backlog_drain_ms': {
      if (!f.paper) return result(gate, null, null, 'paper mode was off');
      if (f.paper.queued === 0) return result(gate, null, 0, null);
      return f.paper.drainMs === null ? result(gate, null, null, `${f.paper.remaining} paper bookings never re-entered`) : result(gate, null, f.paper.drainMs, null);
    }
    case 'error_rate':
      return result(gate, faultName, errorRate(f, scope!, rangeFor(gate, f, fault)), null);
    case 'p99_ms': {
      const p = latencyIn(f, gate, fault);
      return p === null ? result(gate, faultName, null, 'no latency samples in that phase') : result(gate, faultName, p, null);
    }
  }
}

function rangeFor(gate: Gate, f: Figures, fault: number | null): Range {
  if (gate.phase === 'run' || fault === null) return f.run;
  return faultPhases(f.run, f.spans[fault], gate.service)[gate.phase];
}

/** Failed, indeterminate and dropped requests over all requests due in the range. */
function errorRate(f: Figures, scope: Scope, range: Range): number {
  let total = 0;
  let bad = 0;
  for (let i = 0; i < f.log.length; i++) {
    const t = f.log.scheduled[i];
    if (t < range.from || t >= range.to || !inScope(f.log, scope, i)) continue;
    total++;
    if (f.log.outcome[i] !== OutcomeCode.Ok) bad++;
  }
  return total === 0 ? 0 : bad / total;
}

function latencyIn(f: Figures, gate: Gate, fault: number | null): number | null {
  if (!f.latency) return null;
  const scoped = fault === null || gate.phase === 'run' ? f.latency.run : f.latency.faults[fault][gate.phase as 'before' | 'during' | 'after'];
  const p = gate.service === 'all' ? scoped.all : scoped.byService[gate.service];
  return p?.p99 ?? null;
}

function result(gate: Gate, fault: string | null, value: number | null, failure: string | null): GateResult {
  const passed = failure === null && value !== null && value <= gate.max;
  const where = [gate.service !== 'all' ? gate.service : 'all services', gate.phase !== 'run' ? `${gate.phase} ${fault ?? ''}`.trim() : fault].filter(Boolean).join(', ');
  return {
    name: `${gate.metric}${gate.stat ? ` ${gate.stat}` : ''} <= ${gate.max} (${where})`,
    metric: gate.metric,
    service: gate.service,
    phase: gate.phase,
    fault,
    max: gate.max,
    value,
    passed,
    reason: passed ? null : (failure ?? `measured ${round(value!)} > limit ${gate.max}`),
    ...(gate.stat ? { stat: gate.stat } : {}),
  };
}

const round = (v: number) => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000);
