import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { estateRecordFile } from '../model/estate_record';
import { faultTargetSchema, type FaultTarget } from '../model/faults';
import type { Fault, FaultContext } from './faults/fault';
import { revertStepSchema } from './faults/revert_step';

/**
 * The rollback journal: one JSONL file per run, appended and fsync'd line by line, so that what a
 * killed harness had applied can be found and undone by another process (`blackstart restore`).
 * A fault is written (state `applying`, with its revert plan) before it is applied; its state
 * lines follow. Journals live in `<root>/.blackstart/journals/`; a run may keep its journal
 * elsewhere (e.g. beside its report), and then a `<run-id>.link` there points at it.
 */

export const JOURNAL_DIR = join('.blackstart', 'journals');

export const FAULT_STATES = ['applying', 'applied', 'apply-failed', 'reverted', 'revert-failed'] as const;
/** `apply-failed`: apply threw, possibly midway; the revert is still owed. */
export type FaultState = (typeof FAULT_STATES)[number];

const estateRef = z.object({
  id: z.string(),
  runtime: z.string(),
  dataDir: z.string(),
  /** The estate's record (pids, harness pid, endpoints), as `blackstart down` reads it. */
  record: z.string(),
});
export type EstateRef = z.infer<typeof estateRef>;

export const journalLine = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('journal'),
    version: z.literal(1),
    runId: z.string(),
    pid: z.number(),
    host: z.string(),
    cwd: z.string(),
    at: z.string(),
    /**
     * Where the run's estates keep their state (their records), written before any is started:
     * a harness killed while its estate started, or before any fault, leaves that estate to
     * `blackstart restore` to stop as well.
     */
    estates: z.string().optional(),
  }),
  z.object({
    type: z.literal('fault'),
    id: z.string(),
    kind: z.string(),
    description: z.string(),
    /** As acted on: a role the drill named (`site: active`) is replaced by what it resolved to. */
    spec: z.unknown(),
    /** A fault aimed at a role: the role, and the concrete site, component or link it struck. */
    target: faultTargetSchema.optional(),
    revertPlan: z.array(revertStepSchema),
    estate: estateRef,
    at: z.string(),
  }),
  z.object({ type: z.literal('state'), id: z.string(), state: z.enum(FAULT_STATES), error: z.string().optional(), pid: z.number(), at: z.string() }),
  /** The run is over (its harness ended, or a restore finished it): nothing more will be written. */
  z.object({ type: z.literal('end'), pid: z.number(), at: z.string(), by: z.enum(['harness', 'restore']) }),
]);
export type JournalLine = z.infer<typeof journalLine>;

export interface JournalFault {
  id: string;
  kind: string;
  description: string;
  spec: unknown;
  target?: FaultTarget;
  revertPlan: z.infer<typeof revertStepSchema>[];
  estate: EstateRef;
  state: FaultState;
  /** The last error (apply or revert) recorded for it. */
  error?: string;
  history: { state: FaultState; at: string; pid: number; error?: string }[];
}

export interface JournalContents {
  path: string;
  runId: string;
  /** The process that wrote it (the harness). */
  pid: number;
  host: string;
  startedAt: string;
  faults: JournalFault[];
  ended: boolean;
  /** Lines that could not be read (e.g. a line cut short by a crash mid-write). */
  unreadable: number;
  /** The state root of the run's estates, when the harness said (see the `journal` line). */
  estates?: string;
}

export const isReverted = (f: JournalFault) => f.state === 'reverted';

export class Journal {
  private fd: number | undefined;
  /**
   * State and end lines that could not be written (a full disk, an I/O error): the run goes on,
   * and says so. Such a journal shows a reverted fault as still applied, so `blackstart restore`
   * would revert it once more: harmless, reverts are idempotent.
   */
  readonly unwritten: { what: string; error: string }[] = [];

  private constructor(
    readonly path: string,
    readonly runId: string,
  ) {}

  /**
   * Creates the run's journal: `path` if given (a `.link` in the known place points at it),
   * else `<root>/.blackstart/journals/<runId>.jsonl`. `root` defaults to the cwd.
   */
  static open(opts: { runId: string; root?: string; path?: string; estates?: string }): Journal {
    if (!/^[A-Za-z0-9_.-]+$/.test(opts.runId)) throw new Error(`run id "${opts.runId}": use letters, digits, '.', '_' or '-'`);
    const known = resolve(opts.root ?? process.cwd(), JOURNAL_DIR);
    const path = resolve(opts.path ?? join(known, `${opts.runId}.jsonl`));
    if (existsSync(path)) throw new Error(`journal ${path} exists already: run ids must be unique`);
    mkdirSync(dirname(path), { recursive: true });
    if (dirname(path) !== known) {
      mkdirSync(known, { recursive: true });
      durableWrite(join(known, `${opts.runId}.link`), JSON.stringify({ path }) + '\n');
    }
    const journal = new Journal(path, opts.runId);
    try {
      // Exclusive: of two runs opening one journal at once, the second fails instead of sharing it.
      journal.fd = openSync(path, 'ax');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`journal ${path} exists already: run ids must be unique`);
      throw e;
    }
    fsyncDir(dirname(path));
    journal.append({
      type: 'journal',
      version: 1,
      runId: opts.runId,
      pid: process.pid,
      host: hostname(),
      cwd: process.cwd(),
      at: now(),
      ...(opts.estates !== undefined ? { estates: resolve(opts.estates) } : {}),
    });
    return journal;
  }

  /** Writes the fault and its revert plan, state `applying`. Call BEFORE apply. */
  record(fault: Fault, ctx: FaultContext): void {
    const { estate } = ctx;
    // Resolved (chaos/apply.ts resolves before it records): the concrete target, not the role.
    const resolved = fault.resolved?.() ?? null;
    // Not on disk, not applied: a fault another process could not undo is never applied.
    this.appendOr((e) => new Error(`could not write it to the journal ${this.path} before applying it (${errorText(e)}): not applied`), {
      type: 'fault',
      id: fault.id,
      kind: fault.spec.kind,
      description: fault.describe(),
      spec: (resolved?.spec ?? fault.spec).spec,
      ...(resolved ? { target: resolved.target } : {}),
      revertPlan: fault.revertPlan(ctx),
      estate: { id: estate.id, runtime: estate.runtime, dataDir: estate.dataDir, record: estateRecordFile(estate.dataDir) },
      at: now(),
    });
  }

  /** A fault's new state; a line that cannot be written is kept in `unwritten`, never thrown. */
  mark(faultId: string, state: Exclude<FaultState, 'applying'>, error?: unknown): void {
    this.appendOr(null, { type: 'state', id: faultId, state, ...(error !== undefined ? { error: errorText(error) } : {}), pid: process.pid, at: now() });
  }

  /** The run is over: restore need not look at this journal again unless a fault is unreverted. */
  close(): void {
    if (this.fd === undefined) return;
    this.appendOr(null, { type: 'end', pid: process.pid, at: now(), by: 'harness' });
    try {
      closeSync(this.fd);
    } catch {
      // nothing more to write to it
    }
    this.fd = undefined;
  }

  /** Appends; on a write error throws what `fail` makes of it, or (null) keeps it in `unwritten`. */
  private appendOr(fail: ((e: unknown) => Error) | null, line: JournalLine): void {
    try {
      this.append(line);
    } catch (e) {
      if (fail) throw fail(e);
      this.unwritten.push({ what: line.type === 'state' ? `${line.id} ${line.state}` : line.type, error: errorText(e) });
    }
  }

  private append(line: JournalLine): void {
    if (this.fd === undefined) throw new Error(`journal ${this.path} is closed`);
    appendDurably(this.fd, line);
  }
}

/** Appends one line to a journal another process wrote (restore marking what it undid). */
export function appendToJournal(path: string, line: JournalLine): void {
  const fd = openSync(path, 'a');
  try {
    appendDurably(fd, line);
  } finally {
    closeSync(fd);
  }
}

export function readJournal(path: string): JournalContents {
  const contents: JournalContents = { path, runId: '', pid: 0, host: '', startedAt: '', faults: [], ended: false, unreadable: 0 };
  const byId = new Map<string, JournalFault>();
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    let parsed;
    try {
      parsed = journalLine.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      contents.unreadable++;
      continue;
    }
    const line = parsed.data;
    switch (line.type) {
      case 'journal':
        Object.assign(contents, { runId: line.runId, pid: line.pid, host: line.host, startedAt: line.at, ...(line.estates !== undefined ? { estates: line.estates } : {}) });
        break;
      case 'fault': {
        // Recorded again (applied a second time): the newer plan is the one to undo.
        const previous = byId.get(line.id);
        if (previous) contents.faults.splice(contents.faults.indexOf(previous), 1);
        const fault: JournalFault = { ...line, state: 'applying', history: [{ state: 'applying', at: line.at, pid: contents.pid }] };
        byId.set(line.id, fault);
        contents.faults.push(fault);
        break;
      }
      case 'state': {
        const fault = byId.get(line.id);
        if (!fault) {
          contents.unreadable++;
          break;
        }
        fault.state = line.state;
        if (line.error !== undefined) fault.error = line.error;
        fault.history.push({ state: line.state, at: line.at, pid: line.pid, ...(line.error !== undefined ? { error: line.error } : {}) });
        break;
      }
      case 'end':
        contents.ended = true;
        break;
    }
  }
  return contents;
}

/** Every journal under `<root>/.blackstart/journals/`, following `.link` files. */
export function findJournals(root: string = process.cwd()): string[] {
  const dir = resolve(root, JOURNAL_DIR);
  if (!existsSync(dir)) return [];
  const paths = new Set<string>();
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name);
    if (name.endsWith('.jsonl')) paths.add(file);
    else if (name.endsWith('.link')) {
      try {
        const target = (JSON.parse(readFileSync(file, 'utf8')) as { path?: unknown }).path;
        if (typeof target === 'string' && existsSync(target)) paths.add(resolve(target));
      } catch {
        // a half-written link: its journal was never written either
      }
    }
  }
  return [...paths];
}

function appendDurably(fd: number, line: JournalLine): void {
  const buffer = Buffer.from(JSON.stringify(line) + '\n');
  const before = fstatSync(fd).size;
  let written = 0;
  try {
    while (written < buffer.length) written += writeSync(fd, buffer, written);
    fsyncSync(fd);
  } catch (e) {
    // A line cut short (the disk filled mid-write) would run into the next one: cut it off.
    try {
      ftruncateSync(fd, before);
    } catch {
      // nothing more can be done; readJournal skips an unreadable line
    }
    throw e;
  }
}

function durableWrite(path: string, text: string): void {
  writeFileSync(path, text);
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDir(dirname(path));
}

/** A new file survives a crash only once its directory entry is on disk too. */
function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported on every platform/filesystem; the file's own fsync still holds its lines
  }
}

const now = () => new Date().toISOString();

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
