import type { ControllerEvent } from '../../model/controller';
import { TOXIPROXY_VERSION } from '../../proxy/api';
import type { DrillResult, GateResult } from '../../model/result';
import { headline } from '../../reports/format';
import type { Estate } from '../../services/runtime';
import { hasEndpoint } from '../../model/estate_record';
import { REGIONAL_SITES } from '../../model/estate';
import { describeFault } from '../drill/load';
import { inTimeOrder, loadDurationMs, type Drill } from '../drill/schema';
import type { LoadSummary } from '../load/engine';
import type { PaperStats } from '../../model/figures/paper';
import { OUTCOMES, type RequestLog } from '../load/records';
import { degradation } from '../measure/degradation';
import type { Latency } from '../../model/figures/latency';
import type { FaultSpan, Range } from '../../model/figures/phases';
import type { Recovery } from '../../model/figures/recovery';
import { latencyByPhase } from '../measure/latency';
import { ceilingCaveat } from '../measure/ceiling_caveat';
import { faultSpanOf, recovery } from '../measure/recovery';
import { timeline } from '../measure/timeline';
import type { Ledger } from '../../model/figures/ledger';
import type { SplitBrain } from '../../model/figures/split_brain';
import { splitBrain } from '../verify/split_brain';
import { packageVersion } from '../paths';
import { evaluateGates } from './gates';
import type { ScheduledFault } from './faults';

export const EXIT = { passed: 0, failed: 1, aborted: 1, error: 2, residue: 3 } as const;

/** Everything a drill recorded, as plain data: what the result is built from. */
export interface RunRecord {
  drill: Drill;
  file: string;
  startedAt: string;
  estate: Estate | undefined;
  /** Start of the load on the harness clock; undefined when the load never started. */
  t0: number | undefined;
  summary: LoadSummary | null;
  log: RequestLog;
  faults: ScheduledFault[];
  /** The controller's events as it served them (unix ms). */
  events: ControllerEvent[];
  ledger: Ledger | null;
  paper: PaperStats | null;
  residue: string[];
  abortReason: string | null;
  error: string | null;
  /** What the run could not measure and why (result.json `notes`). */
  notes?: string[];
  /** The site the failover controller named active once the estate was up: the split-brain check's first primary. */
  initialActive?: string;
}

/** The figures of docs/ARCHITECTURE.md § 7 computed from a run's records. */
export interface MeasuredRun {
  t0: number;
  end: number;
  run: Range;
  recoveries: (Recovery & { fault: string })[];
  spans: FaultSpan[];
  latency: Latency | null;
  splitBrain: SplitBrain | null;
  /** Controller events on the harness clock. */
  events: (ControllerEvent & { t: number })[];
}

export function measureRun(r: RunRecord): MeasuredRun {
  const t0 = r.t0 ?? performance.now();
  const end = r.summary ? t0 + r.summary.durationMs : performance.now();
  const warmupEnd = t0 + r.drill.load.warmup;
  const applied = r.faults.filter((f) => f.appliedAt !== null);
  const events = r.events.map((e) => ({ ...e, t: e.t - performance.timeOrigin }));
  // A fault's episode ends where the next fault in time begins, whatever order the drill file lists them in.
  const inTime = inTimeOrder(applied, (f) => f.plannedAtMs);
  const baselineEnd = firstApplied(applied)!;
  const recoveries = applied.map((f) => {
    const tFault = f.appliedAt!;
    const tNext = inTime[inTime.indexOf(f) + 1]?.appliedAt ?? end;
    const first = (type: string) => events.find((e) => e.type === type && e.t >= tFault && e.t < tNext)?.t;
    return {
      fault: f.name,
      ...recovery(r.log, {
        fault: { tFault, tDetect: first('detect'), tPromote: first('promote'), tSwitch: first('switch') },
        baseline: { from: warmupEnd, to: baselineEnd },
        n: r.drill.recovery.windows,
        windowMs: r.drill.recovery.window,
        minSuccessRatio: r.drill.recovery.success_ratio,
        p95Factor: r.drill.recovery.p95_factor,
        maxP95Ms: r.drill.recovery.max_p95,
        tEnd: tNext,
      }),
    };
  });
  const run = { from: warmupEnd, to: end };
  // "During" a fault lasts until it is reverted or until service recovered, whichever is later:
  // a latency fault fails nothing, yet its latency belongs to its own phase.
  const spans = recoveries.map((rec, k) => {
    const span = faultSpanOf(rec, rec.fault);
    const until = applied[k].revertedAt ?? end;
    const later = (t: number | null) => (t === null ? null : Math.max(t, until));
    return {
      ...span,
      tRecovered: later(span.tRecovered),
      tRecoveredByService: span.tRecoveredByService && Object.fromEntries(Object.entries(span.tRecoveredByService).map(([svc, t]) => [svc, later(t)])),
    };
  });
  const hasRecords = r.log.length > 0;
  return {
    t0,
    end,
    run,
    recoveries,
    spans,
    latency: hasRecords ? latencyByPhase(r.log, { run, faults: spans }) : null,
    // Judged against the controller's promotions: not measured where the estate has no controller (an external system).
    splitBrain: hasRecords && (!r.estate || hasEndpoint(r.estate.endpoints.controller)) ? splitBrain(r.log, { events: r.events, initialPrimary: firstPrimary(r), harnessTimeOrigin: performance.timeOrigin }) : null,
    events,
  };
}

/** When the first fault in time was applied: the end of the baseline; undefined when none was. */
function firstApplied(applied: ScheduledFault[]): number | undefined {
  return applied.length ? Math.min(...applied.map((f) => f.appliedAt!)) : undefined;
}

/**
 * The primary before the controller's first promotion: what it named active when the estate was
 * up, else the estate's first serving site (a record built without a run: the regional estate's dc1).
 */
function firstPrimary(r: RunRecord): string {
  return r.initialActive ?? r.estate?.servingSites[0] ?? REGIONAL_SITES[0];
}

/** The drill's gates judged on its figures; none when the drill could not run. */
export function judgeGates(r: RunRecord, m: MeasuredRun): GateResult[] {
  if (r.error) return [];
  return evaluateGates(r.drill.gates, {
    log: r.log,
    run: m.run,
    faultNames: r.faults.filter((f) => f.appliedAt !== null).map((f) => f.name),
    drillFaultNames: r.faults.map((f) => f.name),
    recovery: m.recoveries,
    spans: m.spans,
    latency: m.latency,
    ledger: r.ledger,
    splitBrain: m.splitBrain,
    paper: r.paper,
    promotionFailed: r.events.some((e) => e.type === 'promotion-failed'),
  });
}

/** result.json (model/result.ts) from the records, the figures, the gates and the phases. */
export function assembleResult(r: RunRecord, m: MeasuredRun, gates: GateResult[], aggregateGates?: GateResult[]): DrillResult {
  const result = assembleFigures(r, m, gates);
  return { ...result, headline: headline(result), ...(aggregateGates ? { aggregateGates } : {}) };
}

function assembleFigures(r: RunRecord, m: MeasuredRun, gates: GateResult[]): Omit<DrillResult, 'headline'> {
  const verdict = r.error ? 'error' : r.residue.length > 0 ? 'residue' : r.abortReason ? 'aborted' : gates.every((g) => g.passed) ? 'passed' : 'failed';
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0]));
  for (let i = 0; i < r.log.length; i++) counts[OUTCOMES[r.log.outcome[i]]]++;
  const applied = r.faults.filter((f) => f.appliedAt !== null);
  const hasRecords = r.log.length > 0;
  const first = firstApplied(applied);
  const baseline = first === undefined ? null : { from: m.run.from, to: first };
  const rule = r.drill.recovery;
  const caveat = baseline ? ceilingCaveat(r.log, m.recoveries, { windowMs: rule.window, p95Factor: rule.p95_factor, maxP95Ms: rule.max_p95, baseline }) : undefined;
  const notes = [...(r.notes ?? []), ...(caveat ? [caveat] : [])];
  return {
    schema: 'blackstart.result/1',
    drill: { name: r.drill.name, description: r.drill.description, file: r.file, seed: r.drill.seed },
    versions: { blackstart: packageVersion(), node: process.version, proxy: proxyServerName(r.estate) },
    runtime: r.drill.estate.runtime,
    startedAt: r.startedAt,
    finishedAt: new Date().toISOString(),
    verdict,
    exitCode: EXIT[verdict],
    abortReason: r.abortReason,
    error: r.error,
    clock: { t0: m.t0, timeOrigin: performance.timeOrigin },
    load: {
      executor: r.drill.load.executor,
      plannedMs: loadDurationMs(r.drill.load),
      scheduled: r.summary?.scheduled ?? r.log.length,
      dropped: r.summary?.dropped ?? 0,
      lagP99Ms: r.summary?.lagP99Ms ?? 0,
      requests: counts,
    },
    faults: r.faults.map((f) => {
      // Aimed at a role: where it struck when it was applied.
      const target = f.fault.resolved?.()?.target;
      return {
        name: f.name,
        kind: f.fault.spec.kind,
        description: describeFault(r.drill.faults[f.index], f.index, target),
        ...(target ? { target } : {}),
        plannedAtMs: f.plannedAtMs,
        appliedAtMs: f.appliedAt === null ? null : f.appliedAt - m.t0,
        revertedAtMs: f.revertedAt === null ? null : f.revertedAt - m.t0,
        error: f.error,
        revertError: f.revertError,
      };
    }),
    controllerEvents: m.events.map((e) => ({ atMs: e.t - m.t0, type: e.type, site: e.site ?? null, detail: e.detail ?? null })),
    recovery: m.recoveries,
    latency: m.latency,
    degradation: hasRecords && baseline ? degradation(r.log, { run: m.run, faults: m.spans, baseline }) : null,
    ledger: r.ledger,
    splitBrain: m.splitBrain,
    paper: r.paper,
    residue: r.residue,
    gates,
    ...(notes.length ? { notes } : {}),
    phases: [],
    timeline: hasRecords ? timeline(r.log, { t0: m.t0, t1: m.end }) : null,
  };
}

/** Which server ran the estate's proxies: the embedded one, or the real Toxiproxy (docker runtime, image present). */
function proxyServerName(estate: Estate | undefined): string {
  const server = estate?.proxyServer ?? { kind: 'embedded' };
  if (server.kind === 'toxiproxy') return `Toxiproxy (${server.image ?? 'image'})`;
  return `embedded (Toxiproxy ${TOXIPROXY_VERSION} API${server.image ? `, ${server.image}` : ''})`;
}
