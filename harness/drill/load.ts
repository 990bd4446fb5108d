import { dirname, isAbsolute, resolve } from 'node:path';
import { FileProblemsError, formatProblem, parseLocatedYaml, type FileProblem, type LocatedYaml } from '../../lib/located_yaml';
import { readTextFile, TextFileError } from '../../lib/text_file';
import type { z } from 'zod';
import { aimOf, isSiteRole, partRole, resolvableRoles, roleForms, standbyUnresolvable, type FaultSpec, type FaultTarget } from '../../model/faults';
import { estateConfigSchema } from '../../services/estate/config';
import { estateNames } from '../../services/estate/topology';
import { EstateParameterError } from '../../services/estate/parameters';
import { drillSchema, faultName, type Drill, type DrillFault } from './schema';
import { externalFaultIssues } from './external';

/** A problem of a drill file, at file:line:col (lib/located_yaml.ts). */
export type DrillProblem = FileProblem;

/** A drill file that cannot be used: every problem, each with file, line, field path and reason. */
export class DrillError extends FileProblemsError {}

export { formatProblem };

/**
 * Reads and validates a drill file; throws DrillError listing every problem found. The file is read
 * as estate files are (lib/text_file.ts): at most 1 MiB of UTF-8, else one problem saying why.
 */
export function loadDrill(file: string): Drill {
  let text: string;
  try {
    text = readTextFile(file);
  } catch (e) {
    const { line, column } = e instanceof TextFileError ? e : { line: 0, column: 0 };
    throw new DrillError([{ file, line, column, path: '', message: (e as Error).message }]);
  }
  return parseDrill(text, file);
}

export function parseDrill(text: string, file = '<drill>'): Drill {
  let located: LocatedYaml;
  try {
    located = parseLocatedYaml(text, file);
  } catch (e) {
    throw e instanceof FileProblemsError ? new DrillError(e.problems) : e;
  }
  const input: unknown = withEstateFileBesideDrill(located.value, file);
  const result = drillSchema.safeParse(input);
  // Checked on the file as written, so that they are reported beside every other problem.
  const issues = [...(result.success ? [] : result.error.issues), ...estateIssues(input)];
  if (result.success && issues.length === 0) return result.data;
  throw new DrillError(located.problems(issues));
}

/** `estate.file` is relative to the drill file: resolved here, so every later reader sees one path. */
function withEstateFileBesideDrill(input: unknown, drillFile: string): unknown {
  if (!isRecord(input) || !isRecord(input.estate) || typeof input.estate.file !== 'string' || isAbsolute(input.estate.file)) return input;
  return { ...input, estate: { ...input.estate, file: resolve(dirname(drillFile), input.estate.file) } };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The names a drill gives parts of the estate that the schema cannot know: the link of a network
 * fault and the component of a freeze must be ones the drill's estate has (services/estate), or a
 * role form of one that every site has (`active-san`, `standby-booking`: model/faults.ts), which
 * the estate can resolve whichever site is active; the site of a site-wide fault must be one the
 * estate declares, or a role it can resolve (`standby` needs two serving sites).
 */
function estateIssues(input: unknown): z.core.$ZodIssue[] {
  const drill = isRecord(input) ? input : {};
  const config = estateConfigSchema.safeParse(drill.estate ?? {});
  let names: ReturnType<typeof estateNames>;
  try {
    names = estateNames(config.success ? config.data : undefined);
  } catch (e) {
    // A parameter value the estate file refuses: at the drill's own line.
    if (e instanceof EstateParameterError) return e.refused.map((r) => ({ code: 'custom' as const, path: ['estate', 'parameters', r.name], message: r.message, input: undefined }));
    if (!(e instanceof FileProblemsError)) throw e;
    // The estate file's own problems, each at its own file:line:col.
    return [{ code: 'custom', path: ['estate', 'file'], message: `the estate file cannot be used:\n${e.problems.map(formatProblem).join('\n')}`, input: undefined }];
  }
  const faults = Array.isArray(drill.faults) ? drill.faults : [];
  const issues: z.core.$ZodIssue[] = [];
  // The runtime asks for a spec the file does not give every component: refused here rather than
  // when the estate starts (the docker runtime runs a component's `docker` spec, the process runtime its `process` one).
  const runtime = config.success ? config.data.runtime : undefined;
  if (runtime === 'process' || runtime === 'docker') {
    const lacking = names.lacking[runtime];
    const what = runtime === 'docker' ? 'docker spec (an image and its command)' : 'process spec (a command)';
    if (lacking.length) issues.push({ code: 'custom', path: ['estate', 'runtime'], message: `runtime ${runtime}: the estate file's ${lacking.join(', ')} ${lacking.length === 1 ? 'has' : 'have'} no ${what}`, input: runtime });
  }
  faults.forEach((fault: unknown, i) => {
    const check = (kind: string, field: string, what: string, known: readonly string[]) => {
      const spec = isRecord(fault) ? fault[kind] : undefined;
      const value = isRecord(spec) ? spec[field] : undefined;
      // Anything but a name is the schema's to report.
      if (typeof value !== 'string' || value === '' || known.includes(value)) return;
      const roles = roleForms(known, names.servingSites);
      if (roles.includes(value)) return;
      // A role form of a part that is not at every site (active-controller): say which roles exist.
      const role = partRole(value);
      const standbyOfMany = role?.role === 'standby' && !resolvableRoles(names.servingSites).includes('standby');
      const message = standbyOfMany
        ? `cannot resolve ${what} ${JSON.stringify(value)}: ${standbyUnresolvable(names.servingSites)} (name the ${what})`
        : role
        ? `cannot resolve ${what} ${JSON.stringify(value)}: "${role.part}" is not a ${what} of every site (roles: ${roles.join(', ')})`
        : `no ${what} ${JSON.stringify(value)} in the estate (${what}s: ${known.join(', ')})`;
      issues.push({ code: 'custom', path: ['faults', i, kind, field], message, input: value });
    };
    check('network', 'link', 'link', names.links);
    check('freeze', 'component', 'component', names.components);
    check('kill_process', 'component', 'component', names.components);
    for (const kind of ['power_cut', 'power_flap', 'storage_cut']) {
      const spec = isRecord(fault) ? fault[kind] : undefined;
      const site = isRecord(spec) ? spec.site : undefined;
      // Anything but a name is the schema's to report.
      if (typeof site !== 'string' || site === '' || names.sites.includes(site)) continue;
      const roles = resolvableRoles(names.servingSites);
      if (isSiteRole(site) && roles.includes(site)) continue;
      const message = isSiteRole(site)
        ? `cannot resolve site ${site}: ${standbyUnresolvable(names.servingSites)} (name the site)`
        : `no site ${JSON.stringify(site)} in the estate (sites: ${names.sites.join(', ')}; roles, resolved when applied: ${roles.join(', ')})`;
      issues.push({ code: 'custom', path: ['faults', i, kind, 'site'], message, input: site });
    }
  });
  issues.push(...externalFaultIssues(drill, config.success ? config.data : undefined));
  return issues;
}

/** The fault spec chaos/ acts on, from a drill file's fault entry. */
export function faultSpecOf(f: DrillFault): FaultSpec {
  if (f.power_cut) return { kind: 'power_cut', spec: f.power_cut };
  if (f.power_flap) return { kind: 'power_flap', spec: f.power_flap };
  if (f.storage_cut) return { kind: 'storage_cut', spec: f.storage_cut };
  if (f.network) return { kind: 'network', spec: f.network };
  if (f.freeze) return { kind: 'freeze', spec: f.freeze };
  if (f.kill_process) return { kind: 'kill_process', spec: f.kill_process };
  if (f.failback) return { kind: 'failback', spec: f.failback };
  throw new Error('fault without a kind');
}

/**
 * One line for a drill's fault, as the dry run and result.json show it. A role is shown as
 * written, with what it struck (`site=active (hit dc1)`) once the fault was applied, or
 * `(resolved when applied)` before.
 */
export function describeFault(f: DrillFault, i: number, target?: FaultTarget): string {
  const faultSpec = faultSpecOf(f);
  const { kind, spec } = faultSpec;
  const aim = aimOf(faultSpec);
  const detail = Object.entries(spec)
    .map(([k, v]) => {
      const text = `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`;
      if (aim?.field !== k) return text;
      return `${text} (${target ? `hit ${target.hit}` : 'resolved when applied'})`;
    })
    .join(' ');
  // A flap ends when its last cycle has restored the site, a failback once the switchover is done:
  // neither stays applied until the load ends.
  const until =
    f.restore_after !== undefined ? `, restored after ${f.restore_after} ms` : f.duration !== undefined ? `, for ${f.duration} ms` : kind === 'power_flap' ? ', each cut restored' : kind === 'failback' ? '' : ', until the load ends';
  return `${faultName(f, i)}: ${[kind, detail].filter(Boolean).join(' ')}${until}`;
}
