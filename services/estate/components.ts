import { join } from 'node:path';
import type { ControllerOptions } from '../controller/controller';
import type { FrontdoorOptions } from '../frontdoor/frontdoor';
import type { SanOptions } from '../san/server';
import type { EstateConfig } from './config';
import { hostOf, SERVICES, SITES, type Service, type Site, type Topology } from './topology';

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

/** Where components keep their files, as the components see them. */
export interface ComponentPaths {
  /** The proxies to create at start (proxySpecs, /populate format). */
  proxyConfig: string;
  /** The directory of a site's SAN (its SQLite file). */
  sanDataDir: (site: Site) => string;
  controllerState: string;
}

/** Every file under one directory: the process runtime's layout. */
export function pathsUnder(dataDir: string): ComponentPaths {
  return { proxyConfig: join(dataDir, 'proxies.json'), sanDataDir: () => dataDir, controllerState: join(dataDir, 'controller.json') };
}

/**
 * The estate's components, wired through the proxies of the topology. Components listen on
 * `t.bind` and reach one another at `t.hosts`; `healthUrl` is how the harness checks one (on `t.host`).
 */
export function componentSpecs(config: EstateConfig, t: Topology, data: string | ComponentPaths): ComponentSpec[] {
  const paths = typeof data === 'string' ? pathsUnder(data) : data;
  const b = t.bind;
  /** The harness's view (health checks). */
  const harnessUrl = (port: number, path = '') => `http://${t.host}:${port}${path}`;
  /** A peer's view of component `name`. */
  const url = (name: string, port: number, path = '') => `http://${hostOf(t, name)}:${port}${path}`;
  const viaProxy = (name: string) => ({ host: hostOf(t, 'proxy'), port: t.proxies[name] });
  const specs: ComponentSpec[] = [
    { name: 'proxy', kind: 'proxy', options: { host: b, port: t.proxyApi, config: paths.proxyConfig }, healthUrl: harnessUrl(t.proxyApi, '/version') },
  ];
  for (const site of SITES) {
    const p = t.sites[site];
    specs.push({
      name: `${site}-san`,
      kind: 'san',
      site,
      healthUrl: harnessUrl(p.sanAdmin, '/health'),
      options: {
        site,
        host: b,
        dataDir: paths.sanDataDir(site),
        appPort: p.san,
        replicationPort: p.sanReplication,
        adminPort: p.sanAdmin,
        replicationTarget: viaProxy('replication'),
        replication: {
          mode: config.replication.mode,
          onPeerUnreachable: config.replication.on_peer_unreachable,
          syncTimeoutMs: config.replication.sync_timeout_ms,
        },
        controllerUrl: url('controller', t.controller),
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
        healthUrl: harnessUrl(p.apps[service], '/health/live'),
        options: { service, site, host: b, port: p.apps[service], san: viaProxy(`${site}-san`), sanTimeoutMs: config.san.timeout_ms },
      });
    }
  }
  specs.push({
    name: 'controller',
    kind: 'controller',
    healthUrl: harnessUrl(t.controller, '/health'),
    options: {
      host: b,
      port: t.controller,
      stateFile: paths.controllerState,
      sites: Object.fromEntries(
        SITES.map((s) => [
          s,
          {
            sanAdmin: url(`${s}-san`, t.sites[s].sanAdmin),
            heartbeatUpstream: `${hostOf(t, `${s}-pas`)}:${t.sites[s].apps.pas}`,
            replicationUpstream: `${hostOf(t, `${s}-san`)}:${t.sites[s].sanReplication}`,
          },
        ]),
      ),
      initialPrimary: 'dc1',
      heartbeatUrl: url('proxy', t.proxies.heartbeat, '/health/ready'),
      heartbeatMs: config.failover.heartbeat_ms,
      detectAfter: config.failover.detect_after,
      promotion: config.failover.promotion,
      promotionDelayMs: config.failover.promotion_delay_ms,
      holdDownMs: config.failover.hold_down_ms,
      proxyApi: url('proxy', t.proxyApi),
      proxies: { heartbeat: 'heartbeat', replication: 'replication' },
      frontdoorAdmin: url('frontdoor', t.frontdoor),
    },
  });
  specs.push({
    name: 'frontdoor',
    kind: 'frontdoor',
    healthUrl: harnessUrl(t.frontdoor, '/_frontdoor/health'),
    options: {
      host: b,
      port: t.frontdoor,
      upstreams: Object.fromEntries(
        SITES.map((s) => [s, Object.fromEntries(SERVICES.map((svc) => [svc, `${hostOf(t, 'proxy')}:${t.proxies[`${s}-${svc}`]}`])) as Record<Service, string>]),
      ),
      controllerUrl: url('controller', t.controller),
      initialSite: 'dc1',
      upstreamTimeoutMs: config.frontdoor.upstream_timeout_ms,
    },
  });
  return specs;
}
