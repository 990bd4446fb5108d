import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SERVICES, SITES, type Site } from '../../../model/estate';
import { estateRecordFile, type EstateEndpoints } from '../../../model/estate_record';
import type { EstateConfig } from '../../estate/config';
import { render, type EstatePlan, type PlannedComponent } from '../../estate/estate_file';
import { freePorts, type Topology } from '../../estate/topology';
import type { ComponentHandle, Estate, SiteHandle } from '../runtime';
import { estateLookups, newEstateId, writeEstateRecord } from '../shared';
import { embeddedProxyProcess, ProcessComponent, type ProcessLaunch, type StartOptions } from './runtime';
import { COMPONENT_MARK } from './tree';

/**
 * An estate file's estate (services/estate/estate_file.ts) on the process runtime: every component
 * a child process on 127.0.0.1 started from its `process` spec, every link a proxy of the embedded
 * server, started in the file's order. Faults follow the file: a power cut kills every component
 * of the site, a storage cut acts on the links to its `storage` components, a freeze stops one
 * component (docs/ARCHITECTURE.md § 11).
 */
export async function startPlannedEstate(config: EstateConfig, plan: EstatePlan, options: StartOptions = {}): Promise<Estate> {
  const log = options.log ?? (() => {});
  const host = config.host;
  for (const c of plan.components) {
    if (!c.spec.process) throw new Error(`${plan.file}: component ${c.name} has no process spec: it cannot run on the process runtime`);
  }
  const unknownSites = plan.sites.filter((s) => !(SITES as readonly string[]).includes(s));
  if (unknownSites.length) throw new Error(`${plan.file}: sites ${unknownSites.join(', ')}: this version drills the sites ${SITES.join(' and ')}`);

  const id = newEstateId();
  const dataDir = resolve(config.data_dir ?? join(resolve(options.stateRoot ?? '.blackstart/estates'), id));
  mkdirSync(join(dataDir, 'logs'), { recursive: true });

  // Ports: the proxy API, each link's listen port, each component's `auto` ports (below the ephemeral range).
  const autoPorts = plan.components.flatMap((c) => Object.entries(c.spec.ports).filter(([, p]) => p === 'auto').map(([name]) => ({ c: c.name, name })));
  const picked = await freePorts(host, 1 + plan.links.length + autoPorts.length, [20000, 30000]);
  const apiPort = picked[0];
  const linkPorts = Object.fromEntries(plan.links.map((l, i) => [l.name, picked[1 + i]]));
  const ports: Record<string, Record<string, number>> = Object.fromEntries(
    plan.components.map((c) => [c.name, Object.fromEntries(Object.entries(c.spec.ports).filter(([, p]) => p !== 'auto') as [string, number][])]),
  );
  autoPorts.forEach((p, i) => (ports[p.c][p.name] = picked[1 + plan.links.length + i]));

  const proxies = plan.links.map((l) => ({ name: l.name, listen: `${host}:${linkPorts[l.name]}`, upstream: `${host}:${ports[l.to.component][l.to.port]}` }));
  const proxyConfig = join(dataDir, 'proxies.json');
  writeFileSync(proxyConfig, JSON.stringify(proxies, null, 2));

  const url = (port: number) => `http://${host}:${port}`;
  const none = Object.fromEntries(SERVICES.map((s) => [s, ''])) as EstateEndpoints['services'];
  const endpoints: EstateEndpoints = {
    proxyApi: url(apiPort),
    controller: '',
    frontdoorAdmin: '',
    services: { ...none, ...Object.fromEntries(Object.entries(plan.entry.services).map(([svc, path]) => [svc, `${url(linkPorts[plan.entry.link])}${path.replace(/\/$/, '')}`])) },
    sites: Object.fromEntries(SITES.map((s) => [s, { sanAdmin: '', apps: none }])) as EstateEndpoints['sites'],
  };

  const components: ProcessComponent[] = [];
  const writeRecord = () =>
    writeEstateRecord({
      id,
      dataDir,
      startedAt: new Date().toISOString(),
      harnessPid: process.pid,
      endpoints,
      runtime: 'process',
      pids: Object.fromEntries(components.map((c) => [c.name, c.id ? Number(c.id) : undefined])),
    });
  const proxy = embeddedProxyProcess(host, apiPort, proxyConfig, join(dataDir, 'logs'), writeRecord);
  components.push(proxy);
  const byName = new Map<string, ProcessComponent>();
  for (const c of plan.components) {
    const component = new ProcessComponent(c.name, c.site as Site | undefined, () => launchOf(plan, c, { estateId: id, dataDir, host, ports, linkPorts }), join(dataDir, 'logs', `${c.name}.log`), writeRecord);
    components.push(component);
    byName.set(c.name, component);
  }
  const stopAll = async () => {
    await Promise.all([...components].reverse().map((c) => c.terminate()));
  };
  const start = (c: ProcessComponent) => c.start(options.readyTimeoutMs);

  try {
    await start(proxy);
    for (const group of plan.startOrder) {
      await Promise.all(group.map((name) => start(byName.get(name)!)));
      log(`started ${group.join(', ')}`);
    }
  } catch (e) {
    await stopAll();
    rmSync(estateRecordFile(dataDir), { force: true });
    throw e;
  }
  writeRecord();

  const planned = new Map(plan.components.map((c) => [c.name, c]));
  const sites = new Map<Site, SiteHandle>(
    plan.sites.map((name) => {
      const site = name as Site;
      const processes = components.filter((c) => c.site === site);
      const handle: SiteHandle = {
        name: site,
        processes,
        powerCut: () => processes.forEach((c) => c.kill()),
        // A cold start in the file's order: what a component starts after comes up first.
        restore: async () => {
          for (const group of plan.startOrder) {
            await Promise.all(group.map((n) => byName.get(n)!).filter((c) => c.site === site && !c.running).map(start));
          }
        },
      };
      return [site, handle];
    }),
  );
  const linksTo = (site: Site, storage: boolean) =>
    plan.links.filter((l) => planned.get(l.to.component)?.site === site && (!storage || planned.get(l.to.component)?.role === 'storage')).map((l) => l.name);
  let stopped = false;
  return {
    id,
    runtime: 'process',
    config,
    topology: plannedTopology(host, apiPort, linkPorts),
    endpoints,
    dataDir,
    proxyServer: { kind: 'embedded' },
    components,
    ...estateLookups(sites, new Map<string, ComponentHandle>(components.map((c) => [c.name, c]))),
    siteLinks: (site) => ({ power: linksTo(site, false), storage: linksTo(site, true) }),
    readyPath: plan.entry.ready ?? null,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopAll();
      rmSync(estateRecordFile(dataDir), { force: true });
    },
  };
}

/** A planned component's process: its command with every reference resolved, its files written first. */
function launchOf(
  plan: EstatePlan,
  c: PlannedComponent,
  at: { estateId: string; dataDir: string; host: string; ports: Record<string, Record<string, number>>; linkPorts: Record<string, number> },
): ProcessLaunch {
  const dataDir = join(at.dataDir, 'components', c.name);
  const rendered = render(plan, c, { ports: at.ports, linkPorts: at.linkPorts, proxyHost: at.host, hostOf: () => at.host, bind: at.host, dataDir, env: process.env });
  const user = c.spec.process!.user === undefined ? undefined : userIds(c.spec.process!.user);
  const health = c.spec.health;
  return {
    command: rendered.command!,
    args: rendered.args,
    // The mark every process of the component inherits: its whole tree is found, even re-parented.
    env: { ...process.env, ...rendered.env, [COMPONENT_MARK]: `${at.estateId}/${c.name}` },
    // A component run as another user starts in its own data directory (which it owns): the
    // estate file's directory may not be readable by that user.
    cwd: rendered.cwd ?? (user ? dataDir : plan.baseDir),
    uid: user?.uid,
    gid: user?.gid,
    health: health.http ? { url: `http://${at.host}:${at.ports[c.name][health.http.port]}${health.http.path}` } : { tcp: { host: at.host, port: at.ports[c.name][health.tcp!.port] } },
    prepare: () => {
      mkdirSync(dataDir, { recursive: true });
      for (const f of rendered.files) writeFileSync(join(dataDir, f.name), f.content);
      if (user) chownSync(dataDir, user.uid, user.gid);
    },
    stopSignal: c.spec.stop.signal,
    graceMs: c.spec.stop.grace,
  };
}

/** A user's uid and gid (`id`), for a component that must not run as root. */
function userIds(user: string): { uid: number; gid: number } {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(`user ${user} does not exist on this host (a component runs as it)`);
  }
}

/** The regional Topology's shape, for the few callers that read it: the proxy API and the links. */
function plannedTopology(host: string, apiPort: number, linkPorts: Record<string, number>): Topology {
  const none = { san: 0, sanReplication: 0, sanAdmin: 0, apps: { pas: 0, booking: 0, theatre: 0 } };
  return { host, bind: host, hosts: {}, proxyApi: apiPort, controller: 0, frontdoor: 0, sites: { dc1: none, dc2: none }, proxies: linkPorts };
}
