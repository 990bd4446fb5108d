import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { signal } from '../../../lib/signal';
import type { FreezeUndo } from '../../../model/estate_record';
import type { ComponentSpec } from '../../estate/components';
import { waitUntilHealthy, type Health } from '../shared';
import type { Site } from '../../estate/topology';
import type { ComponentHandle } from '../runtime';
import { COMPONENT_MARK, continueTree, killTree, processesWithEnv, processTree, stopTree } from './tree';

export interface StartOptions {
  /** Where estates keep state when no data_dir is configured (default: .blackstart/estates). */
  stateRoot?: string;
  /** Called with progress lines. */
  log?: (line: string) => void;
  readyTimeoutMs?: number;
}

/** The compiled component entry, or the TypeScript one through ts-node in a source checkout. */
function entryCommand(): { execArgv: string[]; entry: string } {
  const root = resolve(__dirname, '..', '..', '..');
  const compiled = __filename.endsWith('.js');
  if (compiled) return { execArgv: [], entry: join(__dirname, '..', '..', 'main.js') };
  const dist = join(root, 'dist', 'services', 'main.js');
  if (existsSync(dist)) return { execArgv: [], entry: dist };
  return { execArgv: ['-r', 'ts-node/register/transpile-only'], entry: join(root, 'services', 'main.ts') };
}

/** How one process is started and known to be up: a command, and a health check. */
export interface ProcessLaunch {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user and group (an unprivileged user for software that refuses root). */
  uid?: number;
  gid?: number;
  /** An HTTP URL that answers 2xx when it is up, or a TCP port that accepts connections. */
  health: Health;
  /** Before every start: e.g. write its configuration files. */
  prepare?: () => void;
  /** How it is asked to stop, and how long it has before SIGKILL. */
  stopSignal?: NodeJS.Signals;
  graceMs?: number;
}

/** A blackstart component (services/main.ts `<kind> <options-json>`) as a process launch. */
export function builtinLaunch(spec: ComponentSpec): ProcessLaunch {
  const { execArgv, entry } = entryCommand();
  return { command: process.execPath, args: [...execArgv, entry, spec.kind, JSON.stringify(spec.options)], health: { url: spec.healthUrl } };
}

/**
 * One process of an estate and every process it starts: started from its launch, killed (power),
 * stopped and continued (freeze), and stopped by its stop signal with a grace period. Kill, freeze
 * and thaw act on the whole process tree (services/runtime/process/tree.ts): PostgreSQL under
 * Patroni calls setsid, so one pid or one process group would miss the postmaster and backends.
 */
export class ProcessComponent implements ComponentHandle {
  private child: ChildProcess | undefined;
  frozen = false;
  private exitWaiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly site: Site | undefined,
    private readonly launch: () => ProcessLaunch,
    private readonly logFile: string,
    private readonly onPid: () => void,
  ) {}

  get id() {
    return this.child?.pid !== undefined && this.running ? String(this.child.pid) : undefined;
  }
  get running() {
    return this.child !== undefined && !this.poweredOff && this.alive;
  }

  private get alive() {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private poweredOff = false;

  async start(readyTimeoutMs = 30_000): Promise<void> {
    if (this.running) return;
    // A killed process releases its ports only once it has exited.
    if (this.alive) await new Promise<void>((r) => this.exitWaiters.push(r));
    this.poweredOff = false;
    const launch = this.launch();
    launch.prepare?.();
    const log = openSync(this.logFile, 'a');
    const child = spawn(launch.command, launch.args, { stdio: ['ignore', log, log], env: launch.env, cwd: launch.cwd, uid: launch.uid, gid: launch.gid });
    this.mark = launch.env?.[COMPONENT_MARK];
    this.stopSignal = launch.stopSignal ?? 'SIGTERM';
    this.graceMs = launch.graceMs;
    closeSync(log);
    this.child = child;
    this.frozen = false;
    child.once('exit', () => {
      for (const w of this.exitWaiters.splice(0)) w();
      this.onPid();
    });
    this.onPid();
    await waitUntilHealthy(launch.health, readyTimeoutMs, () => this.running, () => 'exited during start-up').catch((e: Error) => {
      throw new Error(`${this.name} ${e.message}:\n${this.logTail()}`);
    });
  }

  /** `<estate>/<component>` in the environment of every process it started, when its launch set one. */
  private mark: string | undefined;

  /** Processes of this component that are no longer under its top process (a parent died): found by their mark. */
  private strays(): number[] {
    return this.mark === undefined ? [] : processesWithEnv(COMPONENT_MARK, this.mark);
  }

  /** SIGKILL to every process of the component at once (collected, and stopped, before any dies). */
  kill(): void {
    if (this.child && this.running) {
      killTree(this.child.pid, this.strays());
      this.poweredOff = true;
    }
    this.frozen = false;
  }

  /** SIGKILL to its processes named `name` (/proc/<pid>/comm), strays included; the rest go on. */
  killProcess(name: string): number[] {
    if (!this.running) throw new Error(`${this.name} is not running`);
    const all = [...new Set([...processTree(this.child!.pid!), ...this.strays()])];
    const named = all.filter((p) => commOf(p) === name);
    if (named.length === 0) throw new Error(`${this.name} has no process named ${name} (its processes: ${[...new Set(all.map(commOf))].join(', ')})`);
    for (const p of named) signal(p, 'SIGKILL');
    return named;
  }

  /** Its top process was among the killed (Patroni exec'd by its start script): start it again; else nothing to do. */
  async reviveProcess(): Promise<void> {
    if (!this.running) await this.start();
  }

  /** Every process of it stopped, its strays too: Patroni's postmaster is re-parented to init, and a frozen node must not keep serving. */
  freeze(): void {
    if (!this.running) throw new Error(`${this.name} is not running`);
    stopTree(this.child!.pid, this.strays());
    this.frozen = true;
  }

  thaw(): void {
    if (this.child && this.running && this.child.pid !== undefined) continueTree(this.child.pid);
    for (const p of this.strays()) continueTree(p);
    this.frozen = false;
  }

  freezeUndo(): FreezeUndo[] {
    const pid = Number(this.id);
    // Not running now: a freeze will refuse, and there is nothing another process could thaw.
    return Number.isInteger(pid) && pid > 0 ? [{ type: 'thaw', pid, component: this.name, ...(this.mark ? { mark: this.mark } : {}) }] : [];
  }

  private stopSignal: NodeJS.Signals = 'SIGTERM';
  private graceMs: number | undefined;

  /**
   * Its stop signal to the top process (SIGTERM unless its launch says otherwise), which stops its
   * own children; whatever of its tree is left when the grace is over (or the top has exited and
   * left processes behind) is killed.
   */
  async terminate(graceMs = this.graceMs ?? 3000): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    // Also a component already powered off: what it left (re-parented) is found by its mark.
    const tree = this.alive ? processTree(child.pid) : [];
    const strays = this.strays();
    if (tree.length === 0 && strays.length === 0 && !this.alive) return;
    if (this.frozen) this.thaw();
    const deadline = performance.now() + graceMs;
    if (this.alive) {
      const exited = new Promise<void>((r) => this.exitWaiters.push(r));
      child.kill(this.stopSignal);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    const left = () => [...new Set([...tree, ...strays, ...this.strays()])].filter((p) => processAlive(p));
    while (left().length > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const rest = left();
    if (rest.length > 0 || this.alive) {
      const exited = this.alive ? new Promise<void>((r) => this.exitWaiters.push(r)) : Promise.resolve();
      killTree(this.alive ? child.pid : undefined, rest);
      await exited;
    }
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/** The kernel's name of a process (/proc/<pid>/comm), '' when it is gone. */
function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Alive and not a zombie (a killed child not yet reaped by its parent is gone for our purposes). */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * A blackstart component started from its spec (services/main.ts): the estate's proxy server. The
 * regional estate's other components are an estate file's (estates/regional.yaml, planned.ts).
 */
export class BuiltinProcessComponent extends ProcessComponent {
  constructor(
    readonly spec: ComponentSpec,
    logFile: string,
    onPid: () => void,
  ) {
    super(spec.name, spec.site, () => builtinLaunch(spec), logFile, onPid);
  }
}

/** The embedded Toxiproxy-compatible server as an estate's process: its API on host:port, the proxies of `proxyConfig` created at start. */
export function embeddedProxyProcess(host: string, port: number, proxyConfig: string, logDir: string, onPid: () => void): BuiltinProcessComponent {
  const spec: ComponentSpec = { name: 'proxy', kind: 'proxy', options: { host, port, config: proxyConfig }, healthUrl: `http://${host}:${port}/version` };
  return new BuiltinProcessComponent(spec, join(logDir, 'proxy.log'), onPid);
}
