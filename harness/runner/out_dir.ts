import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * One output directory, one drill. A run's journal, progress, reports and estate state all live in
 * its `--out`; two drills writing into one (started together with the same --out, or by a script
 * in the same millisecond) would mix their journals and overwrite each other's reports. A drill
 * therefore claims its directory before it starts anything, by creating a claim file there
 * exclusively (O_EXCL: of two at once, one wins); a directory that is claimed, or holds another
 * run's journal or result, is refused with a message saying whose it is.
 */

export const CLAIM_FILE = '.blackstart-run.json';

/** The output directory belongs to another run: nothing was started and nothing written. */
export class OutDirTaken extends Error {}

interface Claim {
  pid: number;
  host: string;
  drill: string;
  at: string;
}

/** Directories a drill of this process is running in now (two runDrill calls of one program). */
const running = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims `outDir` for a drill of this process (creating the directory); throws OutDirTaken when
 * another run has it. A claim this process made already is kept (the CLI claims the directory,
 * then the runner does).
 */
export function claimOutDir(outDir: string, drill: string): void {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, CLAIM_FILE);
  const mine: Claim = { pid: process.pid, host: hostname(), drill, at: new Date().toISOString() };
  if (!existsSync(file)) {
    // A directory from before claims existed (or written by hand) that holds another run.
    for (const f of ['journal.jsonl', 'result.json']) {
      if (existsSync(join(dir, f))) throw new OutDirTaken(`${dir} holds another run's ${f}: give each drill its own --out`);
    }
  }
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    let owner: Partial<Claim> = {};
    try {
      owner = JSON.parse(readFileSync(file, 'utf8')) as Claim;
    } catch {
      // Being written this instant by the run that won: it is someone else's.
    }
    if (owner.pid === process.pid && owner.host === mine.host) return;
    const state = owner.host === mine.host && owner.pid !== undefined ? (alive(owner.pid) ? 'still running' : 'ended or killed') : `on ${owner.host ?? 'another host'}`;
    throw new OutDirTaken(
      `${dir} is the output directory of another drill (${owner.drill ?? 'unknown'}, pid ${owner.pid ?? '?'}, started ${owner.at ?? '?'}, ${state}): give each drill its own --out`,
    );
  }
  try {
    writeSync(fd, JSON.stringify(mine) + '\n');
  } finally {
    closeSync(fd);
  }
}

/** Marks `outDir` as in use by a runDrill of this process until `release` is called. */
export function enterOutDir(outDir: string, drill: string): () => void {
  const dir = resolve(outDir);
  if (running.has(dir)) throw new OutDirTaken(`${dir} is the output directory of another drill running in this process: give each drill its own --out`);
  claimOutDir(dir, drill);
  running.add(dir);
  return () => running.delete(dir);
}
