import { join } from 'node:path';
import type { ControllerOptions } from '../controller/controller';
import type { FrontdoorOptions } from '../frontdoor/frontdoor';
import type { SanOptions } from '../san/server';
import type { EstateConfig } from './config';
import { SERVICES, SITES, type Service, type Site, type Topology } from './topology';

/** What a runtime needs to run one component: its kind, its options, and how to tell it is up. */
export type ComponentSpec =
  | { name: 'proxy'; kind: 'proxy'; site?: undefined; options: { host: string; port: number; config: string }; healthUrl: string }
  | { name: string; kind: 'san'; site: Site; options: SanOptions; healthUrl: string }
  | { name: string; kind: 'app'; site: Site; options: AppOptions; healthUrl: string }
  | { name: 'controller'; kind: 'controller'; site?: undefined; options: ControllerOptions; healthUrl: string }
  | { name: 'frontdoor'; kind: 'frontdoor'; site?: undefined; options: FrontdoorOptions; healthUrl: string };

export interface AppOptions {
  service: Service;
  site: Site;
  host: string;
  port: number;
  /** The SAN as the app reaches it: the `SITE-san` proxy. */
  san: { host: string; port: number };
  sanTimeoutMs: number;
}

/** The estate's components, wired through the proxies of the topology. */
export function componentSpecs(config: EstateConfig, t: Topology, dataDir: string): ComponentSpec[] {
  const h = t.host;
  const url = (port: number, path = '') => `http://${h}:${port}${path}`;
  const viaProxy = (name: string) => ({ host: h, port: t.proxies[name] });
  const specs: ComponentSpec[] = [
    { name: 'proxy', kind: 'proxy', options: { host: h, port: t.proxyApi, config: join(dataDir, 'proxies.json') }, healthUrl: url(t.proxyApi, '/version') },
  ];
  for (const site of SITES) {
    const p = t.sites[site];
    specs.push({
      name: `${site}-san`,
      kind: 'san',
      site,
      healthUrl: url(p.sanAdmin, '/health'),
      options: {
        site,
        host: h,
        dataDir,
        appPort: p.san,
        replicationPort: p.sanReplication,
        adminPort: p.sanAdmin,
        replicationTarget: viaProxy('replication'),
        replication: {
          mode: config.replication.mode,
          onPeerUnreachable: config.replication.on_peer_unreachable,
          syncTimeoutMs: config.replication.sync_timeout_ms,
        },
        controllerUrl: url(t.controller),
        rolePollMs: 100,
        // A primary cut off from the controller stops writing before a failover could complete.
        leaseMs: config.failover.heartbeat_ms * config.failover.detect_after,
      },
    });
    for (const service of SERVICES) {
      specs.push({
        name: `${site}-${service}`,
        kind: 'app',
        site,
        healthUrl: url(p.apps[service], '/health/live'),
        options: { service, site, host: h, port: p.apps[service], san: viaProxy(`${site}-san`), sanTimeoutMs: config.san.timeout_ms },
      });
    }
  }
  specs.push({
    name: 'controller',
    kind: 'controller',
    healthUrl: url(t.controller, '/health'),
    options: {
      host: h,
      port: t.controller,
      stateFile: join(dataDir, 'controller.json'),
      sites: Object.fromEntries(
        SITES.map((s) => [
          s,
          {
            sanAdmin: url(t.sites[s].sanAdmin),
            heartbeatUpstream: `${h}:${t.sites[s].apps.pas}`,
            replicationUpstream: `${h}:${t.sites[s].sanReplication}`,
          },
        ]),
      ),
      initialPrimary: 'dc1',
      heartbeatUrl: url(t.proxies.heartbeat, '/health/ready'),
      heartbeatMs: config.failover.heartbeat_ms,
      detectAfter: config.failover.detect_after,
      promotion: config.failover.promotion,
      promotionDelayMs: config.failover.promotion_delay_ms,
      holdDownMs: config.failover.hold_down_ms,
      proxyApi: url(t.proxyApi),
      proxies: { heartbeat: 'heartbeat', replication: 'replication' },
      frontdoorAdmin: url(t.frontdoor),
    },
  });
  specs.push({
    name: 'frontdoor',
    kind: 'frontdoor',
    healthUrl: url(t.frontdoor, '/_frontdoor/health'),
    options: {
      host: h,
      port: t.frontdoor,
      upstreams: Object.fromEntries(
        SITES.map((s) => [s, Object.fromEntries(SERVICES.map((svc) => [svc, `${h}:${t.proxies[`${s}-${svc}`]}`])) as Record<Service, string>]),
      ),
      controllerUrl: url(t.controller),
      initialSite: 'dc1',
      upstreamTimeoutMs: config.frontdoor.upstream_timeout_ms,
    },
  });
  return specs;
}
