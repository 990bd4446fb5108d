import { connect } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import { estateRecordFile, hasEndpoint, type EstateRecord } from '../../model/estate_record';
import { controllerClient } from '../controller/client';
import { SERVICES, type Site } from '../estate/topology';
import type { ComponentHandle, Estate, EstateEndpoints, SiteHandle } from './runtime';

/** A new estate's id: time, harness pid, and a random suffix (unique across harnesses on one host). */
export function newEstateId(): string {
  return `estate-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Ready = every service the estate has answers ready through the front door (its proxy included),
 * and the failover controller, if the estate has one, is watching: a fault struck before its first
 * healthy heartbeat would never be failed over (it does not take a site that was never up for a
 * failed one).
 */
export async function waitServing(endpoints: EstateEndpoints, timeoutMs: number, readyPath = '/health/ready'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const pending = new Set(SERVICES.filter((s) => endpoints.services[s] !== ''));
  let last = '';
  while (pending.size > 0) {
    for (const svc of [...pending]) {
      try {
        const res = await fetch(`${endpoints.services[svc]}${readyPath}`, { signal: AbortSignal.timeout(1000) });
        last = `${svc}: ${res.status} ${await res.text()}`;
        if (res.ok) pending.delete(svc);
      } catch (e) {
        last = `${svc}: ${(e as Error).message}`;
      }
    }
    if (pending.size === 0) break;
    if (performance.now() > deadline) throw new Error(`estate not serving within ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!hasEndpoint(endpoints.controller)) return;
  const controller = controllerClient(endpoints.controller, 1000);
  for (;;) {
    try {
      const active = await controller.active();
      if (active.watching !== false) return;
      last = `controller: not yet watching ${active.site}`;
    } catch (e) {
      last = `controller: ${(e as Error).message}`;
    }
    if (performance.now() > deadline) throw new Error(`estate not serving within ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** How the harness knows a component is up: an HTTP URL answering 2xx, or a TCP port accepting. */
export type Health = { url: string } | { tcp: { host: string; port: number } };

type Alive = () => boolean | Promise<boolean>;
type Describe = () => string | Promise<string>;

/** Waits until `health` passes; `alive()` false aborts with `describe()` (the component died). */
export function waitUntilHealthy(health: Health, timeoutMs: number, alive: Alive, describe: Describe): Promise<void> {
  return 'url' in health ? waitHealthy(health.url, timeoutMs, alive, describe) : waitTcp(health.tcp, timeoutMs, alive, describe);
}

/** Tries to connect to `tcp` until it accepts; `alive()` false aborts (the component died). */
export async function waitTcp(tcp: { host: string; port: number }, timeoutMs: number, alive: Alive, describe: Describe): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!(await alive())) throw new Error(await describe());
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
export async function waitHealthy(url: string, timeoutMs: number, alive: Alive, describe: Describe): Promise<void> {
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

/** The sites and the `site()` and `component()` lookups of an Estate, with errors that list what exists. */
export function estateLookups(sites: Map<Site, SiteHandle>, byName: Map<string, ComponentHandle>, serving: readonly Site[]): Pick<Estate, 'sites' | 'servingSites' | 'site' | 'component'> {
  return {
    sites: [...sites.keys()],
    servingSites: [...serving],
    site: (name) => {
      const s = sites.get(name);
      if (!s) throw new Error(`unknown site ${name} (sites: ${[...sites.keys()].join(', ')})`);
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

export function writeEstateRecord(record: EstateRecord): void {
  writeFileSync(estateRecordFile(record.dataDir), JSON.stringify(record, null, 2));
}

