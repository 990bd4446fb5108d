import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

/**
 * YAML read with the position of every node, and schema issues turned into problems at
 * `file:line:col` (the key for an unknown key, else the value; else its nearest parent). Every
 * file format of blackstart (drills, estates) reports bad input this way.
 */

export interface FileProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the field, e.g. faults.0.power_cut.site */
  path: string;
  message: string;
}

export const formatProblem = (p: FileProblem) => `${p.file}:${p.line}:${p.column}: ${p.path || '(file)'}: ${p.message}`;

/** A file that cannot be used: every problem, each with file, line, field path and reason. */
export class FileProblemsError extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/** The subset of a zod issue this needs (zod's own type is wider). */
export interface PathIssue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  /** `unrecognized_keys` issues: the unknown keys. */
  keys?: readonly string[];
  /** `{ key: true }`: the issue is about the key itself (an unknown attribute), not its value. */
  params?: Record<string, unknown>;
}

export interface LocatedYaml {
  file: string;
  /** The document as plain data ({} for an empty file). */
  value: unknown;
  problems(issues: readonly PathIssue[]): FileProblem[];
}

/** Parses YAML keeping positions; YAML syntax errors throw FileProblemsError at their position. */
export function parseLocatedYaml(text: string, file: string): LocatedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new FileProblemsError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  return {
    file,
    value: doc.toJS() ?? {},
    problems: (issues) => issues.flatMap((issue) => problemsOf(issue, doc, lineCounter, file)),
  };
}

function problemsOf(issue: PathIssue, doc: Document, lc: LineCounter, file: string): FileProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    // One problem per unknown key, at the key itself: a typo must not silently disable anything.
    return issue.keys.map((key) => {
      const where = locate(doc, lc, [...path, key], true);
      return { file, ...where, path: [...path, key].join('.'), message: `unknown key "${key}"` };
    });
  }
  const atKey = issue.code === 'custom' && issue.params?.key === true;
  const where = locate(doc, lc, path, atKey);
  return [{ file, ...where, path: path.join('.'), message: issue.message }];
}

/** Line and column of a path in the YAML: the key or the value; else its nearest parent. */
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
