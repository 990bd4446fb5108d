/**
 * The external runtime (docs/ARCHITECTURE.md § 3): a system blackstart drills but does not start
 * (a vendor's acceptance system, a staging estate). Its components are endpoints named in the
 * estate's `external` block; the faults blackstart cannot perform itself are hooks
 * (model/hooks.ts, run by ./hooks.ts) that the fault objects find through `estate.hooks`.
 *
 * What blackstart starts here is its embedded proxy (a child process, as on the process runtime):
 * with `proxy_clients` it carries the one link it can put in, `frontdoor` (the load to the
 * services), and network faults act on it as on any estate; without, it holds no link, and the
 * residue check still has a proxy API to read.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { estateRecordFile, type EstateEndpoints, type FreezeUndo } from '../../../model/estate_record';
import { hookEnvRefs, refusedUrl, type HookedFault, type HookStep } from '../../../model/hooks';
import { SERVICES, type Site } from '../../../model/estate';
import { externalComponents, hookVars, originOf, parseEstateConfig, type EstateConfig, type EstateConfigInput, type ExternalConfig } from '../../estate/config';
import { freePorts } from '../../estate/topology';
import { embeddedProxyProcess, type BuiltinProcessComponent, type StartOptions } from '../process/runtime';
import type { ComponentHandle, Estate, EstateHooks, SiteHandle } from '../runtime';
import { estateLookups, newEstateId, writeEstateRecord } from '../shared';
import { runWithProbe } from './hooks';

/** Every environment variable the hooks refer to, with the first field that needs it. */
export function hookEnvNeeds(x: ExternalConfig): { name: string; where: string }[] {
  const needs = new Map<string, string>();
  for (const [kind, hooks] of Object.entries(x.hooks)) {
    if (!hooks) continue;
    for (const part of ['inject', 'rollback', 'status', 'rollback_status'] as const) {
      for (const name of hookEnvRefs(hooks[part])) if (!needs.has(name)) needs.set(name, `estate.external.hooks.${kind}.${part}`);
    }
  }
  return [...needs].map(([name, where]) => ({ name, where }));
}

/** The hooks capability of an external estate: the block's hooks, run with its variables and allowed hosts. */
export function externalHooks(x: ExternalConfig, log: (line: string) => void = () => {}): EstateHooks {
  const of = (kind: HookedFault) => x.hooks[kind];
  const need = (kind: HookedFault) => {
    const h = of(kind);
    if (!h) throw new Error(`the external estate has no hook for ${kind} (estate.external.hooks.${kind})`);
    return h;
  };
  const source = (kind: HookedFault, part: string) => `estate.external.hooks.${kind}.${part}`;
  // A freeze names a component: its site is the one its name starts with (`dc1-pas`), if any.
  const fill = (vars: Record<string, string>) => {
    const site = vars.site ?? (vars.component ? siteOfComponent(vars.component, x.sites) : undefined);
    return hookVars(x, { ...vars, ...(site ? { site } : {}) });
  };
  const options = (kind: HookedFault, part: string, vars: Record<string, string>) => ({
    vars: fill(vars),
    allowedHosts: x.allowed_hosts,
    where: source(kind, part),
    log,
  });
  return {
    of,
    rollbackStep: (kind, vars): HookStep => {
      const h = need(kind);
      return {
        type: 'hook',
        fault: kind,
        source: source(kind, 'rollback'),
        hook: h.rollback,
        ...(h.rollback_status ? { status: h.rollback_status } : {}),
        vars: fill(vars),
        allowed_hosts: [...x.allowed_hosts],
      };
    },
    inject: async (kind, vars) => {
      const h = need(kind);
      await runWithProbe(h.inject, h.status, options(kind, 'inject', vars), source(kind, 'status'));
    },
    rollback: async (kind, vars) => {
      const h = need(kind);
      await runWithProbe(h.rollback, h.rollback_status, options(kind, 'rollback', vars), source(kind, 'rollback_status'));
    },
  };
}

/**
 * A component of the external system: an endpoint, never a process of blackstart's. It counts as
 * running (blackstart cannot tell otherwise); a freeze runs the freeze hooks, and what cannot be
 * done through a hook is refused with the reason.
 */
class EndpointComponent implements ComponentHandle {
  readonly id = undefined;
  readonly running = true;
  frozen = false;

  constructor(
    readonly name: string,
    readonly site: Site | undefined,
    private readonly hooks: EstateHooks,
  ) {}

  private vars() {
    return { component: this.name, ...(this.site ? { site: this.site } : {}) };
  }
  kill(): never {
    throw new Error(`${this.name} belongs to an external system: blackstart cannot kill it (a power cut of its site runs the power_cut hooks)`);
  }
  async start(): Promise<void> {
    throw new Error(`${this.name} belongs to an external system: blackstart cannot start it`);
  }
  async freeze(): Promise<void> {
    await this.hooks.inject('freeze', this.vars());
    this.frozen = true;
  }
  async thaw(): Promise<void> {
    await this.hooks.rollback('freeze', this.vars());
    this.frozen = false;
  }
  /** The hook's own rollback is journaled by the freeze fault: nothing of a pid or container. */
  freezeUndo(): FreezeUndo[] {
    return [];
  }
}

/** The site a component name belongs to (`dc1-pas` -> dc1), if it names one of the sites. */
const siteOfComponent = (name: string, sites: readonly Site[]): Site | undefined => sites.find((s) => name.startsWith(`${s}-`));

/**
 * Starts blackstart's side of an external estate (its proxy) and checks the system answers.
 * Refuses before anything runs when a URL is off the allowed hosts or an environment variable
 * the hooks need is not set.
 */
export async function startExternalEstate(input: EstateConfigInput, options: StartOptions = {}): Promise<Estate> {
  const config: EstateConfig = parseEstateConfig(input);
  const x = config.external;
  if (config.runtime !== 'external' || !x) throw new Error('startExternalEstate: runtime external needs an external block');
  const log = options.log ?? (() => {});

  // Again at run time: the file may have been validated elsewhere, and the environment is now.
  const urls: [string, string][] = [
    ...SERVICES.map((s): [string, string] => [`estate.external.services.${s}`, x.services[s]]),
    ...(x.controller ? [['estate.external.controller', x.controller] as [string, string]] : []),
    ...Object.entries(x.ledger.san_admin ?? {}).map(([s, u]): [string, string] => [`estate.external.ledger.san_admin.${s}`, u!]),
  ];
  for (const [where, url] of urls) {
    const refused = refusedUrl(url, x.allowed_hosts);
    if (refused) throw new Error(`${where} refused: ${refused}`);
  }
  const missing = hookEnvNeeds(x).filter((n) => process.env[n.name] === undefined);
  if (missing.length) {
    throw new Error(`the external estate's hooks need environment variables that are not set: ${missing.map((m) => `${m.name} (${m.where})`).join(', ')}`);
  }

  const id = newEstateId();
  const dataDir = resolve(config.data_dir ?? join(resolve(options.stateRoot ?? '.blackstart/estates'), id));
  mkdirSync(join(dataDir, 'logs'), { recursive: true });

  const [apiPort, frontdoorPort] = await freePorts(config.host, 2, [20000, 30000]);
  const url = (port: number) => `http://${config.host}:${port}`;
  const upstream = x.proxy_clients ? new URL(originOf(x.services.pas)) : undefined;
  const proxies = upstream ? [{ name: 'frontdoor', listen: `${config.host}:${frontdoorPort}`, upstream: `${upstream.hostname}:${upstream.port || '80'}` }] : [];
  const proxyConfig = join(dataDir, 'proxies.json');
  writeFileSync(proxyConfig, JSON.stringify(proxies, null, 2));

  // The load reaches the services through the proxy when it is in the clients' path: the same paths on its listen address.
  const services = Object.fromEntries(
    SERVICES.map((s) => {
      if (!upstream) return [s, x.services[s]];
      const u = new URL(x.services[s]);
      return [s, `${url(frontdoorPort)}${u.pathname.replace(/\/$/, '')}${u.search}`];
    }),
  ) as EstateEndpoints['services'];
  const none = Object.fromEntries(SERVICES.map((s) => [s, ''])) as EstateEndpoints['services'];
  const endpoints: EstateEndpoints = {
    proxyApi: url(apiPort),
    controller: x.controller ?? '',
    frontdoorAdmin: '',
    services,
    sites: Object.fromEntries(x.sites.map((s) => [s, { sanAdmin: x.ledger.san_admin?.[s] ?? '', apps: none }])),
  };

  const writeRecord = () =>
    writeEstateRecord({
      id,
      dataDir,
      startedAt: new Date().toISOString(),
      harnessPid: process.pid,
      endpoints,
      runtime: 'external',
      pids: { proxy: proxy.id ? Number(proxy.id) : undefined },
    });
  const proxy: BuiltinProcessComponent = embeddedProxyProcess(config.host, apiPort, proxyConfig, join(dataDir, 'logs'), writeRecord);
  try {
    await proxy.start(options.readyTimeoutMs);
    writeRecord();
    if (x.ready_path !== null) await waitReady(services, x.ready_path, options.readyTimeoutMs ?? 30_000);
  } catch (e) {
    await proxy.terminate();
    rmSync(estateRecordFile(dataDir), { force: true });
    throw e;
  }
  log(`external estate ${id}: services ${Object.values(services).join(', ')}${upstream ? ` (through blackstart's proxy, link frontdoor -> ${upstream.host})` : ''}`);

  const hooks = externalHooks(x, log);
  const sites = new Map<Site, SiteHandle>(
    x.sites.map((name) => [
      name,
      {
        name,
        processes: [],
        powerCut: () => hooks.inject('power_cut', { site: name }),
        restore: () => hooks.rollback('power_cut', { site: name }),
      },
    ]),
  );
  const byName = new Map<string, ComponentHandle>([['proxy', proxy], ...externalComponents(x).map((c): [string, ComponentHandle] => [c, new EndpointComponent(c, siteOfComponent(c, x.sites), hooks)])]);
  let stopped = false;
  return {
    id,
    runtime: 'external',
    config,
    endpoints,
    dataDir,
    proxyServer: { kind: 'embedded' },
    // What blackstart runs (and the residue check looks at): its proxy. The system's components are its owner's.
    components: [proxy],
    // The system's links are its owner's: its faults go through its hooks, and nothing is darkened.
    siteLinks: () => ({ power: [], storage: [] }),
    readyPath: x.ready_path,
    hooks,
    // Every site of an external system serves (its block names no witness).
    ...estateLookups(sites, byName, x.sites),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await proxy.terminate();
      rmSync(estateRecordFile(dataDir), { force: true });
    },
  };
}

/** Every service answers 2xx at its ready path (through the proxy where it is in the path). */
async function waitReady(services: EstateEndpoints['services'], path: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const pending = new Set(SERVICES);
  let last = '';
  for (;;) {
    for (const s of [...pending]) {
      try {
        const res = await fetch(`${services[s]}${path}`, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
        last = `${s}: ${res.status}`;
        await res.arrayBuffer();
        if (res.ok) pending.delete(s);
      } catch (e) {
        last = `${s}: ${(e as Error).message}`;
      }
    }
    if (pending.size === 0) return;
    if (performance.now() > deadline) throw new Error(`the external system is not ready within ${timeoutMs} ms (${path} on every service; last: ${last})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
