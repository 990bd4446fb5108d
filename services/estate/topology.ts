import * as net from 'node:net';
import type { EstateConfig } from './config';

export const SITES = ['dc1', 'dc2'] as const;
export type Site = (typeof SITES)[number];
export const SERVICES = ['pas', 'booking', 'theatre'] as const;
export type Service = (typeof SERVICES)[number];

export interface SitePorts {
  san: number;
  sanReplication: number;
  sanAdmin: number;
  apps: Record<Service, number>;
}

/** Every address of the estate: the components' own ports and the proxies between them. */
export interface Topology {
  host: string;
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

/** The links of the estate, each a proxy: DESIGN.md § 3. */
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

/** Port layout: fixed from `ports.base`, else free ports picked now. */
export async function allocateTopology(config: EstateConfig): Promise<Topology> {
  const names = proxyNames();
  const count = 3 + SITES.length * PORTS_PER_SITE + names.length;
  const ports = config.ports.base !== undefined ? Array.from({ length: count }, (_, i) => config.ports.base! + i) : await freePorts(config.host, count);
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
  return { host: config.host, proxyApi, controller, frontdoor, sites, proxies };
}

export function proxySpecs(t: Topology, primary: Site = 'dc1'): ProxySpec[] {
  const at = (port: number) => `${t.host}:${port}`;
  const replica = SITES.find((s) => s !== primary)!;
  const upstream: Record<string, string> = {
    frontdoor: at(t.frontdoor),
    heartbeat: at(t.sites[primary].apps.pas),
    replication: at(t.sites[replica].sanReplication),
  };
  for (const site of SITES) {
    upstream[`${site}-san`] = at(t.sites[site].san);
    for (const svc of SERVICES) upstream[`${site}-${svc}`] = at(t.sites[site].apps[svc]);
  }
  return Object.entries(t.proxies).map(([name, port]) => ({ name, listen: at(port), upstream: upstream[name] }));
}

async function freePorts(host: string, count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => resolve());
      });
      servers.push(server);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}
