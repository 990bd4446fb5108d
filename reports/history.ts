import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { z } from 'zod';
import { verdictSchema, type DrillResult } from '../model/result';

/**
 * The run history: one line per drill run in `history.jsonl` beside the runs' report directories
 * (default `blackstart-reports/history.jsonl`), so a scheduled drill shows its trend and a
 * regression is named, not just a red build. A line holds the headline figures only; the run's
 * result.json (`report`) has the rest. Append-only: a line is written whole with one write, and a
 * line that does not parse (a run killed mid-write, a hand edit) is skipped and counted, never fatal.
 */

export const historyEntrySchema = z.object({
  schema: z.literal('blackstart.history/1'),
  drill: z.string(),
  file: z.string(),
  startedAt: z.string(),
  verdict: verdictSchema,
  exitCode: z.number().int(),
  runtime: z.string(),
  /** Faults applied, in order, and the RTO of all services together for each: null when not recovered. */
  faults: z.array(z.string()),
  rtoMs: z.array(z.number().nullable()),
  /** The recovery window: RTO is resolved to it, so a smaller change is not a regression. */
  windowMs: z.number().positive(),
  lost: z.number().int().nullable(),
  acknowledged: z.number().int().nullable(),
  /** Non-ok requests (fail, info, dropped) over all requests scheduled. */
  errorRate: z.number().nullable(),
  p99Ms: z.number().nullable(),
  gatesFailed: z.array(z.string()),
  /** The run's report directory, relative to the history file. */
  report: z.string(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/** A history line with what changed against the runs of the same drill before it. */
export interface TrendRow extends HistoryEntry {
  regressions: string[];
}

export function historyEntry(r: DrillResult, reportDir: string, historyFile: string): HistoryEntry {
  const total = Object.values(r.load.requests).reduce((a, b) => a + b, 0);
  const notOk = total - (r.load.requests.ok ?? 0);
  const windowMs = Number(r.recovery[0]?.parameters.windowMs ?? 1000);
  return {
    schema: 'blackstart.history/1',
    drill: r.drill.name,
    file: r.drill.file,
    startedAt: r.startedAt,
    verdict: r.verdict,
    exitCode: r.exitCode,
    runtime: r.runtime,
    faults: r.recovery.map((rec) => rec.fault),
    rtoMs: r.recovery.map((rec) => (rec.all.rto.recovered ? rec.all.rto.ms : null)),
    windowMs: Number.isFinite(windowMs) && windowMs > 0 ? windowMs : 1000,
    lost: r.ledger?.counts.lost ?? null,
    acknowledged: r.ledger?.counts.acknowledged ?? null,
    errorRate: total > 0 ? notOk / total : null,
    p99Ms: r.latency?.run.all.p99 ?? null,
    gatesFailed: r.gates.filter((g) => !g.passed).map((g) => g.name),
    report: relative(dirname(historyFile), reportDir) || '.',
  };
}

export function appendHistory(file: string, entry: HistoryEntry): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, JSON.stringify(historyEntrySchema.parse(entry)) + '\n');
}

export function readHistory(file: string): { entries: HistoryEntry[]; skipped: number } {
  if (!existsSync(file)) return { entries: [], skipped: 0 };
  const entries: HistoryEntry[] = [];
  let skipped = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      entries.push(historyEntrySchema.parse(JSON.parse(line)));
    } catch {
      skipped++;
    }
  }
  return { entries, skipped };
}

/** An RTO is worse when it grew by more than the window it is resolved to and by more than this share. */
const RTO_GROWTH = 0.25;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * What got worse in `entry` against `before` (earlier runs of the same drill, oldest first): a
 * verdict that was passing, an RTO that grew past its resolution and by over 25% of the median of
 * the earlier ones, a fault that recovered before and did not now, writes lost where none were.
 */
export function regressions(entry: HistoryEntry, before: HistoryEntry[]): string[] {
  if (before.length === 0) return [];
  const out: string[] = [];
  const previous = before[before.length - 1];
  if (previous.verdict === 'passed' && entry.verdict !== 'passed') out.push(`verdict ${entry.verdict}, was passed`);
  entry.faults.forEach((fault, k) => {
    const earlier = before.map((b) => (b.faults[k] === fault ? b.rtoMs[k] : undefined)).filter((v): v is number | null => v !== undefined);
    const recovered = earlier.filter((v): v is number => v !== null);
    if (recovered.length === 0) return;
    const now = entry.rtoMs[k];
    const typical = median(recovered);
    if (now === null) out.push(`${fault}: not recovered, RTO was ${Math.round(typical)} ms (median of ${recovered.length})`);
    else if (now - typical > entry.windowMs && now > typical * (1 + RTO_GROWTH)) out.push(`${fault}: RTO ${Math.round(now)} ms, was ${Math.round(typical)} ms (median of ${recovered.length})`);
  });
  if ((entry.lost ?? 0) > 0 && before.every((b) => b.lost === 0)) out.push(`${entry.lost} acknowledged write${entry.lost === 1 ? '' : 's'} lost, none before`);
  return out;
}

/** The last `n` runs of `drill` (newest last), each with its regressions against those before it. */
export function trend(entries: HistoryEntry[], drill: string, n = 10): TrendRow[] {
  const mine = entries.filter((e) => e.drill === drill);
  return mine.map((e, i) => ({ ...e, regressions: regressions(e, mine.slice(Math.max(0, i - n), i)) })).slice(-n);
}
