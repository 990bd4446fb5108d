import type { PathIssue } from '../../lib/located_yaml';
import type { EstateComponent, EstateFile, EstateParameter } from '../../model/estate_file';

/**
 * An estate file's parameters (model/estate_file.ts): each one's value from a drill's `parameters`
 * or its default, checked, and substituted into every `${param:P}` / `${param:P.K}` of the file's
 * components before the file is planned, so a parameter can be anything a component's strings hold.
 */

/** A drill's value for a parameter the file cannot take: refused with the parameter's name. */
export class EstateParameterError extends Error {
  constructor(
    readonly file: string,
    readonly refused: { name: string; message: string }[],
  ) {
    super(refused.map((r) => `${file}: parameter ${r.name}: ${r.message}`).join('\n'));
  }
}

export interface ParameterValues {
  /** Each parameter's value. */
  chosen: Record<string, string>;
  /** The given values the file refuses (no such parameter, not one of its choices). */
  refused: { name: string; message: string }[];
  declared: Record<string, EstateParameter>;
}

/** Values for the file's parameters; the file's own mistakes (a default that is no choice, choices with different keys) go to `issues`. */
export function resolveParameters(declared: Record<string, EstateParameter>, given: Record<string, string>, issues: PathIssue[]): ParameterValues {
  const chosen: Record<string, string> = {};
  for (const [name, p] of Object.entries(declared)) {
    chosen[name] = p.default;
    if (!p.choices) continue;
    const choices = Object.keys(p.choices);
    if (!choices.includes(p.default)) issues.push({ code: 'custom', path: ['parameters', name, 'default'], message: `"${p.default}" is not one of the choices (${choices.join(', ')})` });
    const keys = Object.keys(p.choices[choices[0]] ?? {}).sort().join(', ');
    for (const c of choices.slice(1)) {
      const these = Object.keys(p.choices[c]).sort().join(', ');
      if (these !== keys) issues.push({ code: 'custom', path: ['parameters', name, 'choices', c], message: `every choice sets the same keys: ${c} sets (${these}), ${choices[0]} sets (${keys})` });
    }
  }
  const refused: ParameterValues['refused'] = [];
  for (const [name, value] of Object.entries(given)) {
    const p = declared[name];
    if (!p) refused.push({ name, message: `the estate file has no parameter "${name}" (parameters: ${Object.keys(declared).join(', ') || 'none'})` });
    else if (p.choices && !(value in p.choices)) refused.push({ name, message: `"${value}" is not one of ${Object.keys(p.choices).join(', ')}` });
    else chosen[name] = value;
  }
  return { chosen, refused, declared };
}

const PARAM = /\$\{param:([^}.]*)(?:\.([^}]*))?\}/g;

/** The file with every `${param:...}` in its components' strings replaced; an unknown one is an issue at its path. */
export function substituteParameters(e: EstateFile, values: ParameterValues, issues: PathIssue[]): EstateFile {
  const components = e.components.map((c, index) => {
    const sub = (text: string, path: PropertyKey[]) =>
      text.replace(PARAM, (whole, name: string, key: string | undefined) => {
        const p = values.declared[name];
        const problem = (message: string) => {
          issues.push({ code: 'custom', path: ['components', index, ...path], message: `${whole}: ${message}` });
          return ''; // reported once, here
        };
        if (!p) return problem(`no parameter "${name}" (parameters: ${Object.keys(values.declared).join(', ') || 'none'})`);
        if (key === undefined) return values.chosen[name];
        if (!p.choices) return problem(`parameter "${name}" has no choices: refer to it as \${param:${name}}`);
        // Every choice sets the same keys (checked above): a default that is no choice still has them.
        const set = p.choices[values.chosen[name]] ?? Object.values(p.choices)[0] ?? {};
        if (!(key in set)) return problem(`the choices of "${name}" set no key "${key}" (keys: ${Object.keys(set).join(', ') || 'none'})`);
        return set[key];
      });
    return mapComponentStrings(c, sub);
  });
  return { ...e, components };
}

/** A component's declaration with `f` applied to every templated string (with its path). */
function mapComponentStrings(c: EstateComponent, f: (s: string, path: PropertyKey[]) => string): EstateComponent {
  return {
    ...c,
    process: c.process && { ...c.process, command: f(c.process.command, ['process', 'command']), args: c.process.args.map((a, i) => f(a, ['process', 'args', i])) },
    docker: c.docker && { ...c.docker, command: c.docker.command?.map((a, i) => f(a, ['docker', 'command', i])) },
    env: Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, f(v, ['env', k])])),
    files: Object.fromEntries(Object.entries(c.files).map(([k, v]) => [k, f(v, ['files', k])])),
  };
}
