import { appendFileSync } from 'node:fs';
import type { LoadRun } from '../load/engine';

/**
 * Progress while the drill runs. Every second a record is appended to progress.jsonl, so a harness
 * killed mid-drill leaves its partial story on disk. For a person: off a TTY (CI, a pipe) a line a
 * second; on a TTY one status area, redrawn in place twice a second (ANSI cursor movement), with
 * elapsed and remaining time, the current rate and success ratio, the active faults, the
 * controller's last event, and which run of how many (--repeat, --rates). Lines the runner prints
 * meanwhile (a fault applied, a note) appear above it.
 */

export interface ProgressOptions {
  /** A terminal to draw the status area on; without one, a line a second through `print`. */
  tty?: StatusStream;
  /** The load's planned length, ms (for the remaining time). */
  plannedMs?: number;
  /** e.g. "run 2 of 5 @30/s" (--repeat, --rates). */
  runLabel?: string;
  /** The drill's name. */
  drill?: string;
  /** The controller's last event, e.g. "promote dc2 at +7.3 s"; undefined: none yet, or no controller. */
  lastEvent?: () => string | undefined;
  /**
   * progress.jsonl could not be written (a full disk): called once, at the first failure; the
   * progress goes on, on the terminal. Before, the error escaped a timer and killed the harness
   * with its faults applied.
   */
  onWriteError?: (file: string, error: Error) => void;
}

/** What the status area needs of a terminal (process.stderr when it is a TTY). */
export interface StatusStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): boolean;
}

export interface Progress {
  stop(): void;
  /** `print` for the runner while the progress runs: on a TTY, the line goes above the status area. */
  print(line: string): void;
}

export function startProgress(run: LoadRun, file: string, print: (line: string) => void, note: () => string, o: ProgressOptions = {}): Progress {
  const area = o.tty?.isTTY ? new StatusArea(o.tty) : undefined;
  const snapshot = () => {
    const now = performance.now();
    return { now, at: now - run.t0, s: run.live.snapshot(now), inFlight: run.inFlight(), note: note() };
  };
  let failed = false;
  const record = setInterval(() => {
    const { at, s, inFlight, note: n } = snapshot();
    if (!area) print(progressLine(at, s, inFlight, n));
    try {
      appendFileSync(file, JSON.stringify({ atMs: at, ...s, inFlight, note: n }) + '\n');
    } catch (e) {
      if (!failed) o.onWriteError?.(file, e as Error);
      failed = true;
    }
  }, 1000);
  const draw = () => area?.render(statusLines(snapshot(), o));
  const redraw = area ? setInterval(draw, 500) : undefined;
  draw();
  return {
    stop: () => {
      clearInterval(record);
      if (redraw) clearInterval(redraw);
      area?.clear();
    },
    print: (line) => (area ? area.above(() => print(line)) : print(line)),
  };
}

type Snapshot = { at: number; s: ReturnType<LoadRun['live']['snapshot']>; inFlight: number; note: string };

const pct = (r: number) => (Number.isNaN(r) ? '-' : `${(r * 100).toFixed(1)}%`);
const msOr = (v: number) => (Number.isNaN(v) ? '-' : `${v.toFixed(0)}ms`);

/** Off a TTY: today's line a second. */
export function progressLine(atMs: number, s: Snapshot['s'], inFlight: number, note: string): string {
  return `t=${(atMs / 1000).toFixed(1)}s rate=${s.rate.toFixed(0)}/s ok=${pct(s.successRatio)} p99=${msOr(s.p99Ms)} in-flight=${inFlight < 0 ? '-' : inFlight} ${note}`;
}

/** On a TTY: the status area's lines. */
export function statusLines(p: Snapshot, o: ProgressOptions): string[] {
  const secs = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  const planned = o.plannedMs;
  const bar = planned ? progressBar(p.at / planned, 20) : '';
  const head = [o.drill ? `drill ${o.drill}` : 'drill', o.runLabel, planned ? `${secs(p.at)} of ${secs(planned)} (${secs(planned - p.at)} left) ${bar}` : secs(p.at)].filter(Boolean).join('  ');
  return [
    head,
    `  rate ${p.s.rate.toFixed(0)}/s  ok ${pct(p.s.successRatio)}  p99 ${msOr(p.s.p99Ms)}  in flight ${p.inFlight < 0 ? '-' : p.inFlight}`,
    `  faults: ${p.note.replace(/^faults: /, '') || 'none active'}`,
    `  controller: ${o.lastEvent?.() ?? 'no event yet'}`,
  ];
}

function progressBar(f: number, width: number): string {
  const n = Math.round(Math.min(1, Math.max(0, f)) * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

/**
 * A block of lines at the bottom of a terminal, redrawn in place: the cursor goes up over the
 * block and clears to the end of the screen before each drawing. Lines are cut to the terminal's
 * width, so none wraps (a wrapped line would throw the cursor arithmetic off).
 */
export class StatusArea {
  private drawn = 0;
  private last: string[] | undefined;

  constructor(private readonly out: StatusStream) {}

  render(lines: string[]): void {
    const width = Math.max(20, (this.out.columns || 100) - 1);
    const fitted = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
    this.out.write(`${this.erase()}${fitted.join('\n')}\n`);
    this.drawn = fitted.length;
    this.last = lines;
  }

  /** Writes something above the area: the area is erased, the thing written, the area drawn again. */
  above(write: () => void): void {
    const last = this.last;
    this.clear();
    write();
    if (last) this.render(last);
  }

  clear(): void {
    if (this.drawn) this.out.write(this.erase());
    this.drawn = 0;
  }

  private erase(): string {
    return this.drawn ? `\x1b[${this.drawn}A\x1b[0J` : '';
  }
}
