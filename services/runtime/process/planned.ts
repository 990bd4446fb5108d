import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Site } from '../../../model/estate';
import { estateRecordFile } from '../../../model/estate_record';
import type { EstateConfig } from '../../estate/config';
import { configValues } from '../../estate/config_refs';
import { render, type EstatePlan, type PlannedComponent } from '../../estate/estate_file';
import { allocatePorts, plannedEndpoints, plannedHealth, plannedProxies, plannedSiteLinks, plannedSites } from '../planned';
import type { ComponentHandle, Estate } from '../runtime';
import { estateLookups, newEstateId, waitServing, writeEstateRecord } from '../shared';
import { embeddedProxyProcess, ProcessComponent, type ProcessLaunch, type StartOptions } from './runtime';
import { COMPONENT_MARK } from './tree';

/**
 * The process runtime: an estate file's estate (services/estate/estate_file.ts; the regional one,
 * estates/regional.yaml, when a drill names none), every component a child process on 127.0.0.1
 * started from its `process` spec, every link a proxy of the embedded server, started in the
 * file's order. Faults follow the file (services/runtime/planned.ts): a power cut kills every
 * component of the site, a storage cut acts on the links to its `storage` components, a freeze
 * stops one component (docs/ARCHITECTURE.md § 11).
 */
export async function startPlannedEstate(config: EstateConfig, plan: EstatePlan, options: StartOptions = {}): Promise<Estate> {
  const log = options.log ?? (() => {});
  const host = config.host;
  for (const c of plan.components) {
    if (!c.spec.process) throw new Error(`${plan.file}: component ${c.name} has no process spec: it cannot run on the process runtime`);
  }

  const id = newEstateId();
  const dataDir = resolve(config.data_dir ?? join(resolve(options.stateRoot ?? '.blackstart/estates'), id));
  mkdirSync(join(dataDir, 'logs'), { recursive: true });

  const allocated = await allocatePorts(plan, config, [20000, 30000]);
  const { apiPort } = allocated;
  const proxyConfig = join(dataDir, 'proxies.json');
  writeFileSync(proxyConfig, JSON.stringify(plannedProxies(plan, allocated, host, () => host), null, 2));
  const endpoints = plannedEndpoints(plan, host, allocated);
  const settings = configValues(config);

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
    const at = { estateId: id, dataDir, host, ports: allocated.ports, linkPorts: allocated.linkPorts, apiPort, settings };
    const component = new ProcessComponent(c.name, c.site as Site | undefined, () => launchOf(plan, c, at), join(dataDir, 'logs', `${c.name}.log`), writeRecord);
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
    // Serving: every service ready through the entry (the regional estate: its SAN primary, the
    // controller armed, the front door routing), so a drill's load starts on an estate that serves.
    if (plan.entry.ready !== undefined) await waitServing(endpoints, Math.max(options.readyTimeoutMs ?? 30_000, 30_000), plan.entry.ready);
  } catch (e) {
    await stopAll();
    rmSync(estateRecordFile(dataDir), { force: true });
    throw e;
  }
  writeRecord();

  const sites = plannedSites(plan, byName, start);
  let stopped = false;
  return {
    id,
    runtime: 'process',
    config,
    ports: allocated.ports,
    endpoints,
    dataDir,
    proxyServer: { kind: 'embedded' },
    components,
    ...estateLookups(sites, new Map<string, ComponentHandle>(components.map((c) => [c.name, c])), plan.servingSites),
    siteLinks: plannedSiteLinks(plan),
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
  at: {
    estateId: string;
    dataDir: string;
    host: string;
    ports: Record<string, Record<string, number>>;
    linkPorts: Record<string, number>;
    apiPort: number;
    settings: Record<string, string>;
  },
): ProcessLaunch {
  const dataDir = join(at.dataDir, 'components', c.name);
  const rendered = render(plan, c, {
    ports: at.ports,
    linkPorts: at.linkPorts,
    proxyHost: at.host,
    proxyApiPort: at.apiPort,
    config: at.settings,
    hostOf: () => at.host,
    bind: at.host,
    dataDir,
    env: process.env,
  });
  const user = c.spec.process!.user === undefined ? undefined : userIds(c.spec.process!.user);
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
    health: plannedHealth(c, at.host, at.ports),
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
