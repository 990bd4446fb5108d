import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { FileProblemsError, formatProblem as formatFileProblem } from '../../lib/located_yaml';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { aimOf, partRole, roleForms, type FaultSpec, type FaultTarget } from '../../model/faults';
import { estateConfigSchema } from '../../services/estate/config';
import { estateNames } from '../../services/estate/topology';
import { drillSchema, faultName, type Drill, type DrillFault } from './schema';
import { externalFaultIssues } from './external';

export interface DrillProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the field, e.g. faults.0.power_cut.site */
  path: string;
  message: string;
}

/** A drill file that cannot be used: every problem, each with file, line, field path and reason. */
export class DrillError extends Error {
  constructor(readonly problems: DrillProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export const formatProblem = (p: DrillProblem) => `${p.file}:${p.line}:${p.column}: ${p.path || '(file)'}: ${p.message}`;

/** Reads and validates a drill file; throws DrillError listing every problem found. */
export function loadDrill(file: string): Drill {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DrillError([{ file, line: 0, column: 0, path: '', message: (e as Error).message }]);
  }
  return parseDrill(text, file);
}

export function parseDrill(text: string, file = '<drill>'): Drill {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new DrillError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  const input: unknown = withEstateFileBesideDrill(doc.toJS() ?? {}, file);
  const result = drillSchema.safeParse(input);
  // Checked on the file as written, so that they are reported beside every other problem.
  const issues = [...(result.success ? [] : result.error.issues), ...estateIssues(input)];
  if (result.success && issues.length === 0) return result.data;
  throw new DrillError(issues.flatMap((issue) => problemsOf(issue, doc, lineCounter, file)));
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
 * the estate can resolve whichever site is active. Sites and site roles are checked by the fault
 * specs (model/faults.ts).
 */
function estateIssues(input: unknown): z.core.$ZodIssue[] {
  const drill = isRecord(input) ? input : {};
  const config = estateConfigSchema.safeParse(drill.estate ?? {});
  let names: ReturnType<typeof estateNames>;
  try {
    names = estateNames(config.success ? config.data : undefined);
  } catch (e) {
    if (!(e instanceof FileProblemsError)) throw e;
    // The estate file's own problems, each at its own file:line:col.
    return [{ code: 'custom', path: ['estate', 'file'], message: `the estate file cannot be used:\n${e.problems.map(formatFileProblem).join('\n')}`, input: undefined }];
  }
  const faults = Array.isArray(drill.faults) ? drill.faults : [];
  const issues: z.core.$ZodIssue[] = [];
  faults.forEach((fault: unknown, i) => {
    const check = (kind: string, field: string, what: string, known: readonly string[]) => {
      const spec = isRecord(fault) ? fault[kind] : undefined;
      const value = isRecord(spec) ? spec[field] : undefined;
      // Anything but a name is the schema's to report.
      if (typeof value !== 'string' || value === '' || known.includes(value)) return;
      const roles = roleForms(known);
      if (roles.includes(value)) return;
      // A role form of a part that is not at every site (active-controller): say which roles exist.
      const role = partRole(value);
      const message = role
        ? `cannot resolve ${what} ${JSON.stringify(value)}: "${role.part}" is not a ${what} of every site (roles: ${roles.join(', ')})`
        : `no ${what} ${JSON.stringify(value)} in the estate (${what}s: ${known.join(', ')})`;
      issues.push({ code: 'custom', path: ['faults', i, kind, field], message, input: value });
    };
    check('network', 'link', 'link', names.links);
    check('freeze', 'component', 'component', names.components);
  });
  issues.push(...externalFaultIssues(drill, config.success ? config.data : undefined));
  return issues;
}

function problemsOf(issue: z.core.$ZodIssue, doc: Document, lc: LineCounter, file: string): DrillProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    // One problem per unknown key, at the key itself: a typo must not silently disable a gate.
    return issue.keys.map((key) => {
      const where = locate(doc, lc, [...path, key], true);
      return { file, ...where, path: [...path, key].join('.'), message: `unknown key "${key}"` };
    });
  }
  // A custom issue about a key itself (an unknown attribute) says so: point at the key, not its value.
  const atKey = issue.code === 'custom' && issue.params?.key === true;
  const where = locate(doc, lc, path, atKey);
  return [{ file, ...where, path: path.join('.'), message: issue.message }];
}

/** Line and column of a path in the YAML: the key (for unknown keys) or the value; else its nearest parent. */
function locate(doc: Document, lc: LineCounter, path: (string | number)[], atKey: boolean): { line: number; column: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = nodeAt(doc.contents as Node | null, path.slice(0, depth), atKey && depth === path.length);
    if (node?.range) {
      const pos = lc.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

function nodeAt(root: Node | null, path: (string | number)[], wantKey: boolean): Node | null {
  let node: Node | null = root;
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === step);
      if (!pair) return null;
      node = (i === path.length - 1 && wantKey ? pair.key : pair.value) as Node | null;
    } else if (isSeq(node) && typeof step === 'number') {
      node = (node.items[step] as Node | undefined) ?? null;
    } else return null;
  }
  return node;
}

/** The fault spec chaos/ acts on, from a drill file's fault entry. */
export function faultSpecOf(f: DrillFault): FaultSpec {
  if (f.power_cut) return { kind: 'power_cut', spec: f.power_cut };
  if (f.power_flap) return { kind: 'power_flap', spec: f.power_flap };
  if (f.storage_cut) return { kind: 'storage_cut', spec: f.storage_cut };
  if (f.network) return { kind: 'network', spec: f.network };
  if (f.freeze) return { kind: 'freeze', spec: f.freeze };
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
  const until = f.restore_after !== undefined ? `, restored after ${f.restore_after} ms` : f.duration !== undefined ? `, for ${f.duration} ms` : ', until the load ends';
  return `${faultName(f, i)}: ${kind} ${detail}${until}`;
}
