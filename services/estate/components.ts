import type { ControllerOptions } from '../controller/controller';
import type { FrontdoorOptions } from '../frontdoor/frontdoor';
import type { SanOptions } from '../san/server';
import type { Service, Site } from './topology';

/**
 * blackstart's own components as services/main.ts runs them (`<kind> <options-json>`): each kind
 * and its options. The regional estate wires them in estates/regional.yaml (each component's
 * options.json); the runtimes start only the proxy server from a spec of their own.
 */
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
  /** The SAN as the app reaches it: the `SITE-san` proxy (an estate file gives `host:port`). */
  san: { host: string; port: number } | string;
  sanTimeoutMs: number;
}
