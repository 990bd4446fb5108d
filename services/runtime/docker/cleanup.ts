/**
 * What the docker runtime labels, and how everything it started is found and removed again:
 * by the runtime itself (stop, failed start, process exit), by `blackstart down`, and by
 * `blackstart restore` (through killEstate, records.ts) after a killed harness.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { dockerClient } from './images';

/** Labels on every container, volume and network of a docker estate. */
export const LABELS = {
  /** The estate's id: every object of the estate. */
  estate: 'blackstart.estate',
  /** dc1 / dc2: the site's containers and volumes (a `data: true` component's, e.g. its SAN's). */
  site: 'blackstart.site',
  /** proxy, dc1-san, dc1-pas, ..., controller, frontdoor. */
  component: 'blackstart.component',
  /** The state directory the estate's record is under (what `blackstart down` in a directory looks for). */
  root: 'blackstart.root',
  /** The harness process that started it. */
  harness: 'blackstart.harness',
} as const;

export interface Leftovers {
  containers: { id: string; name: string; estate: string; state: string }[];
  volumes: { name: string; estate: string }[];
  networks: { id: string; name: string; estate: string }[];
}

/** A label filter: one estate, every estate of a state root, or every blackstart estate. */
export type Scope = { estate: string } | { root: string } | { all: true };

function labelFilter(scope: Scope): string[] {
  if ('estate' in scope) return [`${LABELS.estate}=${scope.estate}`];
  if ('root' in scope) return [LABELS.estate, `${LABELS.root}=${scope.root}`];
  return [LABELS.estate];
}

/** Every container, volume and network with a blackstart estate label in scope, through the Docker API. */
export async function findLeftovers(scope: Scope, docker?: Dockerode): Promise<Leftovers> {
  const d = docker ?? (await dockerClient());
  const filters = JSON.stringify({ label: labelFilter(scope) });
  const [containers, volumes, networks] = await Promise.all([d.listContainers({ all: true, filters }), d.listVolumes({ filters }), d.listNetworks({ filters })]);
  return {
    containers: containers.map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), estate: c.Labels[LABELS.estate], state: c.State })),
    volumes: (volumes.Volumes ?? []).map((v) => ({ name: v.Name, estate: v.Labels?.[LABELS.estate] ?? '' })),
    networks: networks.map((n) => ({ id: n.Id, name: n.Name, estate: n.Labels?.[LABELS.estate] ?? '' })),
  };
}

const gone = (e: unknown) => [404, 409].includes((e as { statusCode?: number }).statusCode ?? 0);

/**
 * Removes every container (forced: a running or paused one is killed), then the volumes and
 * networks, with the label in scope. Returns what it removed; repeats once for objects still in
 * use by a container removed meanwhile.
 */
export async function removeLeftovers(scope: Scope, docker?: Dockerode): Promise<Leftovers> {
  const d = docker ?? (await dockerClient());
  const removed: Leftovers = { containers: [], volumes: [], networks: [] };
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await findLeftovers(scope, d);
    if (found.containers.length + found.volumes.length + found.networks.length === 0) break;
    await Promise.all(
      found.containers.map(async (c) => {
        try {
          await d.getContainer(c.id).remove({ force: true, v: true });
          removed.containers.push(c);
        } catch (e) {
          if (!gone(e)) throw e;
        }
      }),
    );
    const results = await Promise.allSettled([
      ...found.volumes.map(async (v) => {
        await d.getVolume(v.name).remove();
        removed.volumes.push(v);
      }),
      ...found.networks.map(async (n) => {
        await d.getNetwork(n.id).remove();
        removed.networks.push(n);
      }),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !((r.reason as { statusCode?: number }).statusCode === 404));
    if (!failed) continue;
    if (attempt === 2) throw failed.reason;
    await new Promise((r) => setTimeout(r, 200));
  }
  return removed;
}

/**
 * The same without the event loop, through the docker CLI: for a process `exit` handler and for
 * synchronous callers (killEstate). Best effort; returns the names removed, or why it could not.
 */
export function removeLeftoversSync(estateId: string, timeoutMs = 30_000): { removed: string[]; error?: string } {
  const filter = `label=${LABELS.estate}=${estateId}`;
  const docker = (args: string[]) => spawnSync('docker', args, { encoding: 'utf8', timeout: timeoutMs });
  const list = (args: string[]) => {
    const r = docker(args);
    if (r.error || r.status !== 0) throw new Error(r.error?.message ?? r.stderr.trim());
    return r.stdout.split('\n').filter(Boolean);
  };
  try {
    const removed: string[] = [];
    const containers = list(['ps', '-a', '--filter', filter, '--format', '{{.Names}}']);
    if (containers.length) {
      docker(['rm', '-f', '-v', ...containers]);
      removed.push(...containers);
    }
    const volumes = list(['volume', 'ls', '-q', '--filter', filter]);
    if (volumes.length) {
      docker(['volume', 'rm', '-f', ...volumes]);
      removed.push(...volumes.map((v) => `volume ${v}`));
    }
    const networks = list(['network', 'ls', '--filter', filter, '--format', '{{.Name}}']);
    if (networks.length) {
      docker(['network', 'rm', ...networks]);
      removed.push(...networks.map((n) => `network ${n}`));
    }
    return { removed };
  } catch (e) {
    return { removed: [], error: (e as Error).message };
  }
}

/** Docker estates of this process not stopped yet (id -> record file): removed by the `exit` handler below. */
const live = new Map<string, string>();
let hooked = false;

export function trackEstate(id: string, recordFile: string): void {
  live.set(id, recordFile);
  if (hooked) return;
  hooked = true;
  // The last resort when the harness exits without stopping its estate (process.exit, an
  // uncaught error): the event loop is gone, so the docker CLI does it synchronously.
  process.on('exit', () => {
    for (const [estate, recordFile] of live) {
      const r = removeLeftoversSync(estate, 15_000);
      if (!r.error) rmSync(recordFile, { force: true });
      process.stderr.write(`blackstart: estate ${estate} was still running at exit: ${r.error ? `could not remove it (${r.error}); run blackstart down` : `removed ${r.removed.length} objects`}\n`);
    }
  });
}

export function untrackEstate(id: string): void {
  live.delete(id);
}
