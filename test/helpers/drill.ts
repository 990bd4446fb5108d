import { execFileSync, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { DrillError, parseDrill } from '../../harness/drill/load';
import type { Drill } from '../../harness/drill/schema';

export const CLI = resolve(__dirname, '..', '..', 'bin', 'blackstart.js');

/**
 * A shorter copy of a drill: every time of the schedule multiplied by `k` (warm-up kept), and the
 * failover hold-down with it. The hold-down is measured against the gaps between faults: kept at
 * full length, a second failover the full drill allows would fall inside it on a busy machine.
 */
export function shorten(drill: Drill, k: number): Drill {
  const t = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * k));
  const failover = drill.estate.failover;
  return {
    ...drill,
    estate: { ...drill.estate, failover: { ...failover, hold_down_ms: Math.round(failover.hold_down_ms * k) } },
    load: { ...drill.load, duration: t(drill.load.duration), stages: drill.load.stages?.map((s) => ({ ...s, duration: t(s.duration)! })) },
    faults: drill.faults.map((f) => ({
      ...f,
      at: Math.max(drill.load.warmup, t(f.at)!),
      duration: t(f.duration),
      restore_after: t(f.restore_after),
      power_flap: f.power_flap && { ...f.power_flap, every: t(f.power_flap.every)! },
    })),
  };
}

/** Runs node with `args` as a child, stdout and stderr kept apart. */
export function runNode(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

/** Runs the CLI as a child; resolves its exit code and output. */
export function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (Date.now() > deadline) throw new Error(`no ${pattern} in output within ${timeoutMs} ms:\n${output.slice(-2000)}`);
      if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before ${pattern}:\n${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, exited, output: () => output, waitFor };
}

/** Processes whose command line mentions `needle` (e.g. an estate's data directory). */
export function processesMentioning(needle: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(needle) && !l.includes('ps -eo'))
    .map((l) => l.trim());
}

/** Pids of the estate a drill started under `outDir` (its record lives while the estate runs). */
export function estatePids(outDir: string): Record<string, number> {
  const { readdirSync, readFileSync, existsSync } = require('node:fs') as typeof import('node:fs');
  const root = join(outDir, 'estate');
  if (!existsSync(root)) return {};
  for (const d of readdirSync(root)) {
    const file = join(root, d, 'estate.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).pids as Record<string, number>;
  }
  return {};
}

/** Linux process state letter (R, S, T for stopped, ...), or undefined when the process is gone. */
export function processState(pid: number): string | undefined {
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
  } catch {
    return undefined;
  }
}

/** Every problem a drill text is refused for (file "drill.yaml"); throws when it is accepted. */
export function drillProblems(text: string) {
  try {
    parseDrill(text, 'drill.yaml');
  } catch (e) {
    if (e instanceof DrillError) return e.problems;
    throw e;
  }
  throw new Error('expected the drill to be refused');
}
