import type { EstateConfig } from '../estate/config';
import type { Service, Site, Topology } from '../estate/topology';

/** A running component as the harness sees it: enough to cut its power or freeze it. */
export interface ComponentHandle {
  readonly name: string;
  readonly site?: Site;
  /** OS pid (process runtime) or container id (docker runtime); undefined while down. */
  readonly id: string | undefined;
  readonly running: boolean;
  readonly frozen: boolean;
  /** Power off: no shutdown, no flush (SIGKILL / docker kill). */
  kill(): void;
  /** Cold start with the same configuration and data. */
  start(): Promise<void>;
  freeze(): void;
  thaw(): void;
}

export interface SiteHandle {
  readonly name: Site;
  readonly processes: readonly ComponentHandle[];
  /** Every component of the site killed at once. */
  powerCut(): void;
  /** Every killed component of the site started cold. */
  restore(): Promise<void>;
}

export interface EstateEndpoints {
  /** The Toxiproxy API every link is configured through. */
  proxyApi: string;
  controller: string;
  /** The front door's own admin (not proxied). */
  frontdoorAdmin: string;
  /** What clients use: the front door through its proxy, one base URL per service. */
  services: Record<Service, string>;
  sites: Record<Site, { sanAdmin: string; apps: Record<Service, string> }>;
}

/** A started estate (testcontainers' "started" object): use it, then stop() it. */
export interface Estate {
  readonly id: string;
  readonly runtime: EstateConfig['runtime'];
  readonly config: EstateConfig;
  readonly topology: Topology;
  readonly endpoints: EstateEndpoints;
  readonly dataDir: string;
  site(name: Site): SiteHandle;
  component(name: string): ComponentHandle;
  readonly components: readonly ComponentHandle[];
  stop(): Promise<void>;
}
