/**
 * The docker runtime (docs/ARCHITECTURE.md § 3, § 4, § 11): an estate file's estate (the regional
 * one, estates/regional.yaml, when a drill names none), every component a container of its
 * `docker` spec's image, started with testcontainers on a user-defined network of its own.
 *
 * - Network `blackstart-<id>`; containers `blackstart-<id>-<component>`, reached by one another
 *   by that name (`${host:C}`); every link through its proxy, as in the process runtime.
 * - Every component listens inside its container on the ports allocated to it; they are published
 *   on `config.host` (127.0.0.1) under the same numbers, so the endpoints and health checks reach
 *   them from the harness and survive a container restart.
 * - `${data}` is /data in the container; the file's `files` are copied there before the first
 *   start. A component with `data: true` has a volume there (`blackstart-<id>-<component>`): a
 *   power cut (docker kill) and a cold start (docker start) keep what it had (the SANs' arrays).
 * - Proxies: the real Toxiproxy image where it is present locally, else the embedded server
 *   (the blackstart/proxy image); `estate.proxyServer` says which.
 * - Labels on every container, volume and network (cleanup.ts LABELS); there is no reaper
 *   (TESTCONTAINERS_RYUK_DISABLED), so the runtime removes what it started on every exit path:
 *   stop(), a failed start, the process's exit; `blackstart down` removes what a killed harness left.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import type { StartedTestContainer, WaitStrategy } from 'testcontainers';
import { signal } from '../../../lib/signal';
import { withTimeout } from '../../../lib/timeout';
import type { Site } from '../../../model/estate';
import { estateRecordFile, type FreezeUndo } from '../../../model/estate_record';
import type { EstateConfig } from '../../estate/config';
import { configValues } from '../../estate/config_refs';
import { render, type EstatePlan, type PlannedComponent } from '../../estate/estate_file';
import { allocatePorts, plannedEndpoints, plannedHealth, plannedProxies, plannedSiteLinks, plannedSites } from '../planned';
import type { ComponentHandle, Estate } from '../runtime';
import { estateLookups, newEstateId, waitServing, waitUntilHealthy, writeEstateRecord, type Health } from '../shared';
import { LABELS, removeLeftovers, trackEstate, untrackEstate } from './cleanup';
import { CODE_LABEL, currentCode, dockerClient, ESTATE_IMAGE, imageLabels, PATRONI_IMAGE, PROXY_IMAGE, TOXIPROXY_IMAGE } from './images';

export interface DockerStartOptions {
  /** Where estates keep their record and logs when no data_dir is configured (default: .blackstart/estates). */
  stateRoot?: string;
  log?: (line: string) => void;
  /** Per component start (default 30 s: containers start slower than processes). */
  readyTimeoutMs?: number;
  images?: { estate?: string; proxy?: string };
  /** auto (default): the real Toxiproxy if its image is present locally, else the embedded proxy. */
  proxyServer?: 'auto' | 'embedded' | 'toxiproxy';
}

/** Paths inside the containers. */
const PROXY_CONFIG = '/etc/blackstart/proxies.json';
/** `${data}`: a component's files, and its volume when it keeps data across a power cut. */
const DATA = '/data';

export const containerName = (estateId: string, component: string) => `blackstart-${estateId}-${component}`;
export const networkName = (estateId: string) => `blackstart-${estateId}`;
export const volumeName = (estateId: string, component: string) => `blackstart-${estateId}-${component}`;

/** testcontainers needs the reaper's image from a registry; here the runtime cleans up itself. */
function disableReaper(log: (l: string) => void): void {
  if (process.env.TESTCONTAINERS_RYUK_DISABLED === undefined) {
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    log('testcontainers reaper disabled (TESTCONTAINERS_RYUK_DISABLED=true): the runtime removes its containers itself');
  }
}

async function logTail(docker: Dockerode, container: string, lines = 30): Promise<string> {
  try {
    const buf = (await docker.getContainer(container).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demux(buf).trimEnd() || '(no output)';
  } catch (e) {
    return `(no log: ${(e as Error).message})`;
  }
}

/** Docker's multiplexed log stream (8-byte frame headers) to text. */
function demux(buf: Buffer): string {
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length && buf[i] <= 2 && buf[i + 1] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return i === 0 ? buf.toString('utf8') : out;
}

/** `alive` asked at most every `everyMs`: polling the daemon at the health poll's rate would load it. */
function throttled(alive: () => Promise<boolean>, everyMs = 500): () => Promise<boolean> {
  let last = -Infinity;
  let value = true;
  return async () => {
    if (performance.now() - last >= everyMs) {
      value = await alive();
      last = performance.now();
    }
    return value;
  };
}

/**
 * The wait strategy of every component: its health endpoint, as the harness reaches it (the port
 * published on `config.host`), polled every 25 ms. testcontainers' HTTP strategy would ask the host
 * testcontainers guesses instead (inside a container: the bridge's gateway, where nothing is
 * published). On failure the message carries the container's log tail (testcontainers removes the
 * container after a failed wait).
 */
class HealthEndpointWait implements WaitStrategy {
  private timeoutMs = 30_000;
  private timeoutSet = false;

  constructor(
    private readonly health: Health,
    private readonly docker: Dockerode,
  ) {}

  withStartupTimeout(ms: number): this {
    this.timeoutMs = ms;
    this.timeoutSet = true;
    return this;
  }
  isStartupTimeoutSet(): boolean {
    return this.timeoutSet;
  }
  getStartupTimeout(): number {
    return this.timeoutMs;
  }

  async waitUntilReady(container: Dockerode.Container): Promise<void> {
    await waitContainerHealthy(this.docker, container.id, this.health, this.timeoutMs);
  }
}

/** Polls a health check while the container runs; a failure carries the container's log tail. */
async function waitContainerHealthy(docker: Dockerode, container: string, health: Health, timeoutMs: number): Promise<void> {
  const alive = throttled(async () => (await docker.getContainer(container).inspect()).State.Running);
  await waitUntilHealthy(health, timeoutMs, alive, () => 'the container exited during start-up').catch(async (e: Error) => {
    throw new Error(`${e.message}; its log:\n${await logTail(docker, container)}`);
  });
}

class DockerComponent implements ComponentHandle {
  containerId: string | undefined;
  private state: 'new' | 'running' | 'killed' | 'removed' = 'new';
  frozen = false;
  /** The last request to the daemon: the next one waits for it (kill then start, pause then kill). */
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly site: Site | undefined,
    private readonly health: Health,
    readonly container: string,
    private readonly docker: Dockerode,
    private readonly create: () => Promise<StartedTestContainer>,
    private readonly readyTimeoutMs: number,
    private readonly log: (line: string) => void,
  ) {}

  get id() {
    return this.running ? this.containerId : undefined;
  }
  get running() {
    return this.state === 'running';
  }

  /**
   * Runs `op` after the previous request. The returned promise is marked handled: a caller that
   * does not await it (a fault's `apply` written for the process runtime) gets no unhandled
   * rejection; the failure is logged instead.
   */
  private queue<T>(what: string, op: () => Promise<T>): Promise<T> {
    const next = this.pending.then(op, op);
    this.pending = next.catch((e: Error) => this.log(`${this.name}: docker ${what} failed: ${e.message}`));
    return next;
  }

  /** First start: create the container through testcontainers (its wait strategy on the health endpoint). */
  async launch(): Promise<void> {
    const started = await this.create();
    this.containerId = started.getId();
    this.state = 'running';
  }

  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'new') return this.launch();
    if (this.state === 'removed') throw new Error(`${this.name}: the estate was stopped`);
    await this.queue('start', () => this.docker.getContainer(this.container).start());
    this.state = 'running';
    this.frozen = false;
    await this.ready();
  }

  /** Its health check passing, after a start or a process started again inside it. */
  private ready(): Promise<void> {
    return waitContainerHealthy(this.docker, this.container, this.health, this.readyTimeoutMs).catch((e: Error) => {
      throw new Error(`${this.name}: ${e.message}`);
    });
  }

  kill(): Promise<void> {
    if (this.state !== 'running') return this.pending.then(() => undefined);
    this.state = 'killed';
    const wasFrozen = this.frozen;
    this.frozen = false;
    return this.queue('kill', async () => {
      const c = this.docker.getContainer(this.container);
      try {
        await c.kill({ signal: 'SIGKILL' });
      } catch (e) {
        // A paused container cannot take a signal on every Docker version: unpause, then kill.
        if (!wasFrozen) throw e;
        await c.unpause().catch(() => undefined);
        await c.kill({ signal: 'SIGKILL' });
      }
      // Returns once the daemon reports it stopped, as a process runtime's SIGKILL has taken effect.
      await c.wait({ condition: 'not-running' }).catch(() => undefined);
    });
  }

  /** Host pids of the container's processes the kernel names `name`, from the daemon's `docker top`. */
  private async named(name: string): Promise<{ pids: number[]; all: string[] }> {
    const top = (await this.docker.getContainer(this.container).top({ ps_args: '-o pid,comm' })) as { Titles: string[]; Processes: string[][] };
    const pid = top.Titles.indexOf('PID');
    const comm = top.Titles.indexOf('COMMAND');
    const procs = top.Processes.map((p) => ({ pid: Number(p[pid]), comm: p[comm] }));
    return { pids: procs.filter((p) => p.comm === name).map((p) => p.pid), all: [...new Set(procs.map((p) => p.comm))] };
  }

  /**
   * SIGKILL to its processes named `name`, sent from this host to their host pids (the daemon is
   * local: the runtime reaches its containers' ports on config.host). Killing the container's PID 1
   * ends the container (the kernel kills the rest): then it is down, as a killed top process is.
   */
  killProcess(name: string): Promise<number[]> {
    if (!this.running) throw new Error(`${this.name} is not running`);
    return this.queue('kill process', async () => {
      const { pids, all } = await this.named(name);
      if (pids.length === 0) throw new Error(`${this.name} has no process named ${name} (its processes: ${all.join(', ')})`);
      for (const p of pids) signal(p, 'SIGKILL');
      const c = this.docker.getContainer(this.container);
      await new Promise((r) => setTimeout(r, 100));
      if (!(await c.inspect()).State.Running) this.state = 'killed';
      return pids;
    });
  }

  async reviveProcess(name: string): Promise<void> {
    if (!this.running) return this.start();
    if ((await this.named(name)).pids.length > 0) return;
    // The container outlived the process (its PID 1 is another): its command again, inside it.
    const c = this.docker.getContainer(this.container);
    const config = (await c.inspect()).Config;
    // Its output to the container's log (PID 1's stdout and stderr), where the first run's went:
    // a detached exec's own output is dropped.
    const command = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
    const exec = await c.exec({ Cmd: ['sh', '-c', 'exec "$@" >/proc/1/fd/1 2>/proc/1/fd/2', 'sh', ...command], AttachStdout: false, AttachStderr: false });
    // Detached: the daemon answers at once; the answer is a stream all the same, and one left
    // unread holds its connection (and so the harness) open.
    const answer = (await exec.start({ Detach: true })) as unknown as NodeJS.ReadableStream & { destroy?: () => void };
    answer.destroy?.();
    await this.ready();
  }

  freeze(): Promise<void> {
    if (!this.running) throw new Error(`${this.name} is not running`);
    this.frozen = true;
    return this.queue('pause', () => this.docker.getContainer(this.container).pause());
  }

  thaw(): Promise<void> {
    if (!this.running || !this.frozen) {
      this.frozen = false;
      return this.pending.then(() => undefined);
    }
    this.frozen = false;
    return this.queue('unpause', async () => {
      const c = this.docker.getContainer(this.container);
      // Another process (`blackstart restore --force`) may have unpaused it already: not an error.
      if ((await c.inspect()).State.Paused) await c.unpause();
    });
  }

  freezeUndo(): FreezeUndo[] {
    // Not running now (no id): a freeze will refuse, and there is nothing another process could undo.
    return this.id ? [{ type: 'unpause', container: this.id, component: this.name }] : [];
  }

  markRemoved(): void {
    this.state = 'removed';
    this.frozen = false;
  }
}

/** Writes each container's whole log to dataDir/logs before the containers go (bounded). */
async function saveLogs(docker: Dockerode, components: DockerComponent[], dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await Promise.allSettled(
    components.map(async (c) => {
      const buf = (await docker.getContainer(c.container).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      writeFileSync(join(dir, `${c.name}.log`), demux(buf));
    }),
  );
}


/**
 * Starts an estate file's estate on Docker and waits for it to serve through its entry. On any
 * failure removes everything it created (containers, volumes, network: by the estate's label)
 * and reports the failing component's log tail.
 */
export async function startDockerEstate(input: EstateConfig, plan: EstatePlan, options: DockerStartOptions = {}): Promise<Estate> {
  const config: EstateConfig = { ...input, runtime: 'docker' };
  if (!isIP(config.host)) throw new Error(`runtime docker: host must be an IP address to publish the estate's ports on (got ${config.host})`);
  for (const c of plan.components) {
    if (!c.spec.docker) throw new Error(`${plan.file}: component ${c.name} has no docker spec (an image and its command): it cannot run on the docker runtime`);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(config, plan, options);
    } catch (e) {
      // Picked ports are free when picked, and bound by the daemon seconds later: another process
      // may take one meanwhile. The failed start removed everything; pick other ports (not with
      // fixed ports: they would collide again).
      const raced = /address already in use|port is already allocated/.test((e as Error).message) && config.ports.base === undefined;
      if (!raced || attempt >= 3) throw e;
      (options.log ?? (() => {}))(`a picked port was taken before the daemon bound it: starting again with other ports (${(e as Error).message.split('\n')[0]})`);
    }
  }
}

async function startOnce(config: EstateConfig, plan: EstatePlan, options: DockerStartOptions): Promise<Estate> {
  const log = options.log ?? (() => {});
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  disableReaper(log);
  const { GenericContainer } = await import('testcontainers');
  const docker = await dockerClient();

  // The images: present (an estate start never pulls), and blackstart's built from the code as it
  // is (else the estate would run other code).
  const images = { estate: options.images?.estate ?? ESTATE_IMAGE, proxy: options.images?.proxy ?? PROXY_IMAGE };
  const imageOf = (c: PlannedComponent) => (c.spec.docker!.image === ESTATE_IMAGE ? images.estate : c.spec.docker!.image);
  const root = resolve(__dirname, '..', '..', '..', ...(__filename.endsWith('.js') ? ['..'] : []));
  for (const name of new Set([images.proxy, ...plan.components.map(imageOf)])) {
    const labels = await imageLabels(docker, name);
    const kind = name === images.estate ? 'estate' : name === images.proxy ? 'proxy' : name === PATRONI_IMAGE ? 'patroni' : undefined;
    const build = `blackstart images build${kind === 'patroni' ? ' --patroni' : ''}`;
    if (!labels) throw new Error(kind ? `image ${name} not found: run \`${build}\` first` : `image ${name} not found: build or load it on this Docker host first (an estate start never pulls)`);
    const code = kind && currentCode(root, kind);
    if (code && labels[CODE_LABEL] && labels[CODE_LABEL] !== code) log(`warning: ${name} was built from other code than dist/ holds now: run \`${build}\``);
  }
  const wantToxiproxy = options.proxyServer ?? 'auto';
  const toxiproxyPresent = wantToxiproxy !== 'embedded' && (await imageLabels(docker, TOXIPROXY_IMAGE)) !== undefined;
  if (wantToxiproxy === 'toxiproxy' && !toxiproxyPresent) throw new Error(`proxyServer toxiproxy: image ${TOXIPROXY_IMAGE} is not present (pull it first)`);
  const proxyServer = toxiproxyPresent ? { kind: 'toxiproxy' as const, image: TOXIPROXY_IMAGE } : { kind: 'embedded' as const, image: images.proxy };
  log(`proxies: ${proxyServer.kind === 'toxiproxy' ? `the real Toxiproxy (${TOXIPROXY_IMAGE})` : `the embedded Toxiproxy-compatible server (${images.proxy}; ${TOXIPROXY_IMAGE} is not present locally)`}`);

  const id = newEstateId();
  const stateRoot = resolve(options.stateRoot ?? '.blackstart/estates');
  const dataDir = resolve(config.data_dir ?? join(stateRoot, id));
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const recordFile = estateRecordFile(dataDir);
  // Ports below the ephemeral range (32768+ on Linux): the daemon binds them seconds after they
  // were found free, and an outgoing connection could take an ephemeral one meanwhile.
  const allocated = await allocatePorts(plan, config, [10000, 20000]);
  const proxies = plannedProxies(plan, allocated, '0.0.0.0', (c) => containerName(id, c));
  writeFileSync(join(dataDir, 'proxies.json'), JSON.stringify(proxies, null, 2));
  const endpoints = plannedEndpoints(plan, config.host, allocated);
  const settings = configValues(config);
  const network = networkName(id);
  const withData = plan.components.filter((c) => c.spec.data);
  const volumes = withData.map((c) => volumeName(id, c.name));
  const baseLabels = { [LABELS.estate]: id, [LABELS.root]: stateRoot, [LABELS.harness]: String(process.pid) };
  const names = ['proxy', ...plan.components.map((c) => c.name)];
  // The record first: a harness killed during the start leaves something `blackstart down` finds.
  writeEstateRecord({
    id,
    dataDir,
    startedAt: new Date().toISOString(),
    harnessPid: process.pid,
    endpoints,
    runtime: 'docker',
    pids: {},
    root: stateRoot,
    network,
    volumes,
    containers: Object.fromEntries(names.map((n) => [n, containerName(id, n)])),
    proxyServer,
  });
  trackEstate(id, recordFile);

  const containerFor = (name: string, site: Site | undefined, image: string, command: string[], ports: number[], health: Health) => {
    const labels: Record<string, string> = { ...baseLabels, [LABELS.component]: name, ...(site ? { [LABELS.site]: site } : {}) };
    return new (class extends GenericContainer {
      /** Published on the configured host only (127.0.0.1 by default), never on every interface. */
      publishOn(host: string, list: number[]): this {
        this.withExposedPorts(...list.map((p) => ({ container: p, host: p })));
        for (const p of list) this.hostConfig.PortBindings![`${p}/tcp`] = [{ HostIp: host, HostPort: String(p) }];
        return this;
      }
    })(image)
      .withName(containerName(id, name))
      .withNetworkMode(network)
      .withLabels(labels)
      .withCommand(command)
      .publishOn(config.host, ports)
      .withWaitStrategy(new HealthEndpointWait(health, docker))
      .withStartupTimeout(readyTimeoutMs);
  };
  const componentLog = (l: string) => (options.log ?? ((x: string) => process.stderr.write(`blackstart: ${x}\n`)))(l);

  // The proxy server: every link, created at its start from proxies.json.
  const proxyHealth: Health = { url: `http://${config.host}:${allocated.apiPort}/version` };
  const proxyCommand =
    proxyServer.kind === 'toxiproxy'
      ? ['-host', '0.0.0.0', '-port', String(allocated.apiPort), '-config', PROXY_CONFIG]
      : ['proxy', JSON.stringify({ host: '0.0.0.0', port: allocated.apiPort, config: PROXY_CONFIG })];
  const proxy = new DockerComponent(
    'proxy',
    undefined,
    proxyHealth,
    containerName(id, 'proxy'),
    docker,
    () =>
      containerFor('proxy', undefined, proxyServer.image, proxyCommand, [allocated.apiPort, ...Object.values(allocated.linkPorts)], proxyHealth)
        .withCopyContentToContainer([{ content: JSON.stringify(proxies), target: PROXY_CONFIG }])
        // Room for slow lookups of powered-off containers' names beside the live ones (proxy/lookup.ts).
        .withEnvironment({ UV_THREADPOOL_SIZE: '64' })
        .start(),
    readyTimeoutMs,
    componentLog,
  );
  const byName = new Map<string, DockerComponent>();
  for (const c of plan.components) {
    const health = plannedHealth(c, config.host, allocated.ports);
    const create = () => {
      const rendered = render(plan, c, {
        ports: allocated.ports,
        linkPorts: allocated.linkPorts,
        proxyHost: containerName(id, 'proxy'),
        proxyApiPort: allocated.apiPort,
        config: settings,
        hostOf: (other) => containerName(id, other),
        bind: '0.0.0.0',
        dataDir: DATA,
        env: process.env,
      });
      const container = containerFor(c.name, c.site as Site | undefined, imageOf(c), rendered.dockerCommand ?? [], Object.values(allocated.ports[c.name]), health).withEnvironment(rendered.env);
      if (c.spec.data) container.withBindMounts([{ source: volumeName(id, c.name), target: DATA, mode: 'rw' }]);
      // Written before the first start; a restart (docker start) finds them where they were.
      if (rendered.files.length) container.withCopyContentToContainer(rendered.files.map((f) => ({ content: f.content, target: `${DATA}/${f.name}` })));
      return container.start();
    };
    byName.set(c.name, new DockerComponent(c.name, c.site as Site | undefined, health, containerName(id, c.name), docker, create, readyTimeoutMs, componentLog));
  }
  const components = [proxy, ...byName.values()];

  const removeAll = async (why: string) => {
    for (const c of components) c.markRemoved();
    await withTimeout(saveLogs(docker, components, join(dataDir, 'logs')), 10_000, 'saving logs').catch(() => undefined);
    const removed = await removeLeftovers({ estate: id }, docker);
    untrackEstate(id);
    log(`${why}: removed ${removed.containers.length} containers, ${removed.volumes.length} volumes, ${removed.networks.length} networks`);
  };

  try {
    await docker.createNetwork({ Name: network, Driver: 'bridge', CheckDuplicate: true, Labels: baseLabels });
    await Promise.all(withData.map((c) => docker.createVolume({ Name: volumeName(id, c.name), Labels: { ...baseLabels, [LABELS.component]: c.name, ...(c.site ? { [LABELS.site]: c.site } : {}) } })));
    const failed = (name: string, reason: unknown) => new Error(`${name} did not start: ${(reason as Error).message}`);
    for (const group of [[proxy], ...plan.startOrder.map((g) => g.map((n) => byName.get(n)!))]) {
      const started = await Promise.allSettled(group.map((c) => c.launch()));
      const at = started.findIndex((r) => r.status === 'rejected');
      if (at >= 0) throw failed(group[at].name, (started[at] as PromiseRejectedResult).reason);
      log(`started ${group.map((c) => c.name).join(', ')}`);
    }
    if (plan.entry.ready !== undefined) await waitServing(endpoints, readyTimeoutMs, plan.entry.ready);
  } catch (e) {
    await removeAll('start failed').catch((err: Error) => log(`cleanup after a failed start: ${err.message}`));
    rmSync(recordFile, { force: true });
    throw e;
  }

  const sites = plannedSites(plan, byName, (c) => c.start());
  let stopped = false;
  return {
    id,
    runtime: 'docker',
    config,
    ports: allocated.ports,
    endpoints,
    dataDir,
    proxyServer,
    components,
    ...estateLookups(sites, new Map<string, ComponentHandle>(components.map((c) => [c.name, c])), plan.servingSites),
    siteLinks: plannedSiteLinks(plan),
    readyPath: plan.entry.ready ?? null,
    watchPlatform: (onLost) => watchDaemon(docker, onLost),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await removeAll('stopped');
      rmSync(recordFile, { force: true });
    },
  };
}

/** The daemon asked every second; three unanswered pings in a row (about 3 s) and it is lost. */
const DAEMON_PING_MS = 1000;
const DAEMON_MISSES = 3;

/**
 * Estate.watchPlatform of a docker estate: pings the Docker daemon every second. A daemon that
 * stops (or hangs) takes every container, port and control path of the estate with it: a drill
 * can only stop and say so, and leave the undoing to `blackstart restore` once it is back.
 */
function watchDaemon(docker: Dockerode, onLost: (reason: string) => void): () => void {
  let misses = 0;
  let lastError = '';
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    withTimeout(docker.ping(), 2_000, 'no answer within 2 s')
      .then(
        () => (misses = 0),
        (e: Error) => {
          misses++;
          lastError = e.message;
          if (misses === DAEMON_MISSES) {
            clearInterval(timer);
            onLost(`the Docker daemon stopped answering (${lastError})`);
          }
        },
      )
      .finally(() => (busy = false));
  }, DAEMON_PING_MS);
  timer.unref();
  return () => clearInterval(timer);
}
