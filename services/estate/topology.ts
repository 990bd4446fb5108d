import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalComponents, type EstateConfig } from './config';
import { loadEstateFile } from './estate_file';
import { estateFileOf } from './regional';

import { SERVICES, type Service, type Site } from '../../model/estate';

export { SERVICES, type Service, type Site };

/** The links of the regional estate, each a proxy (estates/regional.yaml; docs/ARCHITECTURE.md § 3). */
export function proxyNames(): string[] {
  return estateNames().links;
}

/** Every component of the regional estate by name, as a runtime runs them: the proxy first. */
export function componentNames(): string[] {
  return estateNames().components;
}

/** The names a drill may use for an estate's parts: what a fault can act on. */
export interface EstateNames {
  /** Proxies (network faults). */
  links: string[];
  /** Processes or containers (freeze). */
  components: string[];
  /** Power domains (power_cut, power_flap, storage_cut). */
  sites: Site[];
  /** The sites that take part in failover (not a witness): what `active` and `standby` resolve among. */
  servingSites: Site[];
  /** Components that cannot run on a runtime: no `process` spec, no `docker` spec (an estate file's; none for an external system). */
  lacking: { process: string[]; docker: string[] };
}

/**
 * The links, components and sites of an estate of this configuration. The estates blackstart
 * starts share one layout; an external system has the sites and components its block names, and
 * one link (`frontdoor`, the clients' path) only when blackstart's proxy is put in it.
 */
export function estateNames(config?: EstateConfig): EstateNames {
  if (config?.runtime === 'external' && config.external) {
    const x = config.external;
    return { links: x.proxy_clients ? ['frontdoor'] : [], components: externalComponents(x), sites: [...x.sites], servingSites: [...x.sites], lacking: { process: [], docker: [] } };
  }
  // An estate file's own names, the regional estate's when none is named (a FileProblemsError
  // when the file cannot be used); the proxy server is a component too (a freeze may name it).
  const file = config ? estateFileOf(config) : estateFileOf({ runtime: 'process' } as EstateConfig);
  const plan = loadEstateFile(file!, config?.parameters);
  return {
    links: plan.links.map((l) => l.name),
    components: ['proxy', ...plan.components.map((c) => c.name)],
    sites: plan.sites,
    servingSites: plan.servingSites,
    lacking: { process: plan.components.filter((c) => !c.spec.process).map((c) => c.name), docker: plan.components.filter((c) => !c.spec.docker).map((c) => c.name) },
  };
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
