import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEstateConfig, type EstateConfigInput } from '../../services/estate/config';
import { componentSpecs, type ComponentSpec } from '../../services/estate/components';
import { allocateTopology, proxySpecs, SITES, type Topology } from '../../services/estate/topology';
import { ESTATE_IMAGE, PROXY_IMAGE } from '../../services/runtime/docker/images';
import { endpointsOf, waitHealthy, waitServing } from '../../services/runtime/shared';
import type { EstateEndpoints } from '../../services/runtime';

/**
 * An estate started OUTSIDE the harness, with the docker CLI alone, the way the docker runtime
 * lays it out (services/runtime/docker/runtime.ts): the same images, one network, one container per
 * component reaching the others by name, each SAN on a volume, the ports the harness uses
 * published on 127.0.0.1 under the same numbers. blackstart then drills it as an external system
 * (runtime external): it knows only the URLs and the container names its hooks use.
 */
export interface CliEstate {
  /** Containers are `<prefix>-<component>`: `<prefix>-dc1-san`, ... */
  prefix: string;
  topology: Topology;
  endpoints: EstateEndpoints;
  /** docker rm -f, volume rm, network rm: everything it created. */
  remove(): void;
}

/** Paths inside the containers, as the docker runtime has them. */
const PROXY_CONFIG = '/etc/blackstart/proxies.json';
const SAN_DATA = '/data';
const CONTROLLER_STATE = '/tmp/controller.json';
const LABEL = 'blackstart.test-cli-estate';
/** Also the docker runtime's estate label: `blackstart down --all` finds what a killed test left. */
const ESTATE_LABEL = 'blackstart.estate';

function docker(args: string[], timeoutMs = 60_000): string {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`docker ${args.slice(0, 3).join(' ')} ...: exit ${r.status}: ${r.stderr || r.error?.message}`);
  return r.stdout.trim();
}

/** The ports of a component the harness reaches (as the docker runtime publishes them). */
function published(spec: ComponentSpec, t: Topology): number[] {
  switch (spec.kind) {
    case 'proxy':
      return [t.proxyApi, ...Object.values(t.proxies)];
    case 'san':
      return [t.sites[spec.site].sanAdmin];
    case 'app':
      return [spec.options.port];
    case 'controller':
      return [t.controller];
    case 'frontdoor':
      return [t.frontdoor];
  }
}

export async function startEstateWithDockerCli(input: EstateConfigInput, readyTimeoutMs = 90_000): Promise<CliEstate> {
  const config = parseEstateConfig({ ...input, runtime: 'docker' });
  const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const prefix = `blackstart-cli-${id}`;
  const name = (component: string) => `${prefix}-${component}`;
  const network = prefix;
  const volume = (site: string) => `${prefix}-${site}-san`;
  const topology = await allocateTopology(config, { bind: '0.0.0.0', hostOf: name, portRange: [10000, 20000] });
  const specs = componentSpecs(config, topology, { proxyConfig: PROXY_CONFIG, sanDataDir: () => SAN_DATA, controllerState: CONTROLLER_STATE });
  const dir = mkdtempSync(join(tmpdir(), 'blackstart-cli-estate-'));
  const proxiesFile = join(dir, 'proxies.json');
  writeFileSync(proxiesFile, JSON.stringify(proxySpecs(topology)));

  const labels = ['--label', `${LABEL}=${id}`, '--label', `${ESTATE_LABEL}=${prefix}`];
  const remove = () => {
    process.off('exit', remove);
    const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}=${id}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { encoding: 'utf8', timeout: 60_000 });
    spawnSync('docker', ['volume', 'rm', '-f', ...SITES.map(volume)], { encoding: 'utf8' });
    spawnSync('docker', ['network', 'rm', network], { encoding: 'utf8' });
  };
  // A test that ends without removing it (an exception past its afterAll, a timeout) still does.
  process.once('exit', remove);
  try {
    docker(['network', 'create', ...labels, network]);
    for (const s of SITES) docker(['volume', 'create', ...labels, volume(s)]);
    for (const spec of specs) {
      const args = ['create', '--name', name(spec.name), '--network', network, ...labels];
      for (const p of published(spec, topology)) args.push('-p', `${config.host}:${p}:${p}`);
      if (spec.kind === 'san') args.push('-v', `${volume(spec.site)}:${SAN_DATA}`);
      if (spec.kind === 'proxy') args.push('-v', `${proxiesFile}:${PROXY_CONFIG}:ro`);
      args.push(spec.kind === 'proxy' ? PROXY_IMAGE : ESTATE_IMAGE, spec.kind, JSON.stringify(spec.options));
      docker(args);
    }
    // The links first, as the runtimes do; the others wait for their peers by themselves.
    const proxy = specs.find((s) => s.kind === 'proxy')!;
    docker(['start', name('proxy')]);
    await waitHealthy(proxy.healthUrl, readyTimeoutMs, () => true, () => 'proxy');
    docker(['start', ...specs.filter((s) => s.kind !== 'proxy').map((s) => name(s.name))]);
    const endpoints = endpointsOf(topology);
    await waitServing(endpoints, readyTimeoutMs);
    return { prefix, topology, endpoints, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
