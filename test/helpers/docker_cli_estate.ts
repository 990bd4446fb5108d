import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEstateConfig, type EstateConfigInput } from '../../services/estate/config';
import { configValues } from '../../services/estate/config_refs';
import { loadEstateFile, render } from '../../services/estate/estate_file';
import { REGIONAL_ESTATE_FILE } from '../../services/estate/regional';
import { ESTATE_IMAGE, PROXY_IMAGE } from '../../services/runtime/docker/images';
import { allocatePorts, plannedEndpoints, plannedProxies } from '../../services/runtime/planned';
import { waitHealthy, waitServing } from '../../services/runtime/shared';
import type { EstateEndpoints } from '../../services/runtime';

/**
 * An estate started OUTSIDE the harness, with the docker CLI alone, the way the docker runtime
 * lays out the regional estate file (estates/regional.yaml; services/runtime/docker/runtime.ts):
 * the same images, one network, one container per component reaching the others by name, each
 * component with `data: true` on a volume, its files copied to /data, every port published on
 * 127.0.0.1 under the same number. blackstart then drills it as an external system (runtime
 * external): it knows only the URLs and the container names its hooks use.
 */
export interface CliEstate {
  /** Containers are `<prefix>-<component>`: `<prefix>-dc1-san`, ... */
  prefix: string;
  /** Every component's named ports: `ports['dc1-san'].admin`, `ports.frontdoor.http`, ... */
  ports: Record<string, Record<string, number>>;
  endpoints: EstateEndpoints;
  /** docker rm -f, volume rm, network rm: everything it created. */
  remove(): void;
}

/** Paths inside the containers, as the docker runtime has them. */
const PROXY_CONFIG = '/etc/blackstart/proxies.json';
const DATA = '/data';
const LABEL = 'blackstart.test-cli-estate';
/** Also the docker runtime's estate label: `blackstart down --all` finds what a killed test left. */
const ESTATE_LABEL = 'blackstart.estate';

function docker(args: string[], timeoutMs = 60_000): string {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`docker ${args.slice(0, 3).join(' ')} ...: exit ${r.status}: ${r.stderr || r.error?.message}`);
  return r.stdout.trim();
}

export async function startEstateWithDockerCli(input: EstateConfigInput, readyTimeoutMs = 90_000): Promise<CliEstate> {
  const config = parseEstateConfig({ ...input, runtime: 'docker' });
  const plan = loadEstateFile(REGIONAL_ESTATE_FILE);
  const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const prefix = `blackstart-cli-${id}`;
  const name = (component: string) => `${prefix}-${component}`;
  const network = prefix;
  const withData = plan.components.filter((c) => c.spec.data);
  const allocated = await allocatePorts(plan, config, [10000, 20000]);
  const dir = mkdtempSync(join(tmpdir(), 'blackstart-cli-estate-'));
  const proxiesFile = join(dir, 'proxies.json');
  writeFileSync(proxiesFile, JSON.stringify(plannedProxies(plan, allocated, '0.0.0.0', name)));

  const labels = ['--label', `${LABEL}=${id}`, '--label', `${ESTATE_LABEL}=${prefix}`];
  const remove = () => {
    process.off('exit', remove);
    const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}=${id}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { encoding: 'utf8', timeout: 60_000 });
    spawnSync('docker', ['volume', 'rm', '-f', ...withData.map((c) => name(c.name))], { encoding: 'utf8' });
    spawnSync('docker', ['network', 'rm', network], { encoding: 'utf8' });
  };
  // A test that ends without removing it (an exception past its afterAll, a timeout) still does.
  process.once('exit', remove);
  try {
    docker(['network', 'create', ...labels, network]);
    for (const c of withData) docker(['volume', 'create', ...labels, name(c.name)]);
    const publish = (ports: number[]) => ports.flatMap((p) => ['-p', `${config.host}:${p}:${p}`]);
    const proxyCommand = ['proxy', JSON.stringify({ host: '0.0.0.0', port: allocated.apiPort, config: PROXY_CONFIG })];
    docker(['create', '--name', name('proxy'), '--network', network, ...labels, ...publish([allocated.apiPort, ...Object.values(allocated.linkPorts)]), '-v', `${proxiesFile}:${PROXY_CONFIG}:ro`, PROXY_IMAGE, ...proxyCommand]);
    for (const c of plan.components) {
      const rendered = render(plan, c, {
        ports: allocated.ports,
        linkPorts: allocated.linkPorts,
        proxyHost: name('proxy'),
        proxyApiPort: allocated.apiPort,
        config: configValues(config),
        hostOf: name,
        bind: '0.0.0.0',
        dataDir: DATA,
        env: process.env,
      });
      const args = ['create', '--name', name(c.name), '--network', network, ...labels, ...publish(Object.values(allocated.ports[c.name]))];
      for (const [k, v] of Object.entries(rendered.env)) args.push('-e', `${k}=${v}`);
      if (c.spec.data) args.push('-v', `${name(c.name)}:${DATA}`);
      args.push(c.spec.docker!.image === ESTATE_IMAGE ? ESTATE_IMAGE : c.spec.docker!.image, ...(rendered.dockerCommand ?? []));
      docker(args);
      // Its files into /data before its first start (docker cp copies a directory's contents with `/.`).
      const files = join(dir, c.name);
      mkdirSync(files);
      for (const f of rendered.files) writeFileSync(join(files, f.name), f.content);
      docker(['cp', `${files}/.`, `${name(c.name)}:${DATA}`]);
    }
    // The links first, as the runtimes do; the others wait for their peers by themselves.
    docker(['start', name('proxy')]);
    await waitHealthy(`http://${config.host}:${allocated.apiPort}/version`, readyTimeoutMs, () => true, () => 'proxy');
    docker(['start', ...plan.components.map((c) => name(c.name))]);
    const endpoints = plannedEndpoints(plan, config.host, allocated);
    await waitServing(endpoints, readyTimeoutMs);
    return { prefix, ports: allocated.ports, endpoints, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
