import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FreezeUndo } from '../../../model/estate_record';
import { parseEstateConfig, type EstateConfigInput } from '../../estate/config';
import { componentSpecs, type ComponentSpec } from '../../estate/components';
import type { Estate } from '../runtime';
import { assembleEstate, layOutEstate, recordFields, SpecComponent, startInOrder, waitHealthy, writeEstateRecord, type RuntimeComponent } from '../shared';

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

export class ProcessComponent extends SpecComponent implements RuntimeComponent {
  private child: ChildProcess | undefined;
  frozen = false;
  private exitWaiters: (() => void)[] = [];

  constructor(
    spec: ComponentSpec,
    private readonly logFile: string,
    private readonly onPid: () => void,
  ) {
    super(spec);
  }

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
    const { execArgv, entry } = entryCommand();
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [...execArgv, entry, this.spec.kind, JSON.stringify(this.spec.options)], {
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    this.frozen = false;
    child.once('exit', () => {
      for (const w of this.exitWaiters.splice(0)) w();
      this.onPid();
    });
    this.onPid();
    await waitHealthy(this.spec.healthUrl, readyTimeoutMs, () => this.running, () => 'exited during start-up').catch((e: Error) => {
      throw new Error(`${this.name} ${e.message}:\n${this.logTail()}`);
    });
  }

  kill(): void {
    if (this.child && this.running) {
      this.child.kill('SIGKILL');
      this.poweredOff = true;
    }
    this.frozen = false;
  }

  freeze(): void {
    if (!this.running) throw new Error(`${this.name} is not running`);
    this.child!.kill('SIGSTOP');
    this.frozen = true;
  }

  thaw(): void {
    if (this.child && this.running) this.child.kill('SIGCONT');
    this.frozen = false;
  }

  freezeUndo(): FreezeUndo[] {
    const pid = Number(this.id);
    // Not running now: a freeze will refuse, and there is nothing another process could thaw.
    return Number.isInteger(pid) && pid > 0 ? [{ type: 'thaw', pid, component: this.name }] : [];
  }

  /** SIGTERM, then SIGKILL if it has not exited in time. */
  async terminate(graceMs = 3000): Promise<void> {
    if (!this.child || !this.alive) return;
    const exited = new Promise<void>((r) => this.exitWaiters.push(r));
    if (this.frozen) this.thaw();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/**
 * The embedded default runtime: every component a child process on 127.0.0.1, every link through
 * the embedded proxy. Starts in dependency order and waits for the estate to serve through the
 * front door; on any failure stops what it started and reports the component's log tail.
 */
export async function startProcessEstate(input: EstateConfigInput = {}, options: StartOptions = {}): Promise<Estate> {
  const config = parseEstateConfig(input);
  const log = options.log ?? (() => {});
  // Ports below the ephemeral range: bound a moment after they are picked, they cannot be taken
  // meanwhile by some other process's outgoing connection.
  const layout = await layOutEstate(config, options.stateRoot, () => ({ bind: config.host, hostOf: () => config.host, portRange: [20000, 30000] }));
  const { dataDir } = layout;
  const components: ProcessComponent[] = [];
  const writeRecord = () =>
    writeEstateRecord({
      ...recordFields(layout),
      runtime: 'process',
      pids: Object.fromEntries(components.map((c) => [c.name, c.id ? Number(c.id) : undefined])),
    });
  for (const spec of componentSpecs(config, layout.topology, dataDir)) components.push(new ProcessComponent(spec, join(dataDir, 'logs', `${spec.name}.log`), writeRecord));
  const stopAll = async () => {
    await Promise.all([...components].reverse().map((c) => c.terminate()));
  };

  try {
    await startInOrder(components, (c) => c.start(options.readyTimeoutMs), { endpoints: layout.endpoints, readyTimeoutMs: options.readyTimeoutMs ?? 30_000, log });
  } catch (e) {
    await stopAll();
    throw e;
  }
  writeRecord();

  return assembleEstate({
    layout,
    runtime: 'process',
    config,
    proxyServer: { kind: 'embedded' },
    components,
    start: (c) => c.start(options.readyTimeoutMs),
    restoreApps: 'one-by-one',
    stop: stopAll,
  });
}
