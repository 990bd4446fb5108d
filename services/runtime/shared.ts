import { SERVICES, SITES, type Site, type Topology } from '../estate/topology';
import type { ComponentHandle, Estate, EstateEndpoints, SiteHandle } from './runtime';

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
