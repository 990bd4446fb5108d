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

/**
 * Text from the file as a message quotes it (a YAML token, a key, a value in a schema's message):
 * cut to `max` characters, so a megabyte line does not come back as a megabyte message.
 */
export const clip = (text: string, max = 200): string => (text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text);

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
  const { doc, lineCounter, value } = parseYaml(text, file);
  return {
    file,
    value,
    problems: (issues) => issues.flatMap((issue) => problemsOf(issue, doc, lineCounter, file)),
  };
}

/** The most aliases a file may expand (yaml's default, set here on purpose): a "billion laughs" file stops here. */
export const MAX_YAML_ALIASES = 100;
/** The deepest nesting of flow collections (`[`, `{`) read; deeper is refused before parsing. */
export const MAX_YAML_FLOW_DEPTH = 1000;

/**
 * A YAML document with its positions and its value as plain data, read without trusting it: an
 * alias bomb, a structure nested thousands deep or a parser that runs out of stack is a problem
 * at file:line:col like any syntax error, never an exception of the parser's own. Every file
 * format of blackstart (drills, estate files) parses through this.
 */
export function parseYaml(text: string, file: string): { doc: Document; lineCounter: LineCounter; value: unknown } {
  const lineCounter = new LineCounter();
  const fail = (offset: number, message: string): never => {
    const pos = lineCounter.linePos(offset);
    throw new FileProblemsError([{ file, line: pos.line, column: pos.col, path: '', message: `YAML: ${message}` }]);
  };
  const tooDeep = flowDepthExceeded(text, MAX_YAML_FLOW_DEPTH);
  if (tooDeep >= 0) {
    lineCounter.addNewLine(0);
    for (let i = text.indexOf('\n'); i >= 0 && i < tooDeep; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    fail(tooDeep, `collections nested more than ${MAX_YAML_FLOW_DEPTH} deep`);
  }
  // logLevel error: the parser's warnings (a collection as a key) go nowhere; the schema refuses such keys.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    throw new FileProblemsError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        const message = /call stack/.test(e.message) ? 'nested too deeply to read (the parser ran out of stack)' : clip(e.message.split('\n')[0]);
        return { file, line: pos.line, column: pos.col, path: '', message: `YAML: ${message}` };
      }),
    );
  }
  try {
    return { doc, lineCounter, value: doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {} };
  } catch (e) {
    if (/alias/i.test((e as Error).message)) return fail(0, `aliases expand past ${MAX_YAML_ALIASES} nodes (a "billion laughs" file?): write the values out, or use fewer aliases`);
    if (e instanceof RangeError) return fail(0, 'nested too deeply to read');
    throw e;
  }
}

/** Offset at which `[`/`{` nesting (outside quotes and comments) first passes `max`, or -1. */
function flowDepthExceeded(text: string, max: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      // A quoted scalar: skip to its end (\\ escapes in double quotes, '' in single).
      for (i++; i < text.length && text[i] !== c; i++) if (c === '"' && text[i] === '\\') i++;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === '[' || c === '{') {
      if (++depth > max) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return -1;
}

function problemsOf(issue: PathIssue, doc: Document, lc: LineCounter, file: string): FileProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    // One problem per unknown key, at the key itself: a typo must not silently disable anything.
    return issue.keys.map((key) => {
      const where = locate(doc, lc, [...path, key], true);
      return { file, ...where, path: clip([...path, key].join('.')), message: `unknown key ${clip(JSON.stringify(key))}` };
    });
  }
  const atKey = issue.code === 'custom' && issue.params?.key === true;
  const where = locate(doc, lc, path, atKey);
  return [{ file, ...where, path: clip(path.join('.')), message: clip(issue.message, 1000) }];
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
