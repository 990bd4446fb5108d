import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EstateConfigInput } from '../../services/estate/config';
import { findLeftovers, type Leftovers, type Scope } from '../../services/runtime/docker/cleanup';
import { buildImages } from '../../services/runtime/docker/images';
import { startEstate, type Estate } from '../../services/runtime';

// No reaper image here: the runtime cleans up itself (and this must hold before testcontainers loads).
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

let cached: { ok: boolean; reason?: string } | undefined;

/**
 * Is a Docker daemon answering? Synchronous (describe blocks cannot wait): pings the Docker API
 * (DOCKER_HOST, else /var/run/docker.sock) from a child process, bounded to 5 s.
 */
export function dockerAvailable(): { ok: boolean; reason?: string } {
  if (cached) return cached;
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  const script = `
    const http = require('node:http');
    const h = process.argv[1];
    const target = h.startsWith('unix://') ? { socketPath: h.slice(7) } : (() => { const u = new URL(h.replace(/^tcp:/, 'http:')); return { host: u.hostname, port: u.port || 2375 }; })();
    const req = http.get({ ...target, path: '/_ping', timeout: 4000 }, (res) => {
      let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => { process.stdout.write(res.statusCode + ' ' + body); process.exit(res.statusCode === 200 ? 0 : 1); });
    });
    req.on('timeout', () => { process.stdout.write('timeout'); process.exit(1); });
    req.on('error', (e) => { process.stdout.write(e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, host], { encoding: 'utf8', timeout: 5000 });
  cached = r.status === 0 ? { ok: true } : { ok: false, reason: `no Docker daemon at ${host} (${(r.stdout || r.error?.message || 'no answer').trim()})` };
  return cached;
}

/**
 * `describe` for tests that need Docker: skipped, with the reason in the test name and a warning,
 * where Docker is missing; with CI=true a missing Docker is a failing test instead.
 */
export function describeDocker(name: string, fn: () => void): void {
  const docker = dockerAvailable();
  if (docker.ok) return describe(name, fn);
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs Docker (CI=true: a missing Docker fails the run)', () => {
        throw new Error(`Docker is not available: ${docker.reason}`);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": Docker is not available: ${docker.reason}`);
  describe.skip(`${name} [SKIPPED: Docker not available: ${docker.reason}]`, fn);
}

const ROOT = resolve(__dirname, '..', '..');

/** The images built from the code as it is (incremental: about a second when nothing changed). */
export async function ensureImages(): Promise<void> {
  await buildImages({ root: ROOT, log: (l) => (process.env.BLACKSTART_TEST_VERBOSE ? console.log(l) : undefined) });
}

/**
 * Failover settings for docker tests: detection after 1 s of silence. Containers starting next to
 * other tests on 2 cores can stall a heartbeat for a few hundred ms; the process tests' 300 ms
 * (FAST_FAILOVER) would then fail over before anything was cut.
 */
export const DOCKER_FAILOVER = { heartbeat_ms: 200, detect_after: 5, promotion_delay_ms: 100, hold_down_ms: 600_000 };

export function startDockerTestEstate(config: EstateConfigInput = {}, stateRoot = mkdtempSync(join(tmpdir(), 'blackstart-docker-'))): Promise<Estate> {
  return startEstate({ runtime: 'docker', failover: DOCKER_FAILOVER, ...config }, { stateRoot, readyTimeoutMs: 60_000 });
}

export const nothingLeft = (l: Leftovers) => ({ containers: l.containers.map((c) => c.name), volumes: l.volumes.map((v) => v.name), networks: l.networks.map((n) => n.name) });
export const EMPTY = { containers: [], volumes: [], networks: [] };

/** What is labelled in scope, through the Docker API, as names. */
export async function labelled(scope: Scope): Promise<{ containers: string[]; volumes: string[]; networks: string[] }> {
  return nothingLeft(await findLeftovers(scope));
}

/** The same through the docker CLI (`docker ps -a`, `docker volume ls`, `docker network ls` with a label filter). */
export function labelledByCli(label: string): { containers: string[]; volumes: string[]; networks: string[] } {
  const ls = (args: string[]) => {
    const r = spawnSync('docker', [...args, '--filter', `label=${label}`, '--format', '{{.Names}}'.replace('Names', args[0] === 'ps' ? 'Names' : 'Name')], { encoding: 'utf8', timeout: 15_000 });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr || r.error?.message}`);
    return r.stdout.split('\n').filter(Boolean);
  };
  return { containers: ls(['ps', '-a']), volumes: ls(['volume', 'ls']), networks: ls(['network', 'ls']) };
}

/** Whether the real Toxiproxy image is on this Docker host: the runtime then uses it for the proxies. */
export async function toxiproxyPresent(): Promise<boolean> {
  const { dockerClient, TOXIPROXY_IMAGE } = await import('../../services/runtime/docker/images');
  return (await dockerClient())
    .getImage(TOXIPROXY_IMAGE)
    .inspect()
    .then(() => true, () => false);
}
