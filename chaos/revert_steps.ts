import { existsSync } from 'node:fs';
import { Toxiproxy } from 'toxiproxy-node-client';
import { isAlive, killEstate, readEstateRecord, runHookStep, undoFreeze } from '../services/runtime';
import { describeStep, type RevertStep } from './faults/revert_step';
import { httpStatusOf, removeToxic, setEnabled } from './faults/proxy_ops';

/**
 * Carries out one journaled revert step from any process: what `blackstart restore` does with a
 * killed harness's journal. Every step tolerates "already undone".
 */
export interface StepResult {
  step: RevertStep;
  /**
   * done: undone now; already: nothing was left to undo; skipped: deliberately not done (the
   * estate's harness is alive and owns it); failed: could not be undone.
   */
  outcome: 'done' | 'already' | 'skipped' | 'failed';
  detail: string;
}

export interface StepOptions {
  /** Stop an estate even when its harness is alive (never this process's own). */
  force?: boolean;
  /** The estate the step belongs to is stopped: its embedded proxy server went with it. */
  estateGone?: boolean;
}

export async function executeRevertStep(step: RevertStep, opts: StepOptions = {}): Promise<StepResult> {
  const result = (outcome: StepResult['outcome'], detail: string): StepResult => ({ step, outcome, detail });
  try {
    switch (step.type) {
      case 'remove-toxic': {
        const removed = await removeToxic(new Toxiproxy(step.proxyApi), step.proxy, step.toxic);
        return result(removed ? 'done' : 'already', removed ? `removed toxic ${step.toxic} from ${step.proxy}` : `no toxic ${step.toxic} on ${step.proxy}`);
      }
      case 'enable-proxy': {
        const changed = await setEnabled(new Toxiproxy(step.proxyApi), step.proxy, true);
        return result(changed ? 'done' : 'already', changed ? `enabled proxy ${step.proxy}` : `proxy ${step.proxy} was enabled`);
      }
      case 'thaw':
      case 'unpause': {
        const { outcome, detail } = await undoFreeze(step);
        return result(outcome, detail);
      }
      case 'stop-estate':
        return await stopEstate(step, opts, result);
      case 'hook':
        // Idempotent by contract: run whether or not the fault is still in place.
        return result('done', await runHookStep(step));
    }
  } catch (e) {
    const unreachable = (step.type === 'remove-toxic' || step.type === 'enable-proxy') && httpStatusOf(e) === undefined;
    if (unreachable && opts.estateGone) return result('already', `${describeStep(step)}: the proxy server stopped with its estate`);
    return result('failed', `${describeStep(step)}: ${(e as Error).message}`);
  }
}

async function stopEstate(
  step: Extract<RevertStep, { type: 'stop-estate' }>,
  opts: StepOptions,
  result: (o: StepResult['outcome'], d: string) => StepResult,
): Promise<StepResult> {
  if (!existsSync(step.record)) return result('already', `estate ${step.estateId} is stopped`);
  // A record of no runtime blackstart can stop from it is an error naming the file and the field.
  const record = readEstateRecord(step.record);
  if (record.harnessPid === process.pid) return result('skipped', `estate ${step.estateId} belongs to this process`);
  if (isAlive(record.harnessPid) && !opts.force) return result('skipped', `estate ${step.estateId}: its harness (pid ${record.harnessPid}) is alive`);
  const killed = await killEstate(record);
  return result('done', `stopped estate ${step.estateId}${killed.length ? ` (killed ${killed.join(', ')})` : ''}`);
}
