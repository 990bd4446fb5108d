/**
 * Markdown building blocks for summary.md. Names, keys and reasons come from drill files, the
 * estate and error messages; escaping keeps a "|" from breaking a table and a "<tag>" from
 * vanishing as HTML when the file is rendered, while staying readable as plain text.
 */

/**
 * Free text: backslash-escape what CommonMark/GFM would act on. "_" inside a word is left alone
 * (GFM does not emphasize there), so "rto_ms" stays readable in the raw file.
 */
export function text(s: string): string {
  return s
    .replace(/[\\`*[\]<>|~]/g, (c) => `\\${c}`)
    .replace(/&(?=#?\w+;)/g, '\\&')
    .replace(/_+/g, (run, at: number, all: string) => (intraword(all, at, run.length) ? run : run.replace(/_/g, '\\_')))
    .replace(/\r?\n/g, ' ');
}

function intraword(s: string, at: number, length: number): boolean {
  return /[A-Za-z0-9]/.test(s[at - 1] ?? '') && /[A-Za-z0-9]/.test(s[at + length] ?? '');
}

/** Inline code for identifiers (gate names, keys, ops): shown verbatim, whatever they contain. */
export function code(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  // A "|" ends a table cell even inside a code span in GFM tables, so it is escaped there too.
  return `${fence}${pad}${s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')}${pad}${fence}`;
}

/** A GFM table; cells are already-escaped markdown. */
export function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** "- **Label:** value" lines, skipping values that are absent. */
export function facts(pairs: [string, string | null | undefined][]): string {
  return pairs
    .filter((p): p is [string, string] => p[1] !== null && p[1] !== undefined)
    .map(([label, value]) => `- **${label}:** ${value}`)
    .join('\n');
}
