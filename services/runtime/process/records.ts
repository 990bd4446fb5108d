import { readFileSync } from 'node:fs';
import type { ExternalEstateRecord, ProcessEstateRecord } from '../../../model/estate_record';
import type { FreezeUndo } from '../runtime';
import { isAlive } from '../shared';
import { COMPONENT_MARK, continueTree, killTree, processesWithEnv } from './tree';

/**
 * What another process does with a process estate from its record (`blackstart down/status/
 * restore`): its components are the pids the record names. An external estate's record is read
 * the same way: its one process is blackstart's proxy.
 */
type PidRecord = ProcessEstateRecord | ExternalEstateRecord;

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

/**
 * Kills every process the record names, each with its whole process tree (PostgreSQL under Patroni
 * calls setsid), and every process left that carries the estate's mark in its environment (children
 * re-parented when their parent died); frozen ones are killed as well. Returns what it killed.
 */
export function killProcesses(record: PidRecord): string[] {
  const killed: string[] = [];
  for (const [name, pid] of Object.entries(record.pids)) {
    if (!isAlive(pid)) continue;
    const tree = killTree(pid!);
    if (tree.length > 0) killed.push(`${name} (pid ${pid}${tree.length > 1 ? ` and ${tree.length - 1} more` : ''})`);
  }
  const marked = processesWithEnv(COMPONENT_MARK, (v) => v.startsWith(`${record.id}/`));
  if (marked.length > 0) {
    const more = killTree(undefined, marked);
    if (more.length > 0) killed.push(`${more.length} more process${more.length > 1 ? 'es' : ''} of the estate (pids ${more.join(', ')})`);
  }
  return killed;
}

/** Component name -> whether its process is alive. */
export function processesUp(record: PidRecord): Record<string, boolean> {
  return Object.fromEntries(Object.entries(record.pids).map(([n, p]) => [n, isAlive(p)]));
}

/** Its harness, asked to stop it, is done once none of its processes is left (marked ones included). */
export const processesGone = (record: PidRecord): boolean =>
  !Object.values(record.pids).some(isAlive) && processesWithEnv(COMPONENT_MARK, (v) => v.startsWith(`${record.id}/`)).length === 0;

/** SIGCONT the pid a frozen component had. */
export function thaw(step: Extract<FreezeUndo, { type: 'thaw' }>): { outcome: 'done' | 'already'; detail: string } {
  // Read before anything is continued: the top process carries the mark too, and would read as
  // not paused once the marked ones are.
  const state = processState(step.pid);
  // Its processes outside the tree (re-parented), by the component's mark: stopped by the freeze too.
  if (step.mark !== undefined) for (const p of processesWithEnv(COMPONENT_MARK, step.mark)) continueTree(p);
  if (state === undefined && !isAlive(step.pid)) return { outcome: 'already', detail: `${step.component} (pid ${step.pid}) is gone` };
  // SIGCONT does nothing to a process that is not stopped, so a reused pid comes to no harm.
  // The whole tree: a freeze stopped every process of the component.
  if (continueTree(step.pid).length === 0) return { outcome: 'already', detail: `${step.component} (pid ${step.pid}) is gone` };
  return state === undefined || state === 'T'
    ? { outcome: 'done', detail: `thawed ${step.component} (pid ${step.pid})` }
    : { outcome: 'already', detail: `${step.component} (pid ${step.pid}) was not paused` };
}
