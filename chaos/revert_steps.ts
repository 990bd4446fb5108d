import { existsSync, readFileSync } from 'node:fs';
import { Toxiproxy } from 'toxiproxy-node-client';
import { isAlive, killEstate, type AnyEstateRecord } from '../services/runtime/process/records';
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
        return thaw(step, result);
      case 'unpause':
        return await unpause(step, result);
      case 'stop-estate':
        return stopEstate(step, opts, result);
    }
  } catch (e) {
    const unreachable = (step.type === 'remove-toxic' || step.type === 'enable-proxy') && httpStatusOf(e) === undefined;
    if (unreachable && opts.estateGone) return result('already', `${describeStep(step)}: the proxy server stopped with its estate`);
    return result('failed', `${describeStep(step)}: ${(e as Error).message}`);
  }
}

function thaw(step: Extract<RevertStep, { type: 'thaw' }>, result: (o: StepResult['outcome'], d: string) => StepResult): StepResult {
  const state = processState(step.pid);
  if (state === undefined && !isAlive(step.pid)) return result('already', `${step.component} (pid ${step.pid}) is gone`);
  // SIGCONT does nothing to a process that is not stopped, so a reused pid comes to no harm.
  try {
    process.kill(step.pid, 'SIGCONT');
  } catch {
    return result('already', `${step.component} (pid ${step.pid}) is gone`);
  }
  return state === undefined || state === 'T' ? result('done', `thawed ${step.component} (pid ${step.pid})`) : result('already', `${step.component} (pid ${step.pid}) was not paused`);
}

async function unpause(step: Extract<RevertStep, { type: 'unpause' }>, result: (o: StepResult['outcome'], d: string) => StepResult): Promise<StepResult> {
  // Loaded here: testcontainers is heavy, and only a docker estate's journal needs it.
  const { dockerClient } = await import('../services/runtime/docker/images');
  const container = (await dockerClient()).getContainer(step.container);
  let paused: boolean;
  try {
    paused = (await container.inspect()).State.Paused;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return result('already', `${step.component} (container ${step.container.slice(0, 12)}) is gone`);
    throw e;
  }
  if (!paused) return result('already', `${step.component} was not paused`);
  await container.unpause();
  return result('done', `unpaused ${step.component}`);
}

function stopEstate(
  step: Extract<RevertStep, { type: 'stop-estate' }>,
  opts: StepOptions,
  result: (o: StepResult['outcome'], d: string) => StepResult,
): StepResult {
  if (!existsSync(step.record)) return result('already', `estate ${step.estateId} is stopped`);
  const record = JSON.parse(readFileSync(step.record, 'utf8')) as AnyEstateRecord;
  if (!STOPPABLE.has(record.runtime)) return result('failed', `estate ${step.estateId}: cannot stop a ${String(record.runtime)} estate from its record`);
  if (record.harnessPid === process.pid) return result('skipped', `estate ${step.estateId} belongs to this process`);
  if (isAlive(record.harnessPid) && !opts.force) return result('skipped', `estate ${step.estateId}: its harness (pid ${record.harnessPid}) is alive`);
  const killed = killEstate(record);
  return result('done', `stopped estate ${step.estateId}${killed.length ? ` (killed ${killed.join(', ')})` : ''}`);
}

/** Runtimes whose estates blackstart started itself and can stop from their record (`blackstart down`). */
export const STOPPABLE = new Set<string>(['process', 'docker']);

/** The scheduler state of a process (R, S, T stopped, Z zombie...); undefined where /proc has none. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}
