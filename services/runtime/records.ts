import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { estateRecordFile, parseEstateRecord, type EstateRecord, type FreezeUndo } from '../../model/estate_record';
import type { Leftovers, Scope } from './docker/cleanup';
import { killProcesses, processesGone, processesUp, thaw } from './process/records';
import { dockerConfigured, isAlive } from './shared';

/**
 * What another process does with an estate after the fact, whichever runtime started it: find its
 * record, tell what runs, stop it, undo a freeze (`blackstart down/status/restore`). The docker
 * runtime's part is loaded only for a docker estate's record: process-only users never load it.
 */

export { isAlive };
export type { Leftovers, Scope };

/** The estate record in `file`; an EstateRecordError naming the file and the field when it is not one. */
export function readEstateRecord(file: string): EstateRecord {
  return parseEstateRecord(readFileSync(file, 'utf8'), file);
}

/** Estates started from this directory whose record is still on disk (running, or left by a killed harness). */
export function findEstateRecords(stateRoot = '.blackstart/estates'): EstateRecord[] {
  const root = resolve(stateRoot);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((d) => estateRecordFile(join(root, d)))
    .filter((f) => existsSync(f))
    .map(readEstateRecord);
}

/**
 * Kills every component an estate record names (thawing frozen ones first) and removes the
 * record. A docker estate's record: removes its containers, volumes and network (by label, through
 * the docker CLI); the record stays when that fails, so `blackstart down` can try again.
 */
export async function killEstate(record: EstateRecord): Promise<string[]> {
  const killed = record.runtime === 'docker' ? (await import('./docker/records')).killContainers(record) : killProcesses(record);
  rmSync(estateRecordFile(record.dataDir), { force: true });
  return killed;
}

/** Component name -> whether it runs now. */
export async function componentsUp(record: EstateRecord): Promise<Record<string, boolean>> {
  return record.runtime === 'docker' ? (await import('./docker/records')).containersUp(record) : processesUp(record);
}

/**
 * `blackstart down` of one estate: a live harness (not this process) is asked to stop it in
 * order (SIGTERM) and given a while; then whatever is left is removed, and the record with it.
 * `summary` says what was done ("stopped (killed ...)"), or why not (`stopped` false).
 */
export async function takeDown(record: EstateRecord): Promise<{ stopped: boolean; summary: string }> {
  const docker = record.runtime === 'docker' ? await import('./docker/records') : undefined;
  if (record.harnessPid !== process.pid && isAlive(record.harnessPid)) {
    process.kill(record.harnessPid, 'SIGTERM');
    if (record.runtime === 'docker') await waitFor(() => docker!.containersGone(record), 20_000);
    else await waitFor(() => processesGone(record), 5000);
  }
  if (record.runtime === 'docker') return docker!.takeDownContainers(record);
  const killed = await killEstate(record);
  return { stopped: true, summary: `stopped${killed.length ? ` (killed ${killed.join(', ')})` : ''}` };
}

/**
 * What is left of estates without a record (a harness killed mid-start): docker objects labelled
 * with a state root (or any blackstart label, `all`), removed. A line saying what was removed, if
 * anything was; nothing where no Docker daemon is configured.
 */
export async function removeUnrecorded(scope: { root: string } | { all: true }): Promise<string | undefined> {
  if (!dockerConfigured()) return undefined;
  return (await import('./docker/records')).sweepLeftovers(scope);
}

/** Every docker object labelled in scope (an estate, a state root, or every blackstart estate). */
export async function findLeftovers(scope: Scope): Promise<Leftovers> {
  return (await import('./docker/cleanup')).findLeftovers(scope);
}

/** Removes every docker object labelled in scope; returns what it removed. */
export async function removeLeftovers(scope: Scope): Promise<Leftovers> {
  return (await import('./docker/cleanup')).removeLeftovers(scope);
}

/** Undoes a freeze from its journaled step: thaw the pid, or unpause the container. Idempotent. */
export async function undoFreeze(step: FreezeUndo): Promise<{ outcome: 'done' | 'already'; detail: string }> {
  return step.type === 'thaw' ? thaw(step) : (await import('./docker/records')).unpause(step);
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
