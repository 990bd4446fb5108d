import { join, resolve } from 'node:path';
import { faultContext, type FaultContext } from '../../chaos/faults';
import { Journal } from '../../chaos/journal';
import { checkResidue } from '../../chaos/residue';
import type { DrillResult } from '../../model/result';
import { startEstate, type Estate } from '../../services/runtime';
import { hasEndpoint } from '../../model/estate_record';
import type { Drill } from '../drill/schema';
import { RequestLog } from '../load/records';
import { watchAbort } from './abort';
import { FaultSchedule } from './faults';
import { fhirOptions, startDrillLoad, startK6DrillLoad, type DrillLoad } from './load';
import { requireK6 } from '../load/k6/runner';
import { PhaseJournal } from './phases';
import { withTimeout } from '../../lib/timeout';
import { enterOutDir } from './out_dir';
import { readBackPhase } from './readback';
import { assembleResult, judgeGates, measureRun, type RunRecord } from './result';
import { startProgress, type StatusStream } from './progress';
import { controllerClient } from '../../services/controller/client';

export { EXIT } from './result';
export { OutDirTaken } from './out_dir';

/** Drills this process has run (a part of each run id). */
let runs = 0;

/** The platform under the estate failed: a harness-world error with a plain message (exit 2). */
class PlatformLost extends Error {}

/** What the run cannot measure on this estate, said once at the start and kept in result.json. */
function estateNotes(estate: Estate): string[] {
  if (hasEndpoint(estate.endpoints.controller)) return [];
  return [
    'this estate has no failover controller blackstart can read (an estate file, or an external system without estate.external.controller): ' +
      'time to detect, promote and switch are null, the read-back does not know the active site (no listing of unexpected keys), and split-brain is not measured',
  ];
}

/** The site the controller names active once the estate is up; undefined without one, or when it does not answer in time. */
async function initialActive(estate: Estate): Promise<string | undefined> {
  if (!hasEndpoint(estate.endpoints.controller)) return undefined;
  return withTimeout(controllerClient(estate.endpoints.controller).active(), 5_000, 'GET /active').then(
    (a) => a.site,
    () => undefined,
  );
}
export { faultsFollowedBy } from './readback';

export interface RunOptions {
  file: string;
  outDir: string;
  print?: (line: string) => void;
  /** Aborting it stops the drill early (SIGINT/SIGTERM), reverting every fault. */
  signal?: AbortSignal;
  /**
   * One run of several (--repeat, --rates): gates naming a statistic are judged on the aggregate,
   * so here they only get this run's value (result.aggregateGates) and stay out of the verdict.
   */
  deferStatGates?: boolean;
  /** A terminal (process.stderr when it is one): progress as one status area redrawn in place instead of a line a second. */
  tty?: StatusStream;
  /** Which run of several this is, for the status area (e.g. "run 2 of 5 @30/s"). */
  runLabel?: string;
}

/**
 * One drill, as its file reads (docs/ARCHITECTURE.md § 9): stand the estate up, put load on it and
 * apply the faults on schedule, stop the load and revert what is still applied, read every write
 * back, check for residue, judge the gates, build the result. Each phase is journaled; every way
 * out (pass, fail, abort, exception, signal) reverts every fault applied and stops the estate.
 */
export async function runDrill(drill: Drill, o: RunOptions): Promise<DrillResult> {
  const basePrint = o.print ?? (() => {});
  // While the progress runs, the runner's lines go through it (above the status area on a TTY).
  let route = basePrint;
  const print = (line: string) => route(line);
  const outDir = resolve(o.outDir);
  // Before anything starts: the directory is this run's alone (another run's is refused, OutDirTaken).
  const leaveOutDir = enterOutDir(outDir, drill.name);
  // Unique across processes too: the journal's link in .blackstart/journals/ is named by it.
  const runId = `${drill.name}-${Date.now().toString(36)}-${process.pid.toString(36)}${(++runs).toString(36)}`;
  const phases = new PhaseJournal();
  const record: RunRecord = {
    drill,
    file: o.file,
    startedAt: new Date().toISOString(),
    estate: undefined,
    t0: undefined,
    summary: null,
    log: new RequestLog(),
    faults: [],
    events: [],
    ledger: null,
    paper: null,
    residue: [],
    abortReason: null,
    error: null,
  };
  let ctx: FaultContext | undefined;
  let journal: Journal | undefined;
  let schedule: FaultSchedule | undefined;
  let load: DrillLoad | undefined;
  let k6: string | undefined;
  const stops: (() => void)[] = [];
  const stopWatchers = () => stops.splice(0).forEach((s) => s());

  const abort = (reason: string) => {
    if (record.abortReason) return;
    record.abortReason = reason;
    print(`ABORT: ${reason}: stopping the load and reverting every fault`);
    load?.run.stop();
    schedule?.cancel();
  };
  const onSignal = () => abort(`interrupted (${o.signal?.reason ?? 'signal'})`);
  // What could not be written under the output directory (a full disk): said now and in result.json.
  const writeProblem = (line: string) => {
    (record.notes ??= []).push(line);
    print(`WARNING: ${line}`);
  };
  o.signal?.addEventListener('abort', onSignal);
  // What the estate runs on failing under it (the Docker daemon stopping): the drill stops there.
  let platformLost: string | undefined;
  let unwatchPlatform: (() => void) | undefined;
  let platformLostAt = '';
  const platformError = () =>
    new PlatformLost(
      `${platformLost}${platformLostAt}: the drill stopped there. What it had applied is in its journal ${journal?.path ?? '(none yet)'}; ` +
        'once the daemon answers again, `blackstart restore` undoes it and removes the estate',
    );
  const checkPlatform = () => {
    if (platformLost !== undefined) throw platformError();
  };

  try {
    const estate = await phases.run('estate', async () => {
      // k6 missing: said before anything is started.
      if (drill.load.engine === 'k6') k6 = requireK6();
      // The journal first, naming where the estate will keep its state: a harness killed while the
      // estate starts (or before any fault) leaves it to `blackstart restore` to stop.
      const stateRoot = join(outDir, 'estate');
      journal = Journal.open({ runId, path: join(outDir, 'journal.jsonl'), estates: stateRoot });
      print(`starting the estate (${drill.estate.runtime})`);
      record.estate = await startEstate(drill.estate, { stateRoot });
      unwatchPlatform = record.estate.watchPlatform?.((reason) => {
        platformLost = reason;
        if (record.t0 !== undefined) platformLostAt = ` at t=${((performance.now() - record.t0) / 1000).toFixed(1)}s`;
        print(`ERROR: ${reason}: stopping the drill`);
        abort(reason);
      });
      record.initialActive = await initialActive(record.estate);
      record.notes = estateNotes(record.estate);
      record.notes.forEach((n) => print(`note: ${n}`));
      ctx = faultContext(record.estate);
      schedule = new FaultSchedule(drill.faults, ctx, journal, print);
      record.faults = schedule.faults;
      if (o.signal?.aborted) throw new Error('interrupted before the load started');
      return record.estate;
    });

    await phases.run('load', async () => {
      load = k6 ? await startK6DrillLoad(drill, estate, record.log, runId, { k6, outDir, file: o.file }) : await startDrillLoad(drill, estate, record.log, runId);
      // Stopped while the pools were warming: the schedule ends at once.
      if (record.abortReason) load.run.stop();
      record.t0 = load.run.t0;
      print(`load: ${load.executor.name} for ${load.executor.durationMs} ms; ${drill.faults.length} fault(s) planned`);
      const lastEvent = o.tty?.isTTY ? watchControllerEvents(estate, load.run.t0) : undefined;
      const progress = startProgress(load.run, join(outDir, 'progress.jsonl'), basePrint, () => schedule!.describeActive(), {
        onWriteError: (file, e) => writeProblem(`could not write ${file} (${e.message}): the progress goes on, on the terminal only`),
        tty: o.tty,
        plannedMs: load.executor.durationMs,
        runLabel: o.runLabel,
        drill: drill.name,
        lastEvent: lastEvent?.last,
      });
      route = progress.print;
      stops.push(() => {
        progress.stop();
        lastEvent?.stop();
        route = basePrint;
      });
      stops.push(watchAbort(drill.abort, load.run.live, abort));
      schedule!.start(load.run.t0);
      record.summary = await load.run.done;
      stopWatchers();
      checkPlatform();
      print('load ended: reverting what is still applied, then reading every write back');
    });

    await phases.run('faults', async () => {
      // End of load: every fault still applied is reverted, last first.
      await schedule!.revertAll();
      if (load?.paper) record.paper = await load.paper.finish(30_000);
      checkPlatform();
    });

    await phases.run('read-back', async () => {
      const back = await readBackPhase(estate, {
        log: record.log,
        runId,
        settleMs: drill.settle,
        appliedAt: schedule!.applied().map((f) => f.appliedAt!),
        fhir: drill.load.workload === 'fhir' ? fhirOptions(drill, estate) : undefined,
      });
      checkPlatform();
      record.events = back.events;
      record.ledger = back.ledger;
    });

    await phases.run('residue', async () => {
      // What chaos left behind fails the drill whatever the gates say.
      record.residue = (await checkResidue(ctx!, {})).map((r) => r.description);
      record.residue.push(...record.faults.filter((f) => f.revertError).map((f) => `${f.name}: revert failed: ${f.revertError}`));
    });
  } catch (caught) {
    // A plain message where the cause is plain (the platform lost, whatever failed because of it): no stack trace.
    const e = platformLost !== undefined ? platformError() : caught;
    record.error = e instanceof PlatformLost ? e.message : ((e as Error).stack ?? String(e));
    print(`ERROR: ${(e as Error).message}`);
  } finally {
    unwatchPlatform?.();
    stopWatchers();
    o.signal?.removeEventListener('abort', onSignal);
    if (schedule) await schedule.revertAll().catch(() => {});
    // Stopped whatever happens next; a stop that fails (logs that cannot be saved on a full disk, a
    // Docker daemon gone) is said, and bounded: its record stays for `blackstart restore`/`down`.
    if (record.estate) {
      await withTimeout(record.estate.stop(), 120_000, 'no end within 120 s').catch((e: Error) => writeProblem(`could not stop the estate cleanly: ${e.message}`));
    }
    journal?.close();
    leaveOutDir();
    if (journal?.unwritten.length) {
      const u = journal.unwritten;
      writeProblem(
        `could not write ${u.length} line(s) to the journal ${journal.path} (${u[0].error}): ${u.map((l) => l.what).join(', ')}; ` +
          'it may show faults as still applied that were reverted: `blackstart restore` would revert them again, harmlessly',
      );
    }
  }

  const { measured, gates, deferred } = await phases.run('gates', () => {
    const measured = measureRun(record);
    const judged = judgeGates(record, measured);
    const deferred = o.deferStatGates ? judged.filter((g) => g.stat !== undefined) : undefined;
    return { measured, gates: deferred ? judged.filter((g) => g.stat === undefined) : judged, deferred };
  });
  const result = await phases.run('result', () => assembleResult(record, measured, gates, deferred));
  // Attached last, so that the result phase's own record is in it.
  result.phases = phases.list();
  return result;
}

/** For the status area: the controller's last event, polled once a second while the load runs. */
function watchControllerEvents(estate: Estate, t0: number): { last: () => string | undefined; stop: () => void } | undefined {
  if (!hasEndpoint(estate.endpoints.controller)) return undefined;
  const client = controllerClient(estate.endpoints.controller, 800);
  let last: string | undefined;
  const timer = setInterval(() => {
    client
      .events()
      .then((events) => {
        const e = events[events.length - 1];
        const at = (e ? e.t - performance.timeOrigin - t0 : 0) / 1000;
        if (e) last = `${e.type}${e.site ? ` ${e.site}` : ''} at ${at >= 0 ? '+' : ''}${at.toFixed(1)} s${e.detail ? `: ${e.detail}` : ''}`;
      })
      .catch(() => {});
  }, 1000);
  return { last: () => last, stop: () => clearInterval(timer) };
}
