import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../bench/proxy_fuzz';
import { readJournal } from '../../chaos/journal';
import { estateRecordFile } from '../../model/estate_record';
import { processesMentioning, runCli } from './drill';

/**
 * A drill killed at a random moment (issue 14), for test/drill/kill_random.test.ts (process
 * runtime) and test/docker/kill_random.test.ts: the drill is started with faults of every kind
 * that stays applied (a toxic, a link down, a frozen component, a power cut with its dark links),
 * and at a moment drawn from a seeded generator (during the estate's start, the load, or the
 * faults) it gets SIGINT, SIGTERM or SIGKILL; after SIGKILL, `blackstart restore`. Then nothing
 * of it may be left: no process, no estate record (so no proxy holding a toxic or a disabled
 * link), every journaled fault reverted and the journal ended, and (docker) no container, volume
 * or network labelled with its state root.
 */

export const killDrill = (runtime: 'process' | 'docker') => `name: killed
seed: 9
estate:
  runtime: ${runtime}
  failover: { heartbeat_ms: 200, detect_after: 5, promotion_delay_ms: 300, hold_down_ms: 600000 }
load: { rate: 20/s, duration: 40s, warmup: 1s, timeout: 2s }
faults:
  - { name: slow-link, at: 1s, network: { link: dc2-booking, toxic: latency, attributes: { latency: 200 } } }
  - { name: cut-link, at: 1500ms, network: { link: dc2-theatre, toxic: down } }
  - { name: frozen-app, at: 2s, freeze: { component: dc1-theatre } }
  - { name: dark-standby, at: 2500ms, power_cut: { site: dc2 }, restore_after: 30s }
gates:
  - { metric: lost_writes, max: 0 }
`;

export interface KillRound {
  signal: NodeJS.Signals;
  atMs: number;
  /** What the drill had printed when it was killed (its last line). */
  lastLine: string;
  exitCode: number | null;
  restoreExit: number | null;
  restoreOutput: string;
  /** Faults journaled by then (0 when killed before the first). */
  journaled: number;
  /** What was found left afterwards: empty when nothing was. */
  left: string[];
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGKILL'];

/**
 * One round: start the drill in a fresh directory, kill it after `atMs` with `signal`, restore
 * (always: after SIGINT/SIGTERM it must find nothing to do), and list whatever is left.
 * `leftovers` adds runtime-specific findings (docker objects) for the run's state root.
 */
export async function killRound(
  runtime: 'process' | 'docker',
  signal: NodeJS.Signals,
  atMs: number,
  leftovers: (stateRoot: string) => Promise<string[]> = async () => [],
  /** Count `atMs` from this line of the drill's output instead of from its start. */
  after?: RegExp,
): Promise<KillRound> {
  const cwd = mkdtempSync(join(tmpdir(), `blackstart-kill-${runtime}-`));
  writeFileSync(join(cwd, 'killed.yaml'), killDrill(runtime));
  const out = join(cwd, 'out');
  const drill = runCli(['drill', 'killed.yaml', '--out', out], cwd);
  if (after) await drill.waitFor(after);
  await new Promise((r) => setTimeout(r, atMs));
  const lines = drill.output().trim().split('\n');
  drill.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const exited = await Promise.race([drill.exited.then((code) => ({ code })), new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 90_000)))]);
  clearTimeout(timer);
  // null: ended by the signal itself (SIGKILL).
  const exitCode = exited === 'timeout' ? null : exited.code;
  const restore = runCli(['restore'], cwd);
  const restoreExit = await restore.exited;
  const left: string[] = [];
  if (exited === 'timeout') {
    left.push(`the harness did not exit within 90 s of ${signal}`);
    drill.child.kill('SIGKILL');
  }
  // SIGKILLed components take a moment to be reaped.
  const deadline = Date.now() + 10_000;
  while (processesMentioning(cwd).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  left.push(...processesMentioning(cwd).map((p) => `process: ${p.slice(0, 160)}`));
  const stateRoot = join(out, 'estate');
  if (existsSync(stateRoot)) {
    for (const d of readdirSync(stateRoot)) if (existsSync(estateRecordFile(join(stateRoot, d)))) left.push(`estate record: ${d}`);
  }
  let journaled = 0;
  if (existsSync(join(out, 'journal.jsonl'))) {
    const journal = readJournal(join(out, 'journal.jsonl'));
    journaled = journal.faults.length;
    for (const f of journal.faults) if (f.state !== 'reverted') left.push(`fault ${f.id}: ${f.state}${f.error ? ` (${f.error})` : ''}`);
    if (!journal.ended) left.push('the journal was not ended');
  }
  left.push(...(await leftovers(stateRoot)));
  return { signal, atMs, lastLine: lines[lines.length - 1] ?? '', exitCode, restoreExit, restoreOutput: restore.output(), journaled, left };
}

/** `rounds` kills at seeded random moments in [fromMs, toMs) with a seeded random signal (each signal at least once when rounds >= 3; fewer: distinct, drawn from the seed). */
export function killPlan(seed: number, rounds: number, fromMs: number, toMs: number): { signal: NodeJS.Signals; atMs: number }[] {
  const rng = new Rng(seed);
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  };
  // Fewer rounds than signals: which ones is the seed's choice too.
  const signals = shuffle([...SIGNALS]).slice(0, Math.min(rounds, 3));
  while (signals.length < rounds) signals.push(rng.pick(SIGNALS));
  // Shuffled, so which signal lands in which phase varies with the seed too.
  return shuffle(signals).map((signal) => ({ signal, atMs: Math.round(fromMs + rng.next() * (toMs - fromMs)) }));
}
