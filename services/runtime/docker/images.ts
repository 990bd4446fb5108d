/**
 * The docker runtime's images, built without a registry (docs/ARCHITECTURE.md § 4):
 *
 * - `blackstart/base:bookworm`: a minimal Debian bookworm (debootstrap --variant=minbase, with
 *   ca-certificates) plus the harness's own Node binary at /usr/local/bin/node, imported with
 *   `docker import`. Debian's nodejs is v18; the project needs Node >= 20.18 (undici 7, engines),
 *   and the image must run the native addon (better-sqlite3) built on the host: the same Node
 *   binary (same ABI) on the same Debian release (same glibc) runs the host's build as it is.
 *   With `fromRegistry`, the public `node:<major>-bookworm-slim` image is the base instead.
 * - `blackstart/estate`: the apps, SAN, controller and front door (one image; the command names
 *   the component): the compiled services/main.js and what it loads, with the production
 *   packages it requires, copied from the host's node_modules.
 * - `blackstart/proxy`: the embedded Toxiproxy-compatible server (services/main.js `proxy`).
 *   With `fromRegistry`, the real Toxiproxy image is pulled too; the runtime prefers it when present.
 * - `blackstart/patroni` (only when asked: `images build --patroni`): the Patroni estate's data tier
 *   (estates/regional-patroni.yaml) on its own base, `blackstart/base-patroni:bookworm`: the same
 *   debootstrapped Debian plus PostgreSQL 15, Patroni, etcd and HAProxy installed from Debian's
 *   packages in the root file system (chroot apt-get, before the import), with the estate's code
 *   on top, so one image runs every component of that estate (etcd, Patroni, HAProxy, the apps on
 *   PostgreSQL); its entry point is empty: the estate file names each component's command.
 *
 * Every image carries `blackstart.inputs`, a hash of what it was built from; a build whose inputs
 * hash is unchanged is skipped, so a rebuild when nothing changed takes about a second.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { withTimeout } from '../../../lib/timeout';

export const BASE_IMAGE = 'blackstart/base:bookworm';
export const ESTATE_IMAGE = 'blackstart/estate:latest';
export const PROXY_IMAGE = 'blackstart/proxy:latest';
export const PATRONI_BASE_IMAGE = 'blackstart/base-patroni:bookworm';
export const PATRONI_IMAGE = 'blackstart/patroni:latest';
/** The Patroni estate's data tier, as `.ci/run` installs it on the host (../shared/PATRONI.md: no recommends). */
export const PATRONI_PACKAGES = ['postgresql-15', 'patroni', 'etcd-server', 'etcd-client', 'python3-etcd', 'haproxy'];
/** The real Toxiproxy, used by the runtime when it is present locally (it is never pulled implicitly). */
export const TOXIPROXY_IMAGE = 'ghcr.io/shopify/toxiproxy:2.12.0';

/** Label: hash of every input of the image. */
export const INPUTS_LABEL = 'blackstart.inputs';
/** Label: hash of the compiled code in the image only (cheap to check at estate start). */
export const CODE_LABEL = 'blackstart.code';
export const IMAGE_LABEL = 'blackstart.image';

export const DEBIAN_SUITE = 'bookworm';
export const DEBIAN_MIRROR = process.env.BLACKSTART_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

/** Where the app lives in the images. */
export const APP_DIR = '/opt/blackstart';

export interface BuildOptions {
  /** The project root (package.json, dist/, node_modules/). */
  root: string;
  /** Start from the public node image instead of a debootstrapped base. */
  fromRegistry?: boolean;
  /** Rebuild even when the inputs are unchanged. */
  force?: boolean;
  log?: (line: string) => void;
  /** Every line of what runs meanwhile (debootstrap's progress, docker build's output), for a status line. */
  activity?: (line: string) => void;
  /** Also the Patroni estate's image (PATRONI_IMAGE, on its own base): about 700 MB and a minute more. */
  patroni?: boolean;
}

export interface BuiltImage {
  name: string;
  /** Built now, or skipped because an image with the same inputs exists. */
  action: 'built' | 'unchanged' | 'pulled';
  inputs: string;
  ms: number;
}

// ------------------------------------------------------------------ docker client

/** The Docker API client, through testcontainers (which finds the socket: DOCKER_HOST, ~/.testcontainers.properties, ...). */
export async function dockerClient(): Promise<Dockerode> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    return (await getContainerRuntimeClient()).container.dockerode;
  } catch (e) {
    throw new Error(`no Docker daemon answers (${(e as Error).message}): start dockerd, or set DOCKER_HOST`);
  }
}

export async function imageLabels(docker: Dockerode, name: string): Promise<Record<string, string> | undefined> {
  try {
    const info = await docker.getImage(name).inspect();
    return info.Config?.Labels ?? {};
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** Follows a build/import/pull progress stream to its end; rejects on the first error message. */
export function follow(docker: Dockerode, stream: NodeJS.ReadableStream, log: (line: string) => void): Promise<void> {
  return new Promise((resolveDone, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: { error?: string; errorDetail?: { message: string } }[]) => {
        const failed = output?.find((o) => o.error || o.errorDetail);
        if (err) reject(err);
        else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
        else resolveDone();
      },
      (event: { stream?: string; status?: string }) => {
        const line = (event.stream ?? event.status ?? '').trimEnd();
        if (line) log(line);
      },
    );
  });
}

// ------------------------------------------------------------------ inputs

/** sha256 over (path, content) of each file, in the given order; the file list names each by its path in the image. */
function hashFiles(files: { path: string; source: string }[], extra: string[] = []): string {
  const h = createHash('sha256');
  for (const e of extra) h.update(e + '\0');
  for (const f of files) {
    h.update(f.path + '\0');
    h.update(readFileSync(f.source));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 24);
}

const isBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);

/** The package a bare specifier names: `a`, `a/b/c` -> `a`; `@s/a/b` -> `@s/a`. */
function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * The compiled files an entry loads, by following `require("...")` in the compiled JS (tsc
 * emits dynamic `import()` of commonjs as `require` too), and the packages they require.
 */
function jsClosure(distRoot: string, roots: { file: string; follow: boolean }[]): { files: string[]; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const { file, follow: deep } = queue.shift()!;
    if (files.has(file)) continue;
    files.add(file);
    if (!deep) continue;
    const text = readFileSync(join(distRoot, file), 'utf8');
    for (const m of text.matchAll(/require\((["'])([^"']+)\1\)/g)) {
      const spec = m[2];
      if (spec.startsWith('.')) {
        const base = posix.normalize(posix.join(posix.dirname(file), spec));
        const candidate = [base, `${base}.js`, `${base}/index.js`, `${base}.json`].find((c) => existsSync(join(distRoot, c)) && statSync(join(distRoot, c)).isFile());
        if (!candidate) throw new Error(`${file}: cannot resolve ${spec} in ${distRoot}`);
        queue.push({ file: candidate, follow: candidate.endsWith('.js') });
      } else if (!isBuiltin(spec)) {
        packages.add(packageOf(spec));
      }
    }
  }
  return { files: [...files].sort(), packages };
}

interface LockPackage {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
}

/** Needed only to install (download a prebuilt addon), never at run time. */
const INSTALL_ONLY = new Set(['prebuild-install']);

/**
 * The node_modules directories a set of packages needs at run time, resolved as Node resolves
 * them (nearest node_modules first), from package-lock.json; optional ones absent on disk are skipped.
 */
function packageClosure(root: string, wanted: Set<string>): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
  const found = new Set<string>();
  const resolveFrom = (from: string, name: string): string | undefined => {
    let dir = from;
    for (;;) {
      const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (lock.packages[candidate] && existsSync(join(root, candidate))) return candidate;
      if (!dir) return undefined;
      const up = dir.lastIndexOf('/node_modules/');
      dir = up < 0 ? '' : dir.slice(0, up);
    }
  };
  const visit = (location: string) => {
    if (found.has(location)) return;
    found.add(location);
    const pkg = lock.packages[location];
    const deps = { ...pkg.dependencies, ...pkg.optionalDependencies };
    for (const name of Object.keys(deps)) {
      if (INSTALL_ONLY.has(name)) continue;
      const at = resolveFrom(location, name);
      if (at) visit(at);
      else if (!pkg.optionalDependencies?.[name]) throw new Error(`${location} needs ${name}, which is not installed: run npm ci`);
    }
  };
  for (const name of wanted) {
    const at = resolveFrom('', name);
    if (!at) throw new Error(`package ${name} is not installed: run npm ci`);
    visit(at);
  }
  return [...found].sort();
}

/** Every file under `dir` (relative paths, sorted), skipping what `skip` names. */
function walk(dir: string, skip: (rel: string, isDir: boolean) => boolean, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (skip(rel, entry.isDirectory())) continue;
    if (entry.isDirectory()) out.push(...walk(dir, skip, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** Files of an installed package the image needs: no nested node_modules (resolved separately), no native build leftovers. */
function packageFiles(root: string, location: string): { path: string; source: string }[] {
  const dir = join(root, location);
  const isAddon = existsSync(join(dir, 'binding.gyp'));
  const skip = (rel: string, isDir: boolean) => {
    if (isDir && rel.split('/').pop() === 'node_modules') return true;
    if (!isAddon) return false;
    // A native addon needs its JS, its package.json and the built .node file only.
    if (isDir) return rel === 'deps' || rel === 'src' || rel === 'build/deps' || rel.startsWith('build/Release/obj') || rel === 'build/Release/.deps';
    return rel.startsWith('build/') && !rel.endsWith('.node');
  };
  return walk(dir, skip)
    .filter((rel) => !(isAddon && rel.endsWith('test_extension.node')))
    .map((rel) => ({ path: `${location}/${rel}`, source: join(dir, rel) }));
}

/** estate: the mock estate's components; proxy: the proxy server; patroni: the estate's code on the Patroni base. */
export type AppImageKind = 'estate' | 'proxy' | 'patroni';

export interface AppImageInputs {
  name: string;
  kind: AppImageKind;
  dockerfile: string;
  /** Files of the image's app directory: path inside APP_DIR and source on the host. */
  files: { path: string; source: string }[];
  /** Hash of the compiled code alone. */
  code: string;
  /** The packages the code requires (their dependencies come along). */
  packages: string[];
}

function dockerfileFor(kind: AppImageKind): string {
  const head = [`ARG BASE=${BASE_IMAGE}`, 'FROM ${BASE}', `COPY app/ ${APP_DIR}/`, `WORKDIR ${APP_DIR}`, 'ENV NODE_ENV=production'];
  if (kind === 'patroni') {
    // Every component names its own command (etcd, patroni, haproxy, node ...); PostgreSQL's own
    // tools (initdb, pg_ctl, pg_rewind) on the PATH, where Patroni looks for them.
    return [...head, 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'ENTRYPOINT []', 'CMD ["bash"]', ''].join('\n');
  }
  return [
    ...head,
    // Exec form: node is PID 1, so `docker kill` is a power cut and `docker stop` a clean SIGTERM.
    `ENTRYPOINT ["node", "${APP_DIR}/dist/services/main.js"]`,
    kind === 'proxy' ? 'CMD ["proxy"]' : 'CMD ["--help"]',
    '',
  ].join('\n');
}

/**
 * The compiled entry points of an image. The proxy image runs `main.js proxy` only: main.js loads
 * each kind's modules lazily, so its closure is main.js itself plus the proxy server's modules.
 */
function codeRoots(kind: AppImageKind): { file: string; follow: boolean }[] {
  return kind !== 'proxy'
    ? [{ file: 'services/main.js', follow: true }]
    : [
        { file: 'services/main.js', follow: false },
        { file: 'proxy/server.js', follow: true },
      ];
}

/** What an app image is built from: compiled code (dist/) and the production packages it requires. */
export function appImageInputs(root: string, kind: AppImageKind): AppImageInputs {
  const dist = join(root, 'dist');
  if (!existsSync(join(dist, 'services', 'main.js'))) throw new Error(`${dist}/services/main.js not found: run npm run build first`);
  const { files: code, packages } = jsClosure(dist, codeRoots(kind));
  const codeFiles = code.map((f) => ({ path: `dist/${f}`, source: join(dist, f) }));
  const modules = packageClosure(root, packages).flatMap((location) => packageFiles(root, location));
  return {
    name: { estate: ESTATE_IMAGE, proxy: PROXY_IMAGE, patroni: PATRONI_IMAGE }[kind],
    kind,
    dockerfile: dockerfileFor(kind),
    files: [...codeFiles, ...modules],
    code: hashFiles(codeFiles),
    packages: [...packages].sort(),
  };
}

/** The cheap check the runtime does at start: the hash of the compiled code an image would be built from now. */
export function currentCode(root: string, kind: AppImageKind): string | undefined {
  const dist = join(root, 'dist');
  if (!existsSync(join(dist, 'services', 'main.js'))) return undefined;
  return hashFiles(jsClosure(dist, codeRoots(kind)).files.map((f) => ({ path: `dist/${f}`, source: join(dist, f) })));
}

// ------------------------------------------------------------------ base image

const BASE_PACKAGES = ['ca-certificates'];
/** Dropped from the root file system before import: docs, locales, apt's caches. */
const BASE_TRIM = ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/locale', 'usr/share/info'];

/** A debootstrapped base image: its name, its label, and what apt installs in it after debootstrap. */
interface BaseSpec {
  name: string;
  label: string;
  /** Installed with apt-get in the root file system (chroot), without recommends; none: debootstrap's alone. */
  apt: string[];
}
const DEFAULT_BASE: BaseSpec = { name: BASE_IMAGE, label: 'base', apt: [] };
const PATRONI_BASE: BaseSpec = { name: PATRONI_BASE_IMAGE, label: 'base-patroni', apt: PATRONI_PACKAGES };

function baseInputs(spec: BaseSpec = DEFAULT_BASE): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ suite: DEBIAN_SUITE, variant: 'minbase', packages: BASE_PACKAGES, mirror: DEBIAN_MIRROR, trim: BASE_TRIM, format: 1 }));
  // The default base's hash is as it was: an existing base image is not rebuilt for this change.
  if (spec.apt.length) h.update(JSON.stringify({ apt: spec.apt, noRecommends: true, policyRcD: 101, createMainCluster: false }));
  h.update(readFileSync(process.execPath));
  return h.digest('hex').slice(0, 24);
}

/**
 * apt-get install in the debootstrapped root file system, as ../shared/PATRONI.md says it must be
 * done in an image: no service may start on install (policy-rc.d exits 101), and no 15/main
 * cluster is created (the estate's Patroni bootstraps its own, as the postgres user).
 */
async function aptInstall(rootfs: string, packages: string[], options: BuildOptions, log: (line: string) => void): Promise<void> {
  writeFileSync(join(rootfs, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  mkdirSync(join(rootfs, 'etc/postgresql-common'), { recursive: true });
  writeFileSync(join(rootfs, 'etc/postgresql-common/createcluster.conf'), 'create_main_cluster = false\n');
  // The host's name resolution, for apt inside the root file system.
  copyFileSync('/etc/resolv.conf', join(rootfs, 'etc/resolv.conf'));
  const env = ['env', 'DEBIAN_FRONTEND=noninteractive', 'LC_ALL=C'];
  const activity = (l: string) => {
    options.activity?.(`apt: ${l}`);
    // dpkg's terminal log wants /dev/pts, which a bare root file system lacks: said, and harmless.
    if (/^(E|W):/.test(l) && !/Is \/dev\/pts mounted/.test(l)) log(`  ${l}`);
  };
  log(`apt-get install ${packages.join(' ')} (no recommends) in the root file system ...`);
  await run('chroot', [rootfs, ...env, 'apt-get', 'update', '-qq'], activity);
  await run('chroot', [rootfs, ...env, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages], activity);
  await run('chroot', [rootfs, 'apt-get', 'clean'], activity);
}

function run(cmd: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (d: Buffer) => {
      tail = (tail + d.toString()).slice(-4000);
      for (const line of d.toString().split('\n')) if (line.trim()) log(line.trimEnd());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (e) => reject(new Error(`${cmd}: ${e.message}${(e as NodeJS.ErrnoException).code === 'ENOENT' ? ' (not installed? apt-get install -y debootstrap)' : ''}`)));
    child.once('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${tail}`))));
  });
}

/** debootstrap a minimal bookworm (and apt-get the spec's packages into it), add this Node binary, import it as the spec's image. */
async function buildBase(docker: Dockerode, options: BuildOptions, log: (line: string) => void, spec: BaseSpec = DEFAULT_BASE): Promise<BuiltImage> {
  const t0 = performance.now();
  const inputs = baseInputs(spec);
  const labels = await imageLabels(docker, spec.name);
  if (!options.force && labels?.[INPUTS_LABEL] === inputs) return { name: spec.name, action: 'unchanged', inputs, ms: performance.now() - t0 };
  if (process.getuid?.() !== 0) throw new Error('building the base image needs root (debootstrap): run as root, or use --from-registry where a registry is reachable');
  const work = mkdtempSync(join(tmpdir(), 'blackstart-rootfs-'));
  const rootfs = join(work, 'rootfs');
  try {
    log(`debootstrap ${DEBIAN_SUITE} (minbase, ${BASE_PACKAGES.join(', ')}) from ${DEBIAN_MIRROR} ...`);
    await run('debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, DEBIAN_SUITE, rootfs, DEBIAN_MIRROR], (l) => {
      options.activity?.(`debootstrap: ${l}`);
      if (/^(E|W):/.test(l)) log(`  ${l}`);
    });
    if (spec.apt.length) await aptInstall(rootfs, spec.apt, options, log);
    for (const dir of BASE_TRIM) {
      rmSync(join(rootfs, dir), { recursive: true, force: true });
      mkdirSync(join(rootfs, dir), { recursive: true });
    }
    copyFileSync(process.execPath, join(rootfs, 'usr/local/bin/node'));
    log(`node ${process.version} (${process.execPath}) added as /usr/local/bin/node`);
    const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [repo, tag] = spec.name.split(':');
    const changes = [`LABEL ${INPUTS_LABEL}=${inputs} ${IMAGE_LABEL}=${spec.label}`, 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["node"]'];
    const stream = await docker.importImage(tar.stdout, { repo, tag, changes });
    await follow(docker, stream, () => {});
    log(`imported ${spec.name}`);
    return { name: spec.name, action: 'built', inputs, ms: performance.now() - t0 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function pullBase(docker: Dockerode, log: (line: string) => void): Promise<{ image: BuiltImage; id: string }> {
  const t0 = performance.now();
  const name = `node:${process.versions.node.split('.')[0]}-bookworm-slim`;
  log(`pulling ${name} ...`);
  try {
    await follow(docker, await docker.pull(name), () => {});
  } catch (e) {
    throw new Error(`--from-registry: cannot pull ${name}: ${(e as Error).message}; without a registry, build without --from-registry`);
  }
  const info = await docker.getImage(name).inspect();
  return { image: { name, action: 'pulled', inputs: info.Id, ms: performance.now() - t0 }, id: info.Id };
}

// ------------------------------------------------------------------ app images

async function buildApp(docker: Dockerode, inputs: AppImageInputs, base: { name: string; id: string }, options: BuildOptions, log: (line: string) => void): Promise<BuiltImage> {
  const t0 = performance.now();
  const hash = hashFiles(inputs.files, [inputs.dockerfile, base.id, inputs.code]);
  const labels = await imageLabels(docker, inputs.name);
  if (!options.force && labels?.[INPUTS_LABEL] === hash) return { name: inputs.name, action: 'unchanged', inputs: hash, ms: performance.now() - t0 };
  const context = mkdtempSync(join(tmpdir(), `blackstart-image-${inputs.kind}-`));
  try {
    writeFileSync(join(context, 'Dockerfile'), inputs.dockerfile);
    for (const f of inputs.files) {
      const target = join(context, 'app', f.path);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(f.source, target);
    }
    const pkg = JSON.parse(readFileSync(join(options.root, 'package.json'), 'utf8')) as { name: string; version: string };
    writeFileSync(join(context, 'app', 'package.json'), JSON.stringify({ name: `${pkg.name}-${inputs.kind}`, version: pkg.version, private: true }, null, 2));
    log(`building ${inputs.name} (${inputs.files.length} files; requires ${inputs.packages.join(', ') || 'no packages'}) from ${base.name} ...`);
    // Before the build starts: a build from cache can move the tag at once.
    const previous = labels ? (await docker.getImage(inputs.name).inspect()).Id : undefined;
    const stream = await docker.buildImage(
      { context, src: ['Dockerfile', 'app'] },
      { t: inputs.name, buildargs: { BASE: base.name }, labels: { [INPUTS_LABEL]: hash, [CODE_LABEL]: inputs.code, [IMAGE_LABEL]: inputs.kind }, rm: true, forcerm: true },
    );
    await follow(docker, stream, (l) => {
      options.activity?.(`${inputs.kind}: ${l}`);
      if (/^Step \d+/.test(l)) log(`  ${l}`);
    });
    await removeReplaced(docker, previous, inputs.name, log);
    return { name: inputs.name, action: 'built', inputs: hash, ms: performance.now() - t0 };
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/**
 * A rebuild moves the tag and leaves the image it replaced without a name (about 10 MB of code
 * and packages each time): remove it, unless a container still uses it (the daemon refuses; kept).
 */
export async function removeReplaced(docker: Dockerode, previousId: string | undefined, name: string, log: (line: string) => void): Promise<void> {
  if (!previousId) return;
  const current = (await docker.getImage(name).inspect()).Id;
  if (current === previousId) return;
  await docker
    .getImage(previousId)
    .remove()
    .then(
      () => log(`removed the image ${name} replaced (${previousId.slice(7, 19)})`),
      (e: Error) => log(`kept the image ${name} replaced (${previousId.slice(7, 19)}): ${e.message.split('\n')[0]}`),
    );
}

/** How long a pull of the Toxiproxy image may take before the build goes on without it. */
const TOXIPROXY_PULL_TIMEOUT_MS = 120_000;

/**
 * The real Toxiproxy image: kept when present, else pulled (bounded). Without a registry the pull
 * fails at once (name resolution) and estates use the project's proxy image, which is said here.
 */
async function ensureToxiproxy(docker: Dockerode, log: (line: string) => void): Promise<BuiltImage | undefined> {
  const t0 = performance.now();
  const present = await docker
    .getImage(TOXIPROXY_IMAGE)
    .inspect()
    .then((info) => info.Id, () => undefined);
  if (present) return { name: TOXIPROXY_IMAGE, action: 'unchanged', inputs: present, ms: performance.now() - t0 };
  try {
    const pull = (async () => follow(docker, await docker.pull(TOXIPROXY_IMAGE), () => {}))();
    await withTimeout(pull, TOXIPROXY_PULL_TIMEOUT_MS, `no answer within ${TOXIPROXY_PULL_TIMEOUT_MS / 1000} s`);
    const id = (await docker.getImage(TOXIPROXY_IMAGE).inspect()).Id;
    log(`pulled ${TOXIPROXY_IMAGE}: estates use the real Toxiproxy`);
    return { name: TOXIPROXY_IMAGE, action: 'pulled', inputs: id, ms: performance.now() - t0 };
  } catch (e) {
    log(`${TOXIPROXY_IMAGE} cannot be pulled (${(e as Error).message.split('\n')[0]}): estates use the embedded proxy (${PROXY_IMAGE})`);
    return undefined;
  }
}

/** Builds (or skips, when unchanged) the base, estate and proxy images, and the Patroni ones when asked. */
export async function buildImages(options: BuildOptions): Promise<BuiltImage[]> {
  const log = options.log ?? (() => {});
  const root = resolve(options.root);
  // Inputs first: a missing build fails before anything slow runs.
  const estate = appImageInputs(root, 'estate');
  const proxy = appImageInputs(root, 'proxy');
  const patroni = options.patroni ? appImageInputs(root, 'patroni') : undefined;
  const docker = await dockerClient();
  const results: BuiltImage[] = [];
  let base: { name: string; id: string };
  if (options.fromRegistry) {
    const pulled = await pullBase(docker, log);
    results.push(pulled.image);
    base = { name: pulled.image.name, id: pulled.id };
  } else {
    results.push(await buildBase(docker, options, log));
    base = { name: BASE_IMAGE, id: (await docker.getImage(BASE_IMAGE).inspect()).Id };
  }
  // One after the other: the machine may have 2 cores, and each build is short.
  results.push(await buildApp(docker, estate, base, options, log));
  results.push(await buildApp(docker, proxy, base, options, log));
  // The real Toxiproxy where it is present or can be pulled: the runtime uses it when present.
  const toxiproxy = await ensureToxiproxy(docker, log);
  if (toxiproxy) results.push(toxiproxy);
  if (patroni) {
    // Always debootstrapped: the public node image has no PostgreSQL 15 and Patroni of bookworm's.
    results.push(await buildBase(docker, options, log, PATRONI_BASE));
    results.push(await buildApp(docker, patroni, { name: PATRONI_BASE_IMAGE, id: (await docker.getImage(PATRONI_BASE_IMAGE).inspect()).Id }, options, log));
  }
  return results;
}
