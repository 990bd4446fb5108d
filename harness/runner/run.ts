import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createFault } from '../../chaos/faults';
import { faultContext, type Fault, type FaultContext } from '../../chaos/faults/fault';
import { Journal } from '../../chaos/journal';
import { checkResidue } from '../../chaos/residue';
import { TOXIPROXY_VERSION } from '../../proxy/api';
import type { DrillResult, GateResult } from '../../reports/result';
import { startEstate, type Estate } from '../../services/runtime';
import { describeFault, faultSpecOf } from '../drill/load';
import { faultName, loadDurationMs, type Drill } from '../drill/schema';
import { runLoad, type LoadRun } from '../load/engine';
import { constantArrivalRate } from '../load/executors/constant_arrival_rate';
import { rampingArrivalRate } from '../load/executors/ramping_arrival_rate';
import { PaperBacklog, type PaperStats } from '../load/paper';
import { OUTCOMES, RequestLog } from '../load/records';
import { clinicalWorkload } from '../load/workload';
import { degradation } from '../measure/degradation';
import { latencyByPhase } from '../measure/latency';
import { faultSpanOf, recovery, type Recovery } from '../measure/recovery';
import { timeline } from '../measure/timeline';
import { ledger, type Ledger } from '../verify/ledger';
import { readBack } from '../verify/readback';
import { splitBrain } from '../verify/split_brain';
import { packageVersion } from '../paths';
import { watchAbort } from './abort';
import { evaluateGates } from './gates';
import { startProgress } from './progress';

export interface RunOptions {
  file: string;
  outDir: string;
  print?: (line: string) => void;
  /** Aborting it stops the drill early (SIGINT/SIGTERM), reverting every fault. */
  signal?: AbortSignal;
}

interface FaultState {
  index: number;
  name: string;
  fault: Fault;
  plannedAtMs: number;
  appliedAt: number | null;
  revertedAt: number | null;
  error: string | null;
  revertError: string | null;
  applying: Promise<void> | null;
  timers: NodeJS.Timeout[];
}

interface ControllerEvent {
  t: number;
  type: string;
  site?: string;
  detail?: string;
}

export const EXIT = { passed: 0, failed: 1, aborted: 1, error: 2, residue: 3 } as const;

/**
 * One drill, as its file reads: stand the estate up, put load on it, apply the faults on
 * schedule, stop the load, read every write back, check for residue, judge the gates. Every way
 * out (pass, fail, abort, exception, signal) reverts every fault it applied and stops the estate.
 */
export async function runDrill(drill: Drill, o: RunOptions): Promise<DrillResult> {
  const print = o.print ?? (() => {});
  const outDir = resolve(o.outDir);
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const runId = `${drill.name}-${Date.now().toString(36)}`;
  const faults: FaultState[] = [];
  const log = new RequestLog();
  let estate: Estate | undefined;
  let ctx: FaultContext | undefined;
  let journal: Journal | undefined;
  let run: LoadRun | undefined;
  let abortReason: string | null = null;
  let error: string | null = null;
  let paper: PaperBacklog | undefined;
  let paperStats: PaperStats | null = null;
  let ledgerResult: Ledger | null = null;
  let events: ControllerEvent[] = [];
  let residue: string[] = [];
  const stops: (() => void)[] = [];

  const abort = (reason: string) => {
    if (abortReason) return;
    abortReason = reason;
    print(`ABORT: ${reason}: stopping the load and reverting every fault`);
    run?.stop();
    for (const f of faults) f.timers.forEach(clearTimeout);
  };
  const onSignal = () => abort(`interrupted (${o.signal?.reason ?? 'signal'})`);
  o.signal?.addEventListener('abort', onSignal);

  try {
    // 1. The estate.
    print(`starting the estate (${drill.estate.runtime})`);
    estate = await startEstate(drill.estate, { stateRoot: join(outDir, 'estate') });
    ctx = faultContext(estate);
    journal = Journal.open({ runId, path: join(outDir, 'journal.jsonl') });
    if (o.signal?.aborted) throw new Error('interrupted before the load started');

    // 2. Load, open model, from the drill's seed.
    const workload = clinicalWorkload({ seed: drill.seed, mix: drill.load.mix, runId });
    paper = drill.load.paper ? new PaperBacklog({ log, bookingUrl: estate.endpoints.services.booking }) : undefined;
    const executor =
      drill.load.executor === 'ramping-arrival-rate'
        ? rampingArrivalRate(drill.load.rate, drill.load.stages!.map((s) => ({ target: s.target, durationMs: s.duration })))
        : constantArrivalRate(drill.load.rate, drill.load.duration!);
    run = runLoad({
      executor,
      targets: estate.endpoints.services,
      workload: paper ? paper.wrap(workload) : workload,
      maxInFlight: drill.load.max_in_flight,
      timeoutMs: drill.load.timeout,
      log,
    });
    const t0 = run.t0;
    print(`load: ${executor.name} for ${executor.durationMs} ms; ${drill.faults.length} fault(s) planned`);
    stops.push(startProgress(run, join(outDir, 'progress.jsonl'), print, () => activeFaults(faults)));
    stops.push(watchAbort(drill.abort, run.live, abort));

    // 3. Faults on schedule, each journaled before it is applied.
    drill.faults.forEach((f, index) => {
      const state: FaultState = {
        index,
        name: faultName(f, index),
        fault: createFault(`${index}-${faultName(f, index)}`, faultSpecOf(f)),
        plannedAtMs: f.at,
        appliedAt: null,
        revertedAt: null,
        error: null,
        revertError: null,
        applying: null,
        timers: [],
      };
      faults.push(state);
      const at = Math.max(0, t0 + f.at - performance.now());
      state.timers.push(
        setTimeout(() => {
          state.applying = applyFault(state, ctx!, journal!, print, t0).then(() => {
            const after = f.restore_after ?? f.duration;
            if (after !== undefined && !abortReason) state.timers.push(setTimeout(() => void revertFault(state, ctx!, journal!, print, t0), after));
          });
        }, at),
      );
    });

    const summary = await run.done;
    stops.forEach((s) => s());
    stops.length = 0;

    // 4. End of load: every fault still applied is reverted, last first.
    await revertAll(faults, ctx, journal!, print, t0);
    if (paper) paperStats = await paper.finish(30_000);

    // 5. Settle, then read every write back from the site that is active now.
    await settle(estate, drill.settle);
    events = await controllerEvents(estate);
    const active = await activeSite(estate);
    const back = await readBack(log, { services: estate.endpoints.services, sanAdmin: active ? estate.endpoints.sites[active as 'dc1' | 'dc2'].sanAdmin : undefined }, runId);
    const appliedAt = faults.map((f) => f.appliedAt).filter((t): t is number => t !== null);
    ledgerResult = ledger(log, {
      readBack: back.readBack,
      unattemptedKeys: back.unattemptedKeys,
      conflicts: back.conflicts,
      tFault: appliedAt[0] ?? performance.now(),
      lossFaults: faultsFollowedBy(appliedAt, events.filter((e) => e.type === 'promote').map((e) => e.t - performance.timeOrigin)),
    });

    // 6. Residue: what chaos left behind fails the drill whatever the gates say.
    residue = (await checkResidue(ctx, {})).map((r) => r.description);
    residue.push(...faults.filter((f) => f.revertError).map((f) => `${f.name}: revert failed: ${f.revertError}`));

    return finish(summary);
  } catch (e) {
    error = (e as Error).stack ?? String(e);
    print(`ERROR: ${(e as Error).message}`);
    return finish(null);
  } finally {
    stops.forEach((s) => s());
    o.signal?.removeEventListener('abort', onSignal);
    if (ctx && journal) await revertAll(faults, ctx, journal, print, run?.t0 ?? 0).catch(() => {});
    await estate?.stop();
    journal?.close();
  }

  function finish(summary: Awaited<LoadRun['done']> | null): DrillResult {
    const t0 = run?.t0 ?? performance.now();
    const end = summary ? t0 + summary.durationMs : performance.now();
    const warmupEnd = t0 + drill.load.warmup;
    const applied = faults.filter((f) => f.appliedAt !== null);
    const toHarness = (t: number) => t - performance.timeOrigin;
    const harnessEvents = events.map((e) => ({ ...e, t: toHarness(e.t) }));
    const recoveries: (Recovery & { fault: string })[] = applied.map((f, k) => {
      const tFault = f.appliedAt!;
      const tNext = applied[k + 1]?.appliedAt ?? end;
      const first = (type: string) => harnessEvents.find((e) => e.type === type && e.t >= tFault && e.t < tNext)?.t;
      return {
        fault: f.name,
        ...recovery(log, {
          fault: { tFault, tDetect: first('detect'), tPromote: first('promote'), tSwitch: first('switch') },
          baseline: { from: warmupEnd, to: applied[0].appliedAt! },
          n: drill.recovery.windows,
          windowMs: drill.recovery.window,
          minSuccessRatio: drill.recovery.success_ratio,
          p95Factor: drill.recovery.p95_factor,
          maxP95Ms: drill.recovery.max_p95,
          tEnd: tNext,
        }),
      };
    });
    const runRange = { from: warmupEnd, to: end };
    // "During" a fault lasts until it is reverted or until service recovered, whichever is later:
    // a latency fault fails nothing, yet its latency belongs to its own phase.
    const spans = recoveries.map((r, k) => {
      const span = faultSpanOf(r, r.fault);
      const until = applied[k].revertedAt ?? end;
      const later = (t: number | null) => (t === null ? null : Math.max(t, until));
      return {
        ...span,
        tRecovered: later(span.tRecovered),
        tRecoveredByService: span.tRecoveredByService && Object.fromEntries(Object.entries(span.tRecoveredByService).map(([svc, t]) => [svc, later(t)])),
      };
    });
    const hasRecords = log.length > 0;
    const latency = hasRecords ? latencyByPhase(log, { run: runRange, faults: spans }) : null;
    const split = hasRecords ? splitBrain(log, { events, initialPrimary: 'dc1', harnessTimeOrigin: performance.timeOrigin }) : null;
    const gates: GateResult[] = error
      ? []
      : evaluateGates(drill.gates, {
          log,
          run: runRange,
          faultNames: applied.map((f) => f.name),
          recovery: recoveries,
          spans,
          latency,
          ledger: ledgerResult,
          splitBrain: split,
          paper: paperStats,
          promotionFailed: events.some((e) => e.type === 'promotion-failed'),
        });
    const verdict = error ? 'error' : residue.length > 0 ? 'residue' : abortReason ? 'aborted' : gates.every((g) => g.passed) ? 'passed' : 'failed';
    const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0]));
    for (let i = 0; i < log.length; i++) counts[OUTCOMES[log.outcome[i]]]++;
    return {
      schema: 'blackstart.result/1',
      drill: { name: drill.name, description: drill.description, file: o.file, seed: drill.seed },
      versions: { blackstart: packageVersion(), node: process.version, proxy: proxyServerName(estate) },
      runtime: drill.estate.runtime,
      startedAt,
      finishedAt: new Date().toISOString(),
      verdict,
      exitCode: EXIT[verdict],
      headline: headline(verdict, gates, residue, abortReason, error, recoveries, events),
      abortReason,
      error,
      clock: { t0, timeOrigin: performance.timeOrigin },
      load: {
        executor: drill.load.executor,
        plannedMs: loadDurationMs(drill.load),
        scheduled: summary?.scheduled ?? log.length,
        dropped: summary?.dropped ?? 0,
        lagP99Ms: summary?.lagP99Ms ?? 0,
        requests: counts,
      },
      faults: faults.map((f) => ({
        name: f.name,
        kind: f.fault.spec.kind,
        description: describeFault(drill.faults[f.index], f.index),
        plannedAtMs: f.plannedAtMs,
        appliedAtMs: f.appliedAt === null ? null : f.appliedAt - t0,
        revertedAtMs: f.revertedAt === null ? null : f.revertedAt - t0,
        error: f.error,
        revertError: f.revertError,
      })),
      controllerEvents: harnessEvents.map((e) => ({ atMs: e.t - t0, type: e.type, site: e.site ?? null, detail: e.detail ?? null })),
      recovery: recoveries,
      latency,
      degradation: hasRecords && applied.length ? degradation(log, { run: runRange, faults: spans, baseline: { from: warmupEnd, to: applied[0].appliedAt! } }) : null,
      ledger: ledgerResult,
      splitBrain: split,
      paper: paperStats,
      residue,
      gates,
      timeline: hasRecords ? timeline(log, { t0, t1: end }) : null,
    };
  }
}

async function applyFault(f: FaultState, ctx: FaultContext, journal: Journal, print: (l: string) => void, t0: number): Promise<void> {
  journal.record(f.fault, ctx);
  f.appliedAt = performance.now();
  print(`t=${((f.appliedAt - t0) / 1000).toFixed(1)}s apply ${f.fault.describe()}`);
  try {
    await f.fault.apply(ctx);
    journal.mark(f.fault.id, 'applied');
  } catch (e) {
    f.error = (e as Error).message;
    journal.mark(f.fault.id, 'apply-failed', e);
    print(`fault ${f.name} failed to apply: ${f.error}`);
  }
}

async function revertFault(f: FaultState, ctx: FaultContext, journal: Journal, print: (l: string) => void, t0: number): Promise<void> {
  if (f.appliedAt === null || f.revertedAt !== null) return;
  f.revertedAt = performance.now();
  try {
    await f.fault.revert(ctx);
    journal.mark(f.fault.id, 'reverted');
    print(`t=${((f.revertedAt - t0) / 1000).toFixed(1)}s revert ${f.name}`);
  } catch (e) {
    f.revertError = (e as Error).message;
    journal.mark(f.fault.id, 'revert-failed', e);
    print(`fault ${f.name} failed to revert: ${f.revertError}`);
  }
}

async function revertAll(faults: FaultState[], ctx: FaultContext, journal: Journal, print: (l: string) => void, t0: number): Promise<void> {
  for (const f of faults) f.timers.forEach(clearTimeout);
  for (const f of [...faults].reverse()) {
    // A fault still applying (a power flap, a cold restart) is reverted once its apply returns.
    if (f.applying) await f.applying.catch(() => {});
    await revertFault(f, ctx, journal, print, t0);
  }
}

function activeFaults(faults: FaultState[]): string {
  const active = faults.filter((f) => f.appliedAt !== null && f.revertedAt === null).map((f) => f.name);
  return active.length ? `faults: ${active.join(', ')}` : '';
}

/**
 * The faults that took the primary away: those with a promotion between their application and the
 * next fault's. Where none was followed by one, every fault (RPO from the first after each write).
 */
export function faultsFollowedBy(appliedAt: number[], promotions: number[]): number[] {
  const sorted = [...appliedAt].sort((a, b) => a - b);
  const losing = sorted.filter((t, k) => promotions.some((p) => p >= t && p < (sorted[k + 1] ?? Infinity)));
  return losing.length ? losing : sorted;
}

/** Which server ran the estate's proxies: the embedded one, or the real Toxiproxy (docker runtime, image present). */
function proxyServerName(estate: Estate | undefined): string {
  const server = estate?.proxyServer ?? { kind: 'embedded' };
  if (server.kind === 'toxiproxy') return `Toxiproxy (${server.image ?? 'image'})`;
  return `embedded (Toxiproxy ${TOXIPROXY_VERSION} API${server.image ? `, ${server.image}` : ''})`;
}

/** Waits `ms`, then up to 30 s more for every service to answer ready through the front door. */
async function settle(estate: Estate, ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  const deadline = performance.now() + 30_000;
  for (const url of Object.values(estate.endpoints.services)) {
    while (performance.now() < deadline) {
      const ok = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function controllerEvents(estate: Estate): Promise<ControllerEvent[]> {
  try {
    return (await (await fetch(`${estate.endpoints.controller}/events`, { signal: AbortSignal.timeout(2000) })).json()) as ControllerEvent[];
  } catch {
    return [];
  }
}

async function activeSite(estate: Estate): Promise<string | undefined> {
  try {
    return ((await (await fetch(`${estate.endpoints.controller}/active`, { signal: AbortSignal.timeout(2000) })).json()) as { site: string }).site;
  } catch {
    return undefined;
  }
}

function headline(
  verdict: DrillResult['verdict'],
  gates: GateResult[],
  residue: string[],
  abortReason: string | null,
  error: string | null,
  recoveries: Recovery[],
  events: ControllerEvent[],
): string {
  if (verdict === 'error') return `The drill could not run: ${error?.split('\n')[0]}`;
  if (verdict === 'residue') return `Faults were left behind after the drill: ${residue.join('; ')}`;
  if (verdict === 'aborted') return `The drill was stopped early: ${abortReason}`;
  const failed = gates.filter((g) => !g.passed);
  const neverRecovered = recoveries.some((r) => !r.all.rto.recovered);
  const promotionFailed = events.some((e) => e.type === 'promotion-failed');
  const story = promotionFailed
    ? neverRecovered
      ? 'The backup never took over, and service did not come back before the drill ended. '
      : 'The backup never took over: service came back only when the failed site did. '
    : neverRecovered
      ? 'Service did not recover before the drill ended. '
      : '';
  if (failed.length === 0) return `${story}All ${gates.length} gates passed.`;
  return `${story}${failed.length} of ${gates.length} gates failed: ${failed.map((g) => g.name).join('; ')}.`;
}
