import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, createWriteStream, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { Service } from '../../../model/estate';
import type { LoadRun, LoadSummary } from '../engine';
import { LiveStats } from '../live';
import type { RequestLog } from '../records';
import { K6PointReader } from './reader';
import { startKeyRecorder, type KeyRecorder } from './recorder';

/**
 * `load: { engine: k6 }`: k6 puts the load on the estate and blackstart reads its points back
 * (docs/ARCHITECTURE.md § 6, "k6"). `k6 run --out json=<out>/k6-points.json` with the service URLs
 * as environment variables (BLACKSTART_PAS_URL, BLACKSTART_BOOKING_URL, BLACKSTART_THEATRE_URL) and
 * BLACKSTART_RUN_ID (the prefix of the exported script's keys). The output is read while k6 writes
 * it, for the progress line and the abort rules; the request records are built from it when k6 has
 * exited (harness/load/k6/reader.ts).
 */

/** The k6 executable on PATH, or undefined. */
export function findK6(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, 'k6');
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Throws, naming k6, when it is not on PATH: called before the estate starts. */
export function requireK6(): string {
  const k6 = findK6();
  if (!k6) {
    throw new Error(
      'load.engine is k6, but no k6 executable is on PATH: install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/) ' +
        'or run the drill with the built-in engine (drop load.engine, or --engine builtin); nothing was started',
    );
  }
  return k6;
}

export interface K6LoadOptions {
  k6: string;
  /** The script to run: the exported one, or the user's own. */
  script: string;
  /** The user's own script: its writes' keys come from blackstart's key recorder. */
  userScript: boolean;
  targets: Record<Service, string>;
  runId: string;
  outDir: string;
  log: RequestLog;
  /** How long to wait for k6's first point (its setup and VU start-up). */
  startTimeoutMs?: number;
}

export interface K6Load {
  run: LoadRun;
  pointsFile: string;
}

/** Starts k6; resolves once its first point is read (t0), so faults are scheduled on k6's clock. */
export async function startK6Load(o: K6LoadOptions): Promise<K6Load> {
  const recorder: KeyRecorder | undefined = o.userScript ? await startKeyRecorder(o.targets) : undefined;
  const services = recorder?.services ?? o.targets;
  const pointsFile = join(resolve(o.outDir), 'k6-points.json');
  writeFileSync(pointsFile, '');
  const live = new LiveStats();
  const reader = new K6PointReader({ log: o.log, live, services, answerFor: recorder ? (r) => recorder.answerFor(r) : undefined });
  const env: Record<string, string> = {
    BLACKSTART_PAS_URL: services.pas,
    BLACKSTART_BOOKING_URL: services.booking,
    BLACKSTART_THEATRE_URL: services.theatre,
    BLACKSTART_RUN_ID: o.runId,
  };
  const args = ['run', '--quiet', '--no-usage-report', '--out', `json=${pointsFile}`, ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), o.script];
  const logFile = join(resolve(o.outDir), 'k6.log');
  const logStream = createWriteStream(logFile);
  logStream.write(`$ ${o.k6} ${args.join(' ')}\n`);
  const child = spawn(o.k6, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderrTail = '';
  child.stdout.pipe(logStream, { end: false });
  child.stderr.on('data', (d: Buffer) => {
    logStream.write(d);
    stderrTail = (stderrTail + d.toString()).slice(-2000);
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? 128 : null))));
  child.on('error', (e) => {
    stderrTail += `\n${e.message}`;
  });

  // Tail the output: k6 flushes every 200 ms, in whole or partial lines.
  let offset = 0;
  let partial = '';
  const fd = openSync(pointsFile, 'r');
  const buf = Buffer.alloc(1 << 20);
  const readMore = () => {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, offset);
      if (n <= 0) return;
      offset += n;
      const text = partial + buf.subarray(0, n).toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) reader.push(line);
    }
  };
  const poll = setInterval(readMore, 100);

  const startedAt = performance.now();
  const timeout = o.startTimeoutMs ?? 120_000;
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  while (reader.firstTime === undefined) {
    if (exitCode !== undefined) break;
    if (performance.now() - startedAt > timeout) {
      child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
    readMore();
  }
  if (reader.firstTime === undefined) {
    clearInterval(poll);
    closeSync(fd);
    await recorder?.close();
    const code = await exited;
    logStream.end();
    throw new Error(`k6 wrote no point within ${timeout / 1000} s (exit ${code}); ${logFile}: ${stderrTail.trim().split('\n').slice(-5).join(' | ')}`);
  }
  const t0 = reader.firstTime - performance.timeOrigin;

  let stopped = false;
  const done = (async (): Promise<LoadSummary> => {
    const code = await exited;
    clearInterval(poll);
    readMore();
    if (partial.trim()) reader.push(partial);
    closeSync(fd);
    await recorder?.close();
    logStream.end();
    // 0: done; 99: k6's own thresholds failed (blackstart judges its gates itself); an interrupted
    // run (stop(): SIGINT) exits as k6 decides.
    if (!stopped && code !== 0 && code !== 99) {
      throw new Error(`k6 exited with code ${code}${K6_EXIT[code ?? -1] ? ` (${K6_EXIT[code ?? -1]})` : ''}; ${logFile}: ${stderrTail.trim().split('\n').slice(-5).join(' | ')}`);
    }
    const first = o.log.length;
    const { requests, dropped } = reader.finish();
    let last = t0;
    for (let i = first; i < o.log.length; i++) if (o.log.end[i] > last) last = o.log.end[i];
    return { scheduled: requests + dropped, dropped, lagP50Ms: 0, lagP99Ms: 0, lagMaxMs: 0, durationMs: last - t0 };
  })();

  const run: LoadRun = {
    log: o.log,
    live,
    t0,
    inFlight: () => -1,
    stop: () => {
      if (stopped) return;
      stopped = true;
      child.kill('SIGINT');
      setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 15_000).unref();
    },
    done,
  };
  return { run, pointsFile };
}

/** k6's exit codes (errext/exitcodes). */
const K6_EXIT: Record<number, string> = {
  97: 'cloud test run failed',
  99: 'thresholds failed',
  104: 'invalid config',
  105: 'external abort',
  107: 'script exception',
  108: 'script aborted',
};

