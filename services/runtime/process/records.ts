import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { removeLeftoversSync, type DockerEstateRecord } from '../docker/cleanup';
import type { EstateRecord } from './runtime';

/** A record of either runtime (`runtime` tells them apart). */
export type AnyEstateRecord = EstateRecord | DockerEstateRecord;

/** Estates started from this directory whose record is still on disk (running, or left by a killed harness). */
export function findEstateRecords(stateRoot = '.blackstart/estates'): AnyEstateRecord[] {
  const root = resolve(stateRoot);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((d) => join(root, d, 'estate.json'))
    .filter((f) => existsSync(f))
    .map((f) => JSON.parse(readFileSync(f, 'utf8')) as AnyEstateRecord);
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills every process an estate record names (thawing frozen ones first) and removes the record.
 * A docker estate's record: removes its containers, volumes and network (by label, through the
 * docker CLI); the record stays when that fails, so `blackstart down` can try again.
 */
export function killEstate(record: AnyEstateRecord): string[] {
  if (record.runtime === 'docker') {
    const { removed, error } = removeLeftoversSync(record.id);
    if (error) throw new Error(`estate ${record.id}: could not remove its containers: ${error}`);
    rmSync(join(record.dataDir, 'estate.json'), { force: true });
    return removed;
  }
  const killed: string[] = [];
  for (const [name, pid] of Object.entries(record.pids)) {
    if (!isAlive(pid)) continue;
    try {
      process.kill(pid!, 'SIGCONT');
      process.kill(pid!, 'SIGKILL');
      killed.push(`${name} (pid ${pid})`);
    } catch {
      // already gone
    }
  }
  rmSync(join(record.dataDir, 'estate.json'), { force: true });
  return killed;
}
