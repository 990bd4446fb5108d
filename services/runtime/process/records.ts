import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EstateRecord } from './runtime';

/** Estates started from this directory whose record is still on disk (running, or left by a killed harness). */
export function findEstateRecords(stateRoot = '.blackstart/estates'): EstateRecord[] {
  const root = resolve(stateRoot);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((d) => join(root, d, 'estate.json'))
    .filter((f) => existsSync(f))
    .map((f) => JSON.parse(readFileSync(f, 'utf8')) as EstateRecord);
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

/** Kills every process an estate record names (thawing frozen ones first) and removes the record. */
export function killEstate(record: EstateRecord): string[] {
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
