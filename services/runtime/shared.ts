import { connect } from 'node:net';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { estateRecordFile, type EstateRecord, type ProxyServer } from '../../model/estate_record';
import type { EstateConfig } from '../estate/config';
import type { ComponentSpec } from '../estate/components';
import { allocateTopology, proxySpecs, SERVICES, SITES, type Placement, type ProxySpec, type Site, type Topology } from '../estate/topology';
import type { ComponentHandle, Estate, EstateEndpoints, SiteHandle, SiteLinks } from './runtime';

/** A component as a runtime holds it: its handle and the spec it was started from. */
export interface RuntimeComponent extends ComponentHandle {
  readonly spec: ComponentSpec;
}

/** What every runtime's component has alike: its name and site, from its spec. */
export abstract class SpecComponent {
  constructor(readonly spec: ComponentSpec) {}

  get name(): string {
    return this.spec.name;
  }
  get site(): Site | undefined {
    return this.spec.site;
  }
}

/** A new estate's id: time, harness pid, and a random suffix (unique across harnesses on one host). */
export function newEstateId(): string {
  return `estate-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
}

/** The estate's endpoints as the harness reaches them (on `t.host`). */
export function endpointsOf(t: Topology): EstateEndpoints {
  const url = (port: number) => `http://${t.host}:${port}`;
  return {
    proxyApi: url(t.proxyApi),
    controller: url(t.controller),
    frontdoorAdmin: url(t.frontdoor),
    services: Object.fromEntries(SERVICES.map((s) => [s, `${url(t.proxies.frontdoor)}/${s}`])) as EstateEndpoints['services'],
    sites: Object.fromEntries(
      SITES.map((s) => [
        s,
        {
          sanAdmin: url(t.sites[s].sanAdmin),
          apps: Object.fromEntries(SERVICES.map((svc) => [svc, url(t.sites[s].apps[svc])])) as EstateEndpoints['services'],
        },
      ]),
    ) as EstateEndpoints['sites'],
  };
}

/** Ready = every service answers ready through the front door (its proxy included). */
export async function waitServing(endpoints: EstateEndpoints, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const pending = new Set(SERVICES);
  let last = '';
  while (pending.size > 0) {
    for (const svc of [...pending]) {
      try {
        const res = await fetch(`${endpoints.services[svc]}/health/ready`, { signal: AbortSignal.timeout(1000) });
        last = `${svc}: ${res.status} ${await res.text()}`;
        if (res.ok) pending.delete(svc);
      } catch (e) {
        last = `${svc}: ${(e as Error).message}`;
      }
    }
    if (pending.size === 0) return;
    if (performance.now() > deadline) throw new Error(`estate not serving within ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Tries to connect to `tcp` until it accepts; `alive()` false aborts (the component died). */
export async function waitTcp(tcp: { host: string; port: number }, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!alive()) throw new Error('exited during start-up');
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(tcp.port, tcp.host);
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(500, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`not accepting connections within ${timeoutMs} ms (tcp ${tcp.host}:${tcp.port})`);
}

/** Polls `url` until it answers 2xx; `alive()` false aborts (the component died). */
export async function waitHealthy(url: string, timeoutMs: number, alive: () => boolean | Promise<boolean>, describe: () => string | Promise<string>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!(await alive())) throw new Error(await describe());
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(500) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`not healthy within ${timeoutMs} ms (${url})`);
}

/** The `site()` and `component()` lookups of an Estate, with errors that list what exists. */
export function estateLookups(sites: Map<Site, SiteHandle>, byName: Map<string, ComponentHandle>): Pick<Estate, 'site' | 'component'> {
  return {
    site: (name) => {
      const s = sites.get(name);
      if (!s) throw new Error(`unknown site ${name}`);
      return s;
    },
    component: (name) => {
      const c = byName.get(name);
      if (!c) throw new Error(`unknown component ${name}; components: ${[...byName.keys()].join(', ')}`);
      return c;
    },
  };
}

/** Whether a process with this pid exists (a harness, or a component of the process runtime). */
export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Is a Docker daemon configured here at all? (Process-only users pay nothing for a docker sweep or check.) */
export function dockerConfigured(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/** Where a new estate lives and what it listens on: the same for every runtime but the placement. */
export interface EstateLayout {
  id: string;
  /** The state directory estates are kept under (the docker runtime labels its objects with it). */
  stateRoot: string;
  dataDir: string;
  /** Its record: what `blackstart down/status/restore` read. */
  recordFile: string;
  topology: Topology;
  /** The proxies to create at start (also written to dataDir/proxies.json). */
  proxies: ProxySpec[];
  endpoints: EstateEndpoints;
}

/**
 * A new estate's id, data directory (with its logs directory) and ports, its proxies written to
 * dataDir/proxies.json. Estates keep state under `stateRoot` (default .blackstart/estates) unless
 * the configuration names a data_dir.
 */
export async function layOutEstate(config: EstateConfig, stateRoot: string | undefined, placement: (id: string) => Placement): Promise<EstateLayout> {
  const id = newEstateId();
  const root = resolve(stateRoot ?? '.blackstart/estates');
  const dataDir = resolve(config.data_dir ?? join(root, id));
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const topology = await allocateTopology(config, placement(id));
  const proxies = proxySpecs(topology);
  writeFileSync(join(dataDir, 'proxies.json'), JSON.stringify(proxies, null, 2));
  return { id, stateRoot: root, dataDir, recordFile: estateRecordFile(dataDir), topology, proxies, endpoints: endpointsOf(topology) };
}

/** The fields every runtime's record has but `pids`, as of now. */
export function recordFields(layout: EstateLayout): Pick<EstateRecord, 'id' | 'dataDir' | 'startedAt' | 'harnessPid' | 'endpoints'> {
  return { id: layout.id, dataDir: layout.dataDir, startedAt: new Date().toISOString(), harnessPid: process.pid, endpoints: layout.endpoints };
}

export function writeEstateRecord(record: EstateRecord): void {
  writeFileSync(estateRecordFile(record.dataDir), JSON.stringify(record, null, 2));
}

/**
 * Starts the components in dependency order and waits for the estate to serve through the front
 * door. The links first; every other component waits for its peers by itself (apps retry the SAN,
 * the SAN polls the controller, the controller arms only after a first healthy heartbeat). The
 * first component that fails fails the start: its error as `failed` words it (by default as it is).
 */
export async function startInOrder<C extends RuntimeComponent>(
  components: readonly C[],
  launch: (c: C) => Promise<void>,
  opts: { endpoints: EstateEndpoints; readyTimeoutMs: number; log: (line: string) => void; failed?: (name: string, reason: unknown) => unknown },
): Promise<void> {
  const groups = [components.filter((c) => c.name === 'proxy'), components.filter((c) => c.name !== 'proxy')];
  for (const group of groups) {
    const started = await Promise.allSettled(group.map(launch));
    const failedAt = started.findIndex((r) => r.status === 'rejected');
    if (failedAt >= 0) {
      const reason = (started[failedAt] as PromiseRejectedResult).reason;
      throw opts.failed ? opts.failed(group[failedAt].name, reason) : reason;
    }
    opts.log(`started ${group.map((c) => c.name).join(', ')}`);
  }
  await waitServing(opts.endpoints, opts.readyTimeoutMs);
}

/** `void` when every result is (the process runtime's signals), else a promise of them all, its rejection handled. */
function settled(results: (void | Promise<void>)[]): void | Promise<void> {
  if (results.every((r) => r === undefined)) return;
  const all = Promise.all(results).then(() => undefined);
  all.catch(() => undefined); // each failure is logged by its component
  return all;
}

export interface EstateParts<C extends RuntimeComponent> {
  layout: EstateLayout;
  runtime: 'process' | 'docker';
  config: EstateConfig;
  proxyServer: ProxyServer;
  components: readonly C[];
  /** A cold start of one component (after a power cut). */
  start: (c: C) => Promise<void>;
  /** After a site's SAN, its other components: one after the other, or all at once. */
  restoreApps: 'one-by-one' | 'together';
  /** Stops every component; the record is removed once it has returned. */
  stop: () => Promise<void>;
  /** Estate.watchPlatform, where the runtime has a platform that can fail under the estate. */
  watchPlatform?: Estate['watchPlatform'];
}

/**
 * The regional estate's site links (topology.ts): each site's apps' and SAN's own proxies take its
 * power cut; its SAN's, its storage cut. The shared `heartbeat` and `replication` links are left
 * alone: the controller re-points them during a failover.
 */
function regionalSiteLinks(site: Site): SiteLinks {
  return { power: [...SERVICES.map((svc) => `${site}-${svc}`), `${site}-san`], storage: [`${site}-san`] };
}

/** The `Estate` a runtime returns: its sites, its lookups, and a stop() that runs once. */
export function assembleEstate<C extends RuntimeComponent>(parts: EstateParts<C>): Estate {
  const { layout, components, start } = parts;
  const sites = new Map<Site, SiteHandle>(
    SITES.map((name) => {
      const processes = components.filter((c) => c.site === name);
      const handle: SiteHandle = {
        name,
        processes,
        // Every kill request sent before any is awaited: the site goes dark at once.
        powerCut: () => settled(processes.map((c) => c.kill())),
        restore: async () => {
          const down = processes.filter((c) => !c.running);
          // The array first: apps on a cold site wait for storage, as on real hardware.
          for (const c of down.filter((c) => c.spec.kind === 'san')) await start(c);
          const apps = down.filter((c) => c.spec.kind !== 'san');
          if (parts.restoreApps === 'together') await Promise.all(apps.map(start));
          else for (const c of apps) await start(c);
        },
      };
      return [name, handle];
    }),
  );
  let stopped = false;
  return {
    id: layout.id,
    runtime: parts.runtime,
    config: parts.config,
    topology: layout.topology,
    endpoints: layout.endpoints,
    dataDir: layout.dataDir,
    proxyServer: parts.proxyServer,
    components,
    ...estateLookups(sites, new Map(components.map((c) => [c.name, c]))),
    siteLinks: (site) => regionalSiteLinks(site),
    ...(parts.watchPlatform ? { watchPlatform: parts.watchPlatform } : {}),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await parts.stop();
      rmSync(layout.recordFile, { force: true });
    },
  };
}
