import { dirname, resolve } from 'node:path';
import { FileProblemsError, parseLocatedYaml, type PathIssue } from '../../lib/located_yaml';
import { readTextFile, TextFileError } from '../../lib/text_file';
import type { Service } from '../../model/estate';
import { estateFileSchema, type ComponentRole, type EstateComponent, type EstateFile } from '../../model/estate_file';
import { CONFIG_KEYS } from './config_refs';
import { EstateParameterError, resolveParameters, substituteParameters } from './parameters';

/**
 * Estate files (model/estate_file.ts): read, checked as a whole (every reference, link, port and
 * start-order dependency) with problems at file:line:col, and expanded into concrete components
 * and links. Rendering a component's command, environment and files for a runtime is `render`.
 */

/** A component of the estate as it will run: per-site ones expanded, `${site}` substituted. */
export interface PlannedComponent {
  name: string;
  site: string | undefined;
  role: ComponentRole;
  /** Its declaration with `${site}` substituted (other references stay until render). */
  spec: EstateComponent;
  /** Index in the file's `components`, for problems found later. */
  index: number;
  after: string[];
}

export interface PlannedLink {
  name: string;
  to: { component: string; port: string };
  /** Re-pointed by a failover controller: no site's power cut acts on it (absent: false). */
  repointed?: true;
}

/** A component's port, as the file's `endpoints` name one. */
export interface PortRef {
  component: string;
  port: string;
}

/** What the harness reads beyond the entry (model/estate_file.ts `endpoints`), per site expanded. */
export interface PlannedEndpoints {
  controller?: PortRef;
  frontdoorAdmin?: PortRef;
  sites: Record<string, { sanAdmin?: PortRef; apps: Partial<Record<Service, PortRef>> }>;
}

export interface EstatePlan {
  name: string;
  description: string;
  file: string;
  /** Relative `cwd`s are resolved against this. */
  baseDir: string;
  /** Every power domain, in the file's order. */
  sites: string[];
  /** The sites that take part in failover (per-site components and links are at these): not a witness. */
  servingSites: string[];
  components: PlannedComponent[];
  links: PlannedLink[];
  entry: EstateFile['entry'];
  endpoints: PlannedEndpoints;
  /** Groups of components that can start together, each after every earlier group is healthy. */
  startOrder: string[][];
  /** Each parameter's value in this plan (the drill's, else the file's default). */
  parameters?: Record<string, string>;
}

const REF = /\$\{([a-z]+)(?::([^}]*))?\}/g;
const KINDS = ['site', 'name', 'port', 'link', 'host', 'bind', 'data', 'env', 'config', 'proxy'] as const;

/** `parameters`: a drill's values for the file's parameters (a wrong one is an EstateParameterError). */
export function loadEstateFile(file: string, parameters: Record<string, string> = {}): EstatePlan {
  let text: string;
  try {
    // At most 1 MiB of UTF-8 (lib/text_file.ts), else one problem saying why.
    text = readTextFile(file);
  } catch (e) {
    const { line, column } = e instanceof TextFileError ? e : { line: 0, column: 0 };
    throw new FileProblemsError([{ file, line, column, path: '', message: (e as Error).message }]);
  }
  return parseEstateFile(text, file, undefined, parameters);
}

export function parseEstateFile(text: string, file = '<estate>', baseDir = dirname(resolve(file)), parameters: Record<string, string> = {}): EstatePlan {
  const located = parseLocatedYaml(text, file);
  const parsed = estateFileSchema.safeParse(located.value);
  if (!parsed.success) throw new FileProblemsError(located.problems(parsed.error.issues));
  const issues: PathIssue[] = [];
  // The file's parameters, then every ${param:...} replaced, before anything else reads its strings.
  const values = resolveParameters(parsed.data.parameters, parameters, issues);
  const plan = planEstate(substituteParameters(parsed.data, values, issues), file, baseDir, issues);
  if (issues.length > 0) throw new FileProblemsError(located.problems(issues));
  if (values.refused.length > 0) throw new EstateParameterError(file, values.refused);
  return { ...plan, parameters: values.chosen };
}

/** The estate's components and links, checked; every problem is pushed to `issues` (path into the file). */
function planEstate(e: EstateFile, file: string, baseDir: string, issues: PathIssue[]): EstatePlan {
  const issue = (path: PropertyKey[], message: string) => issues.push({ code: 'custom', path, message });
  const all = e.sites.map((s) => s.name);
  // Per-site components and links are at the serving sites; a witness hosts only what names it.
  const serving = e.sites.filter((s) => !s.witness).map((s) => s.name);
  const sites = new Set(all);
  const components: PlannedComponent[] = [];
  e.components.forEach((c, index) => {
    if (c.per_site && c.site !== undefined) issue(['components', index, 'site'], 'a per-site component has no single site: drop site or per_site');
    if (c.site !== undefined && !sites.has(c.site)) issue(['components', index, 'site'], `no site "${c.site}" (sites: ${all.join(', ')})`);
    const at = c.per_site ? serving : [c.site];
    for (const site of at) {
      const spec = site === undefined ? c : substituteSite(c, site);
      components.push({ name: site !== undefined && c.per_site ? `${site}-${c.name}` : c.name, site, role: c.role, spec, index, after: spec.after });
    }
  });
  const byName = new Map<string, PlannedComponent>();
  for (const c of components) {
    if (byName.has(c.name)) issue(['components', c.index, 'name'], `two components are named "${c.name}"`);
    byName.set(c.name, c);
  }

  const links: PlannedLink[] = [];
  e.links.forEach((l, index) => {
    for (const site of l.per_site ? serving : [undefined]) {
      const name = site === undefined ? l.name : l.name.replaceAll('${site}', site);
      const [component, port] = (site === undefined ? l.to : l.to.replaceAll('${site}', site)).split(':');
      const target = byName.get(component);
      if (!target) issue(['links', index, 'to'], `no component "${component}" (components: ${[...byName.keys()].join(', ')})`);
      else if (!(port in target.spec.ports)) issue(['links', index, 'to'], `component "${component}" has no port "${port}" (ports: ${Object.keys(target.spec.ports).join(', ') || 'none'})`);
      if (links.some((x) => x.name === name)) issue(['links', index, 'name'], `two links are named "${name}"`);
      links.push({ name, to: { component, port }, ...(l.repointed ? { repointed: true as const } : {}) });
    }
  });
  const linkNames = new Set(links.map((l) => l.name));
  if (!linkNames.has(e.entry.link)) issue(['entry', 'link'], `no link "${e.entry.link}" (links: ${[...linkNames].join(', ') || 'none'})`);

  // Fixed ports: one owner each.
  const fixed = new Map<number, string>();
  for (const c of components) {
    for (const [portName, port] of Object.entries(c.spec.ports)) {
      if (port === 'auto') continue;
      const owner = fixed.get(port);
      if (owner) issue(['components', c.index, 'ports', portName], `port ${port} is also ${owner}'s: two components cannot listen on one fixed port`);
      else fixed.set(port, `${c.name}.${portName}`);
    }
  }

  // References in every string a component is started with.
  for (const c of components) {
    const where = (path: PropertyKey[]) => ['components', c.index, ...path];
    const health = c.spec.health.http?.port ?? c.spec.health.tcp?.port;
    if (health !== undefined && !(health in c.spec.ports)) issue(where(['health']), `no port "${health}" on ${c.name} (ports: ${Object.keys(c.spec.ports).join(', ') || 'none'})`);
    for (const [path, text] of templatedStrings(c.spec)) {
      for (const problem of referenceProblems(text, c, byName, linkNames)) issue(where(path), problem);
    }
    c.after.forEach((a, k) => {
      if (!byName.has(a)) issue(where(['after', k]), `no component "${a}" to start after (components: ${[...byName.keys()].join(', ')})`);
    });
  }

  const endpoints = plannedEndpoints(e, serving, byName, issue);
  const startOrder = orderOf(components, byName, (c, cycle) => issue(['components', c.index, 'after'], `start order has a cycle: ${cycle.join(' -> ')}`));
  return { name: e.name, description: e.description, file, baseDir, sites: all, servingSites: serving, components, links, entry: e.entry, endpoints, startOrder };
}

/** The file's `endpoints`, per site expanded; a component or port that does not exist is an issue. */
function plannedEndpoints(e: EstateFile, serving: string[], byName: Map<string, PlannedComponent>, issue: (path: PropertyKey[], message: string) => void): PlannedEndpoints {
  const ref = (text: string | undefined, path: PropertyKey[], site?: string): PortRef | undefined => {
    if (text === undefined) return undefined;
    const [component, port] = (site === undefined ? text : text.replaceAll('${site}', site)).split(':');
    const target = byName.get(component);
    if (!target) issue(['endpoints', ...path], `no component "${component}" (components: ${[...byName.keys()].join(', ')})`);
    else if (!(port in target.spec.ports)) issue(['endpoints', ...path], `component "${component}" has no port "${port}" (ports: ${Object.keys(target.spec.ports).join(', ') || 'none'})`);
    return { component, port };
  };
  const x = e.endpoints;
  return {
    controller: ref(x.controller, ['controller']),
    frontdoorAdmin: ref(x.frontdoor_admin, ['frontdoor_admin']),
    sites: Object.fromEntries(
      serving.map((site) => [
        site,
        {
          sanAdmin: ref(x.sites.san_admin, ['sites', 'san_admin'], site),
          apps: Object.fromEntries(Object.entries(x.sites.apps).map(([svc, text]) => [svc, ref(text, ['sites', 'apps', svc], site)])),
        },
      ]),
    ),
  };
}

/** Every string of a component that is templated, with its path in the declaration. */
function templatedStrings(c: EstateComponent): [PropertyKey[], string][] {
  const out: [PropertyKey[], string][] = [];
  if (c.process) {
    out.push([['process', 'command'], c.process.command]);
    c.process.args.forEach((a, i) => out.push([['process', 'args', i], a]));
  }
  c.docker?.command?.forEach((a, i) => out.push([['docker', 'command', i], a]));
  for (const [k, v] of Object.entries(c.env)) out.push([['env', k], v]);
  for (const [k, v] of Object.entries(c.files)) out.push([['files', k], v]);
  return out;
}

function referenceProblems(text: string, c: PlannedComponent, byName: Map<string, PlannedComponent>, links: Set<string>): string[] {
  const problems: string[] = [];
  for (const [whole, kind, arg] of text.matchAll(REF)) {
    if (!(KINDS as readonly string[]).includes(kind)) {
      problems.push(`unknown reference ${whole} (references: ${KINDS.map((k) => `\${${k}${['port', 'link', 'host', 'env', 'config'].includes(k) ? ':...' : ''}}`).join(', ')})`);
      continue;
    }
    if (kind === 'site' && c.site === undefined) problems.push(`${whole}: ${c.name} belongs to no site`);
    if (kind === 'port') {
      const [owner, port] = arg?.includes('.') ? arg.split('.') : [c.name, arg ?? ''];
      const target = byName.get(owner);
      if (!target) problems.push(`${whole}: no component "${owner}"`);
      else if (!(port in target.spec.ports)) problems.push(`${whole}: component "${owner}" has no port "${port}" (ports: ${Object.keys(target.spec.ports).join(', ') || 'none'})`);
    }
    if (kind === 'link' && !links.has(arg ?? '')) problems.push(`${whole}: no link "${arg ?? ''}" (links: ${[...links].join(', ') || 'none'})`);
    if (kind === 'host' && !byName.has(arg ?? '')) problems.push(`${whole}: no component "${arg ?? ''}"`);
    if (kind === 'config' && !(CONFIG_KEYS as readonly string[]).includes(arg ?? '')) problems.push(`${whole}: no setting "${arg ?? ''}" (settings: ${CONFIG_KEYS.join(', ')})`);
    if (kind === 'env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(arg ?? '')) problems.push(`${whole}: not an environment variable name`);
  }
  return problems;
}

/** Start groups by `after` (Kahn's algorithm); a cycle is reported once, at a component on it. */
function orderOf(components: PlannedComponent[], byName: Map<string, PlannedComponent>, cycle: (c: PlannedComponent, path: string[]) => void): string[][] {
  const pending = new Map(components.map((c) => [c.name, c.after.filter((a) => byName.has(a))]));
  const groups: string[][] = [];
  const done = new Set<string>();
  while (pending.size > 0) {
    const ready = [...pending].filter(([, deps]) => deps.every((d) => done.has(d))).map(([n]) => n);
    if (ready.length === 0) {
      const start = [...pending.keys()][0];
      const path = [start];
      for (let next = pending.get(start)!.find((d) => !done.has(d)); next && !path.includes(next); next = pending.get(next)?.find((d) => !done.has(d))) path.push(next);
      const last = path[path.length - 1];
      path.push(pending.get(last)!.find((d) => !done.has(d)) ?? start);
      cycle(byName.get(start)!, path);
      return groups;
    }
    for (const n of ready) {
      pending.delete(n);
      done.add(n);
    }
    groups.push(ready);
  }
  return groups;
}

/** A per-site component's declaration for one site: `${site}` replaced in every string. */
function substituteSite(c: EstateComponent, site: string): EstateComponent {
  const sub = (s: string) => s.replaceAll('${site}', site);
  return {
    ...c,
    process: c.process && { ...c.process, command: sub(c.process.command), args: c.process.args.map(sub), cwd: c.process.cwd && sub(c.process.cwd) },
    docker: c.docker && { ...c.docker, command: c.docker.command?.map(sub) },
    env: Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, sub(v)])),
    files: Object.fromEntries(Object.entries(c.files).map(([k, v]) => [k, sub(v)])),
    after: c.after.map(sub),
  };
}

/** How one component sees the estate when it starts: what references resolve to. */
export interface RenderContext {
  /** Every component's ports, allocated. */
  ports: Record<string, Record<string, number>>;
  /** Each link's proxy listen port. */
  linkPorts: Record<string, number>;
  /** The address at which components reach the proxy server (127.0.0.1, or its container's name). */
  proxyHost: string;
  /** The proxy server's API port (for `${proxy}`). */
  proxyApiPort?: number;
  /** The estate configuration's settings (services/estate/config_refs.ts; for `${config:K}`). */
  config?: Record<string, string>;
  /** The address at which components reach component C directly. */
  hostOf: (component: string) => string;
  bind: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
}

export interface RenderedComponent {
  command: string | undefined;
  args: string[];
  dockerCommand: string[] | undefined;
  cwd: string | undefined;
  env: Record<string, string>;
  files: { name: string; content: string }[];
}

/** A component's command, environment and files with every reference resolved; a missing env var is an error naming it. */
export function render(plan: EstatePlan, c: PlannedComponent, ctx: RenderContext): RenderedComponent {
  const resolveText = (text: string, where: string) =>
    text.replace(REF, (whole, kind: string, arg: string | undefined) => {
      switch (kind) {
        case 'site':
          return c.site ?? '';
        case 'name':
          return c.name;
        case 'port': {
          const [owner, port] = arg!.includes('.') ? arg!.split('.') : [c.name, arg!];
          return String(ctx.ports[owner][port]);
        }
        case 'link':
          return `${ctx.proxyHost}:${ctx.linkPorts[arg!]}`;
        case 'host':
          return ctx.hostOf(arg!);
        case 'bind':
          return ctx.bind;
        case 'proxy':
          if (ctx.proxyApiPort === undefined) throw new Error(`${plan.file}: ${c.name} ${where}: ${whole}: this runtime gives no proxy API to components`);
          return `${ctx.proxyHost}:${ctx.proxyApiPort}`;
        case 'config': {
          const value = ctx.config?.[arg!];
          if (value === undefined) throw new Error(`${plan.file}: ${c.name} ${where}: ${whole}: no such setting in the estate configuration`);
          return value;
        }
        case 'data':
          return ctx.dataDir;
        case 'env': {
          const value = ctx.env[arg!];
          if (value === undefined) throw new Error(`${plan.file}: ${c.name} ${where}: ${whole}: the environment variable ${arg} is not set`);
          return value;
        }
        default:
          return whole;
      }
    });
  const s = c.spec;
  return {
    command: s.process && resolveText(s.process.command, 'process.command'),
    args: s.process?.args.map((a, i) => resolveText(a, `process.args.${i}`)) ?? [],
    dockerCommand: s.docker?.command?.map((a, i) => resolveText(a, `docker.command.${i}`)),
    cwd: s.process?.cwd === undefined ? undefined : resolve(plan.baseDir, s.process.cwd),
    env: Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, resolveText(v, `env.${k}`)])),
    files: Object.entries(s.files).map(([name, content]) => ({ name, content: resolveText(content, `files.${name}`) })),
  };
}
