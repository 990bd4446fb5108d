import { z } from 'zod';

/**
 * The units of a drill file: durations ('500ms', '15s', '2m', '1.5h') and rates ('200/s',
 * '600/m'). The zod types below take the text and give the number (ms, or per second), so a
 * spec declared with them serves a drill file and, as its parsed type, the code that acts on it.
 */

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The longest duration a file may write: 24 h (a drill, a hook's timeout, a health check). */
export const MAX_DURATION_MS = 24 * 3_600_000;
/** The highest rate: well above what one harness sends on schedule (bench:load: about 8,000/s). */
export const MAX_RATE_PER_S = 100_000;

/** The text as a message quotes it: cut short, so a megabyte value does not flood the terminal. */
const quoted = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);

/** '500ms', '15s', '2m', '1.5h' -> ms. A bare number is refused: the unit must be explicit. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) {
    const why = /^\s*-/.test(text) ? 'a duration cannot be negative' : 'use e.g. 500ms, 15s, 2m (digits and a unit, no exponent)';
    throw new Error(`${quoted(text)} is not a duration: ${why}`);
  }
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2]]);
  // Finite digits can still make Infinity (400 nines): refused with the limit, like any long one.
  if (!(ms <= MAX_DURATION_MS)) throw new Error(`${quoted(text)} is too long: at most 24h`);
  return ms;
}

const RATE = /^(\d+(?:\.\d+)?)\s*\/\s*(s|m)$/;

/** '200/s', '600/m' -> requests per second. */
export function parseRate(text: string): number {
  const m = RATE.exec(text.trim());
  if (!m) {
    const why = /^\s*-/.test(text) ? 'a rate cannot be negative' : 'use e.g. 200/s or 600/m (digits, no exponent)';
    throw new Error(`${quoted(text)} is not a rate: ${why}`);
  }
  const perSecond = Number(m[1]) / (m[2] === 'm' ? 60 : 1);
  if (perSecond <= 0) throw new Error(`rate ${quoted(text)} must be above 0`);
  if (!(perSecond <= MAX_RATE_PER_S)) throw new Error(`rate ${quoted(text)} is too high: at most ${MAX_RATE_PER_S}/s`);
  return perSecond;
}

const fromText = (parse: (t: string) => number, what: string, check?: (value: number, text: string) => string | undefined) =>
  z.string({ error: `must be a ${what} string such as ${what === 'duration' ? '"15s"' : '"200/s"'}` }).transform((t, ctx) => {
    try {
      const value = parse(t);
      const problem = check?.(value, t);
      if (problem === undefined) return value;
      ctx.addIssue({ code: 'custom', message: problem });
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
    return z.NEVER;
  });

/** Zod type of a duration: the TypeScript type is the parsed number of ms; `min` (ms) refuses shorter ones. */
export const duration = (opts: { min?: number } = {}) =>
  fromText(parseDuration, 'duration', (ms, text) =>
    opts.min !== undefined && ms < opts.min ? `"${text}" is too short: at least ${opts.min}ms` : undefined,
  );
/** Zod type of a rate: the TypeScript type is the parsed number per second. */
export const rate = () => fromText(parseRate, 'rate');
