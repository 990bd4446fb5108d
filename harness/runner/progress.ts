import { appendFileSync } from 'node:fs';
import type { LoadRun } from '../load/engine';

/**
 * A line a second while the drill runs: on the terminal for a person, and appended to
 * progress.jsonl so a harness killed mid-drill leaves its partial story on disk.
 */
export function startProgress(run: LoadRun, file: string, print: (line: string) => void, note: () => string): () => void {
  const timer = setInterval(() => {
    const now = performance.now();
    const s = run.live.snapshot(now);
    const at = (now - run.t0) / 1000;
    const line = `t=${at.toFixed(1)}s rate=${s.rate.toFixed(0)}/s ok=${Number.isNaN(s.successRatio) ? '-' : (s.successRatio * 100).toFixed(1) + '%'} p99=${Number.isNaN(s.p99Ms) ? '-' : s.p99Ms.toFixed(0) + 'ms'} in-flight=${run.inFlight()} ${note()}`;
    print(line);
    appendFileSync(file, JSON.stringify({ atMs: now - run.t0, ...s, inFlight: run.inFlight(), note: note() }) + '\n');
  }, 1000);
  return () => clearInterval(timer);
}
