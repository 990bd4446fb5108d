import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEstateConfig, type EstateConfigInput } from '../../estate/config';
import { componentSpecs, type ComponentSpec } from '../../estate/components';
import { allocateTopology, proxySpecs, SITES, type Site } from '../../estate/topology';
import type { ComponentHandle, Estate, EstateEndpoints, SiteHandle } from '../runtime';
import { endpointsOf, estateLookups, newEstateId, waitServing } from '../shared';

export interface StartOptions {
  /** Where estates keep state when no data_dir is configured (default: .blackstart/estates). */
  stateRoot?: string;
  /** Called with progress lines. */
  log?: (line: string) => void;
  readyTimeoutMs?: number;
}

/** The record `blackstart down/status/restore` read to find an estate's processes after the fact. */
export interface EstateRecord {
  id: string;
  runtime: 'process';
  dataDir: string;
  startedAt: string;
  harnessPid: number;
  endpoints: EstateEndpoints;
  pids: Record<string, number | undefined>;
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

class ProcessComponent implements ComponentHandle {
  private child: ChildProcess | undefined;
  frozen = false;
  private exitWaiters: (() => void)[] = [];

  constructor(
    readonly spec: ComponentSpec,
    private readonly logFile: string,
    private readonly onPid: () => void,
  ) {}

  get name() {
    return this.spec.name;
  }
  get site() {
    return this.spec.site;
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
    await this.waitHealthy(readyTimeoutMs);
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

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited during start-up:\n${this.logTail()}`);
      try {
        const res = await fetch(this.spec.healthUrl, { signal: AbortSignal.timeout(500) });
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${this.name} not healthy within ${timeoutMs} ms (${this.spec.healthUrl}):\n${this.logTail()}`);
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
  const id = newEstateId();
  const dataDir = resolve(config.data_dir ?? join(options.stateRoot ?? '.blackstart/estates', id));
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  // Ports below the ephemeral range: bound a moment after they are picked, they cannot be taken
  // meanwhile by some other process's outgoing connection.
  const topology = await allocateTopology(config, { bind: config.host, hostOf: () => config.host, portRange: [20000, 30000] });
  writeFileSync(join(dataDir, 'proxies.json'), JSON.stringify(proxySpecs(topology), null, 2));
  const specs = componentSpecs(config, topology, dataDir);
  const endpoints = endpointsOf(topology);
  const recordFile = join(dataDir, 'estate.json');
  const components: ProcessComponent[] = [];
  const writeRecord = () => {
    const record: EstateRecord = {
      id,
      runtime: 'process',
      dataDir,
      startedAt: new Date().toISOString(),
      harnessPid: process.pid,
      endpoints,
      pids: Object.fromEntries(components.map((c) => [c.name, c.id ? Number(c.id) : undefined])),
    };
    writeFileSync(recordFile, JSON.stringify(record, null, 2));
  };
  for (const spec of specs) components.push(new ProcessComponent(spec, join(dataDir, 'logs', `${spec.name}.log`), writeRecord));
  const byName = new Map(components.map((c) => [c.name, c]));
  const stopAll = async () => {
    await Promise.all([...components].reverse().map((c) => c.terminate()));
  };

  // The links first; every other component waits for its peers by itself (apps retry the SAN,
  // the SAN polls the controller, the controller arms only after a first healthy heartbeat).
  const groups = [['proxy'], components.filter((c) => c.name !== 'proxy').map((c) => c.name)];
  try {
    for (const group of groups) {
      const started = await Promise.allSettled(group.map((name) => byName.get(name)!.start(options.readyTimeoutMs)));
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      log(`started ${group.join(', ')}`);
    }
    await waitServing(endpoints, options.readyTimeoutMs ?? 30_000);
  } catch (e) {
    await stopAll();
    throw e;
  }
  writeRecord();

  const sites = new Map<Site, SiteHandle>(
    SITES.map((name) => {
      const processes = components.filter((c) => c.site === name);
      const handle: SiteHandle = {
        name,
        processes,
        powerCut: () => {
          for (const c of processes) c.kill();
        },
        restore: async () => {
          const down = processes.filter((c) => !c.running);
          // The array first: apps on a cold site wait for storage, as on real hardware.
          down.sort((a, b) => (a.spec.kind === 'san' ? -1 : b.spec.kind === 'san' ? 1 : 0));
          for (const c of down) await c.start(options.readyTimeoutMs);
        },
      };
      return [name, handle];
    }),
  );

  let stopped = false;
  return {
    id,
    runtime: 'process',
    proxyServer: { kind: 'embedded' },
    config,
    topology,
    endpoints,
    dataDir,
    components,
    ...estateLookups(sites, byName),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopAll();
      rmSync(recordFile, { force: true });
    },
  };
}

export { endpointsOf };
