import { SERVICES, type Site } from '../../model/estate';
import type { EstateEndpoints } from '../../model/estate_record';
import type { EstateConfig } from '../estate/config';
import type { EstatePlan, PlannedComponent, PortRef } from '../estate/estate_file';
import { freePorts } from '../estate/topology';
import type { ComponentHandle, SiteHandle, SiteLinks } from './runtime';
import type { Health } from './shared';

/**
 * What every runtime does alike with an estate file's plan (services/estate/estate_file.ts): its
 * ports, the harness's endpoints, the sites (power cut and cold start in the file's order) and the
 * links each site's faults act on. The process runtime (process/planned.ts) and the docker runtime
 * (docker/runtime.ts) differ only in how a component runs.
 */

/** Every port of a planned estate: the proxy API, each link's listen port, each component's named ports. */
export interface PlannedPorts {
  apiPort: number;
  linkPorts: Record<string, number>;
  ports: Record<string, Record<string, number>>;
}

/**
 * Fixed from `ports.base`, else picked from `range`: below the ephemeral range, so a port bound a
 * moment (process) or seconds (docker) after it was picked cannot be taken meanwhile by an
 * outgoing connection. From a base, in the order: the proxy API, the `auto` ports of the shared
 * components, then of each site's in turn (a site's ports together; the file's order within),
 * then the links: for the regional estate, the layout it has always had.
 */
export async function allocatePorts(plan: EstatePlan, config: EstateConfig, range: [number, number]): Promise<PlannedPorts> {
  const siteOrder = (c: { site: string | undefined }) => (c.site === undefined ? -1 : plan.sites.indexOf(c.site));
  const inLayout = [...plan.components].sort((a, b) => siteOrder(a) - siteOrder(b));
  const autoPorts = inLayout.flatMap((c) =>
    Object.entries(c.spec.ports)
      .filter(([, p]) => p === 'auto')
      .map(([name]) => ({ c: c.name, name })),
  );
  const count = 1 + autoPorts.length + plan.links.length;
  const base = config.ports.base;
  const picked = base !== undefined ? Array.from({ length: count }, (_, i) => base + i) : await freePorts(config.host, count, range);
  const ports: Record<string, Record<string, number>> = Object.fromEntries(
    plan.components.map((c) => [c.name, Object.fromEntries(Object.entries(c.spec.ports).filter(([, p]) => p !== 'auto') as [string, number][])]),
  );
  autoPorts.forEach((p, i) => (ports[p.c][p.name] = picked[1 + i]));
  const linkPorts = Object.fromEntries(plan.links.map((l, i) => [l.name, picked[1 + autoPorts.length + i]]));
  return { apiPort: picked[0], linkPorts, ports };
}

/** The estate's endpoints as the harness reaches them (on `host`): the entry's services, and what the file's `endpoints` name ('' where not: hasEndpoint). */
export function plannedEndpoints(plan: EstatePlan, host: string, p: PlannedPorts): EstateEndpoints {
  const url = (port: number) => `http://${host}:${port}`;
  const at = (ref: PortRef | undefined) => (ref ? url(p.ports[ref.component][ref.port]) : '');
  const none = Object.fromEntries(SERVICES.map((s) => [s, ''])) as EstateEndpoints['services'];
  const x = plan.endpoints;
  const entry = url(p.linkPorts[plan.entry.link]);
  return {
    proxyApi: url(p.apiPort),
    controller: at(x.controller),
    frontdoorAdmin: at(x.frontdoorAdmin),
    services: { ...none, ...Object.fromEntries(Object.entries(plan.entry.services).map(([svc, path]) => [svc, `${entry}${path.replace(/\/$/, '')}`])) },
    sites: Object.fromEntries(
      plan.servingSites.map((s) => [s, { sanAdmin: at(x.sites[s]?.sanAdmin), apps: { ...none, ...Object.fromEntries(Object.entries(x.sites[s]?.apps ?? {}).map(([svc, ref]) => [svc, at(ref)])) } }]),
    ),
  };
}

/** A component's health check as the harness runs it: its `health` on its allocated ports at `host`. */
export function plannedHealth(c: PlannedComponent, host: string, ports: PlannedPorts['ports']): Health {
  const h = c.spec.health;
  return h.http ? { url: `http://${host}:${ports[c.name][h.http.port]}${h.http.path}` } : { tcp: { host, port: ports[c.name][h.tcp!.port] } };
}

/** The proxies of the estate's links (/populate format): listening on `bind`, each to its component's port at `hostOf`. */
export function plannedProxies(plan: EstatePlan, p: PlannedPorts, bind: string, hostOf: (component: string) => string): { name: string; listen: string; upstream: string }[] {
  return plan.links.map((l) => ({ name: l.name, listen: `${bind}:${p.linkPorts[l.name]}`, upstream: `${hostOf(l.to.component)}:${p.ports[l.to.component][l.to.port]}` }));
}

/**
 * The links a site's faults act on, from the file: a power cut darkens the links whose far end is
 * at the site, but not those a failover controller re-points (their toxics would follow them to
 * the other site); a storage cut acts on those of them that lead to its `storage` components.
 */
export function plannedSiteLinks(plan: EstatePlan): (site: Site) => SiteLinks {
  const planned = new Map(plan.components.map((c) => [c.name, c]));
  const linksTo = (site: Site, storage: boolean) =>
    plan.links
      .filter((l) => planned.get(l.to.component)?.site === site && !l.repointed && (!storage || planned.get(l.to.component)?.role === 'storage'))
      .map((l) => l.name);
  return (site) => {
    // The paths into the site first, its storage last (the order the dark toxics go on in).
    const storage = linksTo(site, true);
    return { power: [...linksTo(site, false).filter((l) => !storage.includes(l)), ...storage], storage };
  };
}

/** `void` when every result is (the process runtime's signals), else a promise of them all, its rejection handled. */
function settled(results: (void | Promise<void>)[]): void | Promise<void> {
  if (results.every((r) => r === undefined)) return;
  const all = Promise.all(results).then(() => undefined);
  all.catch(() => undefined); // each failure is logged by its component
  return all;
}

/**
 * The estate's sites: a power cut kills every component of the site at once (every request sent
 * before any is awaited); a restore cold-starts the site's components in the file's start order,
 * so what a component starts after comes up first (the regional estate: the SAN, then its apps).
 */
export function plannedSites<C extends ComponentHandle>(plan: EstatePlan, byName: Map<string, C>, start: (c: C) => Promise<void>): Map<Site, SiteHandle> {
  return new Map(
    plan.sites.map((site) => {
      const processes = [...byName.values()].filter((c) => c.site === site);
      const handle: SiteHandle = {
        name: site,
        processes,
        powerCut: () => settled(processes.map((c) => c.kill())),
        restore: async () => {
          for (const group of plan.startOrder) {
            await Promise.all(group.map((n) => byName.get(n)!).filter((c) => c.site === site && !c.running).map(start));
          }
        },
      };
      return [site, handle];
    }),
  );
}
