import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalComponents, type EstateConfig } from './config';
import { loadEstateFile } from './estate_file';

import { SERVICES, SITES, type Service, type Site } from '../../model/estate';

export { SERVICES, SITES, type Service, type Site };

export interface SitePorts {
  san: number;
  sanReplication: number;
  sanAdmin: number;
  apps: Record<Service, number>;
}

/** Every address of the estate: the components' own ports and the proxies between them. */
export interface Topology {
  /** Where the harness reaches the estate (the process runtime's components, the docker runtime's published ports). */
  host: string;
  /** The address every component listens on: `host` for processes, 0.0.0.0 inside a container. */
  bind: string;
  /**
   * How components reach one another, per component name (`proxy`, `dc1-san`, `dc1-pas`, ...,
   * `controller`, `frontdoor`): `host` for processes, the container's name on the estate's network.
   */
  hosts: Record<string, string>;
  proxyApi: number;
  controller: number;
  frontdoor: number;
  sites: Record<Site, SitePorts>;
  /** Proxy name -> its listen port; upstreams in `proxySpecs`. */
  proxies: Record<string, number>;
}

export interface ProxySpec {
  name: string;
  listen: string;
  upstream: string;
}

/** The links of the estate, each a proxy: docs/ARCHITECTURE.md § 3. */
export function proxyNames(): string[] {
  return [
    'frontdoor',
    'heartbeat',
    'replication',
    ...SITES.map((s) => `${s}-san`),
    ...SITES.flatMap((s) => SERVICES.map((svc) => `${s}-${svc}`)),
  ];
}

const PORTS_PER_SITE = 6;

/** Every component of the estate by name, as a runtime runs them: the proxy first. */
export function componentNames(): string[] {
  return ['proxy', ...SITES.flatMap((s) => [`${s}-san`, ...SERVICES.map((svc) => `${s}-${svc}`)]), 'controller', 'frontdoor'];
}

/** The names a drill may use for an estate's parts: what a fault can act on. */
export interface EstateNames {
  /** Proxies (network faults). */
  links: string[];
  /** Processes or containers (freeze). */
  components: string[];
  /** Power domains (power_cut, power_flap, storage_cut). */
  sites: Site[];
}

/**
 * The links, components and sites of an estate of this configuration. The estates blackstart
 * starts share one layout; an external system has the sites and components its block names, and
 * one link (`frontdoor`, the clients' path) only when blackstart's proxy is put in it.
 */
export function estateNames(config?: EstateConfig): EstateNames {
  if (config?.file !== undefined) {
    // An estate file's own names (a FileProblemsError when the file cannot be used).
    const plan = loadEstateFile(config.file);
    return { links: plan.links.map((l) => l.name), components: plan.components.map((c) => c.name), sites: plan.sites as Site[] };
  }
  if (config?.runtime === 'external' && config.external) {
    const x = config.external;
    return { links: x.proxy_clients ? ['frontdoor'] : [], components: externalComponents(x), sites: [...x.sites] };
  }
  return { links: proxyNames(), components: componentNames(), sites: [...SITES] };
}

/** Where components run: on the harness's host (the default), or each at its own address. */
export interface Placement {
  bind: string;
  hostOf: (component: string) => string;
  /**
   * Pick free ports from [from, to) instead of letting the OS pick. A runtime that binds its ports
   * well after picking them (docker) uses a range below the ephemeral range, where an outgoing
   * connection of some other process cannot take a picked port meanwhile.
   */
  portRange?: [number, number];
}

/** Port layout: fixed from `ports.base`, else free ports picked now (free on `config.host`). */
export async function allocateTopology(config: EstateConfig, placement?: Placement): Promise<Topology> {
  const names = proxyNames();
  const count = 3 + SITES.length * PORTS_PER_SITE + names.length;
  const ports =
    config.ports.base !== undefined ? Array.from({ length: count }, (_, i) => config.ports.base! + i) : await freePorts(config.host, count, placement?.portRange);
  let next = 0;
  const take = () => ports[next++];
  const proxyApi = take();
  const controller = take();
  const frontdoor = take();
  const sites = {} as Record<Site, SitePorts>;
  for (const site of SITES) {
    sites[site] = { san: take(), sanReplication: take(), sanAdmin: take(), apps: { pas: take(), booking: take(), theatre: take() } };
  }
  const proxies: Record<string, number> = {};
  for (const name of names) proxies[name] = take();
  const hosts = Object.fromEntries(componentNames().map((c) => [c, placement ? placement.hostOf(c) : config.host]));
  return { host: config.host, bind: placement?.bind ?? config.host, hosts, proxyApi, controller, frontdoor, sites, proxies };
}

/** The address component `name` is reached at by the other components. */
export function hostOf(t: Topology, name: string): string {
  return t.hosts[name] ?? t.host;
}

export function proxySpecs(t: Topology, primary: Site = 'dc1'): ProxySpec[] {
  const at = (component: string, port: number) => `${hostOf(t, component)}:${port}`;
  const replica = SITES.find((s) => s !== primary)!;
  const upstream: Record<string, string> = {
    frontdoor: at('frontdoor', t.frontdoor),
    heartbeat: at(`${primary}-pas`, t.sites[primary].apps.pas),
    replication: at(`${replica}-san`, t.sites[replica].sanReplication),
  };
  for (const site of SITES) {
    upstream[`${site}-san`] = at(`${site}-san`, t.sites[site].san);
    for (const svc of SERVICES) upstream[`${site}-${svc}`] = at(`${site}-${svc}`, t.sites[site].apps[svc]);
  }
  return Object.entries(t.proxies).map(([name, port]) => ({ name, listen: `${t.bind}:${port}`, upstream: upstream[name] }));
}

/**
 * How long a port picked from a range stays reserved for the process that picked it: time for its
 * components to bind it. After that the port is taken (a bind shows it) or free again.
 */
export const PORT_RESERVATION_MS = 60_000;
const RESERVATIONS = join(tmpdir(), 'blackstart-ports');

/**
 * Reserves a port across processes: a file per port, created exclusively, naming the pid. Two
 * harnesses picking at once (two drills started together) each see a port free after the other
 * picked it and before its component bound it, and could choose the same one (26 ports each from
 * 10,000: about one pair of starts in 15);
 * a reservation of another live process younger than PORT_RESERVATION_MS is now skipped.
 */
function reservePort(port: number): boolean {
  mkdirSync(RESERVATIONS, { recursive: true });
  const file = join(RESERVATIONS, String(port));
  const mine = JSON.stringify({ pid: process.pid, at: Date.now() });
  try {
    writeFileSync(file, mine, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return true;
  }
  let held: { pid?: number; at?: number } = {};
  try {
    held = JSON.parse(readFileSync(file, 'utf8')) as typeof held;
  } catch {
    // Being written by its owner this instant: held.
    return false;
  }
  const alive = (() => {
    try {
      process.kill(held.pid ?? 0, 0);
      return Boolean(held.pid);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  })();
  // Also this process's own: two estates it starts at once must not share a port either.
  if (alive && Date.now() - (held.at ?? 0) < PORT_RESERVATION_MS) return false;
  // Stale, or its owner gone: take it over (a rename replaces it in one step), then make sure
  // another process taking it over at the same moment did not win.
  const next = `${file}.${process.pid}`;
  writeFileSync(next, mine);
  renameSync(next, file);
  try {
    return readFileSync(file, 'utf8') === mine;
  } catch {
    return false;
  }
}

/** `count` ports free on `host` now (from `range`, reserved across processes; else any the OS gives). */
export async function freePorts(host: string, count: number, range?: [number, number]): Promise<number[]> {
  const servers: net.Server[] = [];
  const tried = new Set<number>();
  const listen = (port: number) =>
    new Promise<net.Server | undefined>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', (e: NodeJS.ErrnoException) => (range && (e.code === 'EADDRINUSE' || e.code === 'EACCES') ? resolve(undefined) : reject(e)));
      server.listen(port, host, () => resolve(server));
    });
  try {
    while (servers.length < count) {
      let port = 0;
      if (range) {
        if (tried.size >= range[1] - range[0]) throw new Error(`no ${count} free ports in ${range[0]}-${range[1] - 1} on ${host}`);
        do port = range[0] + Math.floor(Math.random() * (range[1] - range[0]));
        while (tried.has(port));
        tried.add(port);
      }
      const server = await listen(port);
      if (server && range && !reservePort(port)) {
        await new Promise((r) => server.close(r));
        continue;
      }
      if (server) servers.push(server);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}
