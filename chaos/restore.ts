import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { findEstateRecords, isAlive, killEstate, readEstateRecord, removeUnrecorded, type EstateRecord } from '../services/runtime';
import { appendToJournal, errorText, findJournals, isReverted, readJournal, type EstateRef, type FaultState, type JournalFault } from './journal';
import type { RevertStep } from './faults/revert_step';
import { executeRevertStep, type StepResult } from './revert_steps';

/**
 * `blackstart restore`: undoes what a harness left applied, from its journals. For each journal
 * with unreverted faults (or whose harness died before ending it): run the faults' revert plans,
 * latest fault first; stop the estate it names if its harness is dead; write the outcome back to
 * the journal. A journal whose harness is still running (and has not ended it) is left to it
 * unless `force`.
 */
export interface RestoreOptions {
  /** Where `.blackstart/journals/` is looked for (default: the cwd). */
  root?: string;
  /** More journal files to look at (e.g. one a run kept beside its report). */
  journals?: string[];
  /** Also undo the faults of a journal whose harness is alive, and stop its estate. */
  force?: boolean;
  /** Stop the estates of dead harnesses, also as a power cut's revert step (default true). */
  stopEstates?: boolean;
}

export interface FaultRestore {
  id: string;
  kind: string;
  description: string;
  before: FaultState;
  /** Unchanged when a step was skipped (left to a live harness, or estates not being stopped). */
  after: FaultState;
  steps: StepResult[];
}

export interface EstateStop {
  id: string;
  outcome: 'stopped' | 'skipped' | 'failed';
  detail: string;
}

export interface JournalRestore {
  path: string;
  runId: string;
  harnessPid: number;
  harnessAlive: boolean;
  /** Why nothing was done with it. */
  skipped?: string;
  faults: FaultRestore[];
  estates: EstateStop[];
}

export interface RestoreReport {
  journals: JournalRestore[];
  /** Faults reverted now. */
  undone: number;
  /** Faults whose revert failed. */
  failed: number;
  /** Faults still applied (left to a live harness). */
  left: number;
  estatesStopped: number;
  /** Orphaned estates that could not be stopped. */
  estatesFailed: number;
  /** Nothing left applied and nothing failed. */
  ok: boolean;
}

export async function restoreAll(opts: RestoreOptions = {}): Promise<RestoreReport> {
  const paths = new Set([...findJournals(opts.root), ...(opts.journals ?? []).map((p) => resolve(p))]);
  const report: RestoreReport = { journals: [], undone: 0, failed: 0, left: 0, estatesStopped: 0, estatesFailed: 0, ok: true };
  for (const path of paths) {
    const restored = await restoreJournal(path, opts);
    if (!restored) continue;
    report.journals.push(restored);
    for (const f of restored.faults) {
      if (f.after === 'reverted') report.undone++;
      else if (f.after === 'revert-failed') report.failed++;
      else report.left++;
    }
    report.estatesStopped += restored.estates.filter((e) => e.outcome === 'stopped').length;
    report.estatesStopped += restored.faults.flatMap((f) => f.steps).filter((s) => s.step.type === 'stop-estate' && s.outcome === 'done').length;
    report.estatesFailed += restored.estates.filter((e) => e.outcome === 'failed').length;
  }
  report.ok = report.failed === 0 && report.left === 0 && report.estatesFailed === 0;
  return report;
}

/** undefined: nothing to do (every fault reverted and the run ended). */
async function restoreJournal(path: string, opts: RestoreOptions): Promise<JournalRestore | undefined> {
  let journal;
  try {
    journal = readJournal(path);
  } catch (e) {
    return { path, runId: '?', harnessPid: 0, harnessAlive: false, skipped: `unreadable: ${errorText(e)}`, faults: [], estates: [] };
  }
  const pending = journal.faults.filter((f) => !isReverted(f));
  const self = journal.pid === process.pid && journal.host === hostname();
  // A harness on another host cannot be checked: treat it as alive.
  const harnessAlive = self || journal.host !== hostname() || isAlive(journal.pid);
  // Everything reverted, and the run either ended or is still running (so owns its estate).
  if (pending.length === 0 && (journal.ended || harnessAlive)) return undefined;
  const restored: JournalRestore = { path, runId: journal.runId, harnessPid: journal.pid, harnessAlive, faults: [], estates: [] };
  // A running harness reverts its own faults; one that ended its journal has given up on them.
  if (harnessAlive && !self && !journal.ended && !opts.force) {
    restored.skipped = `its harness (pid ${journal.pid}${journal.host !== hostname() ? ` on ${journal.host}` : ''}) is running: it reverts its own faults (--force to undo them anyway)`;
    restored.faults = pending.map((f) => ({ id: f.id, kind: f.kind, description: f.description, before: f.state, after: f.state, steps: [] }));
    return restored;
  }

  // Latest fault first, as a rollback, in three rounds: thaw/unpause first (a paused proxy server
  // answers nothing), then the proxies, and stopping an estate last, so the other steps still find it.
  const order = [...pending].reverse();
  const results = new Map<JournalFault, StepResult[]>(order.map((f) => [f, []]));
  const round = (s: RevertStep) => (s.type === 'thaw' || s.type === 'unpause' ? 0 : s.type === 'stop-estate' ? 2 : 1);
  for (const r of [0, 1, 2]) {
    for (const f of order) {
      for (const step of f.revertPlan.filter((s) => round(s) === r)) {
        const result =
          step.type === 'stop-estate' && opts.stopEstates === false
            ? { step, outcome: 'skipped' as const, detail: `estate ${step.estateId} left running (not stopping estates)` }
            : await executeRevertStep(step, { force: opts.force, estateGone: !existsSync(f.estate.record) });
        results.get(f)!.push(result);
      }
    }
  }
  if (opts.stopEstates !== false) {
    restored.estates = await stopOrphanedEstates(journal.faults.map((f) => f.estate), opts.force ?? false);
    // The run's estates no fault named: killed while its estate started, or before its first fault.
    if (journal.estates !== undefined && (!harnessAlive || opts.force)) restored.estates.push(...(await stopEstatesUnder(journal.estates, restored.estates)));
  }
  // A proxy that did not answer while its estate ran has gone with it now that it is stopped.
  for (const f of order) {
    if (existsSync(f.estate.record)) continue;
    const steps = results.get(f)!;
    for (let i = 0; i < steps.length; i++) {
      if (steps[i].outcome === 'failed') steps[i] = await executeRevertStep(steps[i].step, { force: opts.force, estateGone: true });
    }
  }

  for (const f of order) {
    const steps = results.get(f)!;
    const failed = steps.filter((s) => s.outcome === 'failed');
    const after: FaultState = failed.length ? 'revert-failed' : steps.some((s) => s.outcome === 'skipped') ? f.state : 'reverted';
    if (after !== f.state || after === 'revert-failed') {
      appendToJournal(path, {
        type: 'state',
        id: f.id,
        state: after as Exclude<FaultState, 'applying'>,
        ...(failed.length ? { error: failed.map((s) => s.detail).join('; ') } : {}),
        pid: process.pid,
        at: new Date().toISOString(),
      });
    }
    restored.faults.push({ id: f.id, kind: f.kind, description: f.description, before: f.state, after, steps });
  }

  const clean = restored.faults.every((f) => f.after === 'reverted') && restored.estates.every((e) => e.outcome !== 'failed');
  // Finished for good only once its estate was dealt with too.
  if (!harnessAlive && clean && opts.stopEstates !== false) appendToJournal(path, { type: 'end', pid: process.pid, at: new Date().toISOString(), by: 'restore' });
  return restored;
}

/**
 * Estates under a run's state root that are not stopped yet (their records), and docker objects
 * labelled with that root that have no record (a harness killed before it wrote one).
 */
async function stopEstatesUnder(stateRoot: string, done: EstateStop[]): Promise<EstateStop[]> {
  const stops: EstateStop[] = [];
  let records: EstateRecord[] = [];
  try {
    records = findEstateRecords(stateRoot);
  } catch (e) {
    stops.push({ id: stateRoot, outcome: 'failed', detail: `its estate records cannot be read: ${errorText(e)}` });
  }
  for (const record of records) {
    if (done.some((d) => d.id === record.id)) continue;
    try {
      const killed = await killEstate(record);
      stops.push({ id: record.id, outcome: 'stopped', detail: killed.length ? `killed ${killed.join(', ')}` : 'no process was left' });
    } catch (e) {
      stops.push({ id: record.id, outcome: 'failed', detail: errorText(e) });
    }
  }
  try {
    const swept = await removeUnrecorded({ root: stateRoot });
    if (swept) stops.push({ id: stateRoot, outcome: 'stopped', detail: swept });
  } catch (e) {
    stops.push({ id: stateRoot, outcome: 'failed', detail: `docker objects labelled with it: ${errorText(e)}` });
  }
  return stops;
}

/** Stops each estate the journal names whose record is still there and whose harness is gone. */
async function stopOrphanedEstates(refs: EstateRef[], force: boolean): Promise<EstateStop[]> {
  const seen = new Map<string, EstateRef>();
  for (const r of refs) seen.set(r.record, r);
  const stops: EstateStop[] = [];
  for (const ref of seen.values()) {
    if (!existsSync(ref.record)) continue;
    try {
      // A record of no runtime blackstart can stop from it fails, naming the file and the field.
      const record = readEstateRecord(ref.record);
      if (record.harnessPid === process.pid || (isAlive(record.harnessPid) && !force)) {
        stops.push({ id: ref.id, outcome: 'skipped', detail: `its harness (pid ${record.harnessPid}) is alive` });
      } else {
        const killed = await killEstate(record);
        stops.push({ id: ref.id, outcome: 'stopped', detail: killed.length ? `killed ${killed.join(', ')}` : 'no process was left' });
      }
    } catch (e) {
      stops.push({ id: ref.id, outcome: 'failed', detail: errorText(e) });
    }
  }
  return stops;
}
