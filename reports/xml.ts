/**
 * XML 1.0 escaping for the JUnit report. Names and reasons come from drill files and error
 * messages, so any character can reach here; a single stray one makes CI reject the whole file.
 */

// XML 1.0 forbids these even as character references (&#1; is not well-formed), so they cannot
// be escaped, only replaced: with a visible \uXXXX so the reader still sees something was there.
// Also lone surrogates and U+FFFE/U+FFFF, which are not XML characters either.
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function replaceIllegal(s: string): string {
  return s.replace(ILLEGAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Escape for element content. */
export function xmlText(s: string): string {
  return replaceIllegal(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escape for a double- or single-quoted attribute value. Tab and newlines are written as
 * references because a parser normalizes literal ones to spaces: a multi-line failure message
 * keeps its lines.
 */
export function xmlAttr(s: string): string {
  return xmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** `name="value" ...` from pairs, in order (CI tools don't care, but diffs of reports do). */
export function attrs(pairs: Record<string, string | number>): string {
  return Object.entries(pairs)
    .map(([k, v]) => `${k}="${xmlAttr(String(v))}"`)
    .join(' ');
}
