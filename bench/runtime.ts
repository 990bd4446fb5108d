/**
 * Benchmark of the estate runtimes: `npm run bench:runtime`. The process runtime against the
 * docker runtime, in one run, on the same machine:
 *
 * - cold start: `startEstate()` called to resolved (every component up and every service answering
 *   ready through the front door and its proxy);
 * - power cut of dc1: `site('dc1').powerCut()` called to settled (process: SIGKILL sent; docker:
 *   the daemon reports every container of the site stopped);
 * - restore of dc1: `site('dc1').restore()` (cold start of the SAN, then the apps, each healthy);
 * - teardown: `estate.stop()` (process: SIGTERM, SIGKILL after 3 s; docker: logs saved, containers,
 *   volumes and network removed).
 *
 * BENCH_ROUNDS rounds (default 3) run the runtimes interleaved (process, docker, process, ...), so a
 * burst of load from elsewhere on the machine does not land on one runtime only; the figures are
 * the medians over the rounds, with min and max. Before each start the bench waits up to
 * BENCH_QUIET_WAIT_S (default 20, 0: never) for the machine to use less than a quarter of a core,
 * and reports whether it was quiet and the load average.
 *
 * The docker images are built first when their inputs changed (not measured). Every estate is
 * stopped on every path (normal end, error, SIGINT/SIGTERM, overall timeout BENCH_TIMEOUT_S, default
 * 900); at the end the bench checks that no container, volume or network with its estates' labels
 * is left. Not measured here: a drill's RTO on each runtime (needs the drill runner).
 * Output: a table on stdout, then one line `BENCH_RUNTIME_JSON {...}`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEstate, type Estate } from '../services/runtime';
import { findLeftovers, removeLeftovers } from '../services/runtime/docker/cleanup';
import { buildImages } from '../services/runtime/docker/images';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const env = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const ROUNDS = Math.round(env('BENCH_ROUNDS', 3));
const OVERALL_TIMEOUT_MS = env('BENCH_TIMEOUT_S', 900) * 1000;
const QUIET_WAIT_MS = (Number(process.env.BENCH_QUIET_WAIT_S ?? 20) || 0) * 1000;
const QUIET_CORES = 0.25;
const ROOT = resolve(__dirname, '..', '..');

type Runtime = 'process' | 'docker';
const RUNTIMES: Runtime[] = ['process', 'docker'];

const log = (line: string) => process.stderr.write(line + '\n');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- machine load

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

function busyJiffies(): number {
  try {
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  } catch {
    return 0;
  }
}

/** Waits (bounded) until the whole machine uses less than QUIET_CORES, two 1-second windows running. */
async function waitQuiet(): Promise<boolean> {
  const t0 = performance.now();
  let calm = 0;
  while (performance.now() - t0 < QUIET_WAIT_MS) {
    const a = busyJiffies();
    await sleep(1000);
    calm = (busyJiffies() - a) / 100 < QUIET_CORES ? calm + 1 : 0;
    if (calm >= 2) return true;
  }
  return false;
}

// ---------------------------------------------------------------- estates: always stopped

const stateRoot = mkdtempSync(join(tmpdir(), 'blackstart-bench-runtime-'));
const running = new Set<Estate>();

interface Run {
  runtime: Runtime;
  round: number;
  startMs: number;
  powerCutMs: number;
  restoreMs: number;
  stopMs: number;
  load: string;
  quietBefore: boolean;
}

async function once(runtime: Runtime, roundNo: number): Promise<Run> {
  const quietBefore = await waitQuiet();
  const load = loadAverage();
  const t0 = performance.now();
  const estate = await within(startEstate({ runtime }, { stateRoot, readyTimeoutMs: 60_000 }), 120_000, `${runtime} start`);
  const startMs = performance.now() - t0;
  running.add(estate);
  let powerCutMs = NaN;
  let restoreMs = NaN;
  let stopMs = NaN;
  try {
    const res = await fetch(`${estate.endpoints.services.booking}/health/ready`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`${runtime}: booking not ready through the front door (${res.status})`);
    const t1 = performance.now();
    await estate.site('dc1').powerCut();
    powerCutMs = performance.now() - t1;
    const t2 = performance.now();
    await within(estate.site('dc1').restore(), 120_000, `${runtime} restore`);
    restoreMs = performance.now() - t2;
  } finally {
    const t3 = performance.now();
    await within(estate.stop(), 60_000, `${runtime} stop`).finally(() => running.delete(estate));
    stopMs = performance.now() - t3;
  }
  return { runtime, round: roundNo, startMs: round(startMs), powerCutMs: round(powerCutMs), restoreMs: round(restoreMs), stopMs: round(stopMs), load, quietBefore };
}

async function cleanup(): Promise<void> {
  await Promise.allSettled([...running].map((e) => within(e.stop(), 60_000, 'stop')));
  // Anything of this bench's docker estates left (a start interrupted midway): by label.
  await removeLeftovers({ root: stateRoot }).catch(() => undefined);
  rmSync(stateRoot, { recursive: true, force: true });
}

// ---------------------------------------------------------------- report

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

type Figure = 'startMs' | 'powerCutMs' | 'restoreMs' | 'stopMs';
const FIGURES: [Figure, string][] = [
  ['startMs', 'cold start'],
  ['powerCutMs', 'power cut dc1'],
  ['restoreMs', 'restore dc1'],
  ['stopMs', 'teardown'],
];

function summarise(runs: Run[]) {
  return Object.fromEntries(
    RUNTIMES.map((rt) => {
      const mine = runs.filter((r) => r.runtime === rt);
      return [
        rt,
        Object.fromEntries(
          FIGURES.map(([f]) => {
            const v = mine.map((r) => r[f]);
            return [f, { median: round(median(v)), min: round(Math.min(...v)), max: round(Math.max(...v)) }];
          }),
        ),
      ];
    }),
  ) as Record<Runtime, Record<Figure, { median: number; min: number; max: number }>>;
}

async function main(): Promise<void> {
  log(`bench:runtime: ${ROUNDS} rounds, process and docker interleaved; ${cpus().length} cores, load ${loadAverage()}`);
  const t0 = performance.now();
  const images = await buildImages({ root: ROOT, log: (l) => log(`  ${l}`) });
  log(`  images: ${images.map((i) => `${i.name} ${i.action}`).join(', ')} (${round((performance.now() - t0) / 1000)} s, not measured)`);
  const runs: Run[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    for (const runtime of RUNTIMES) {
      const run = await once(runtime, r);
      runs.push(run);
      log(
        `  round ${r} ${runtime.padEnd(7)} start ${run.startMs} ms, power cut ${run.powerCutMs} ms, restore ${run.restoreMs} ms, teardown ${run.stopMs} ms (load ${run.load}${run.quietBefore ? '' : ', not quiet'})`,
      );
    }
  }
  const left = await findLeftovers({ root: stateRoot });
  const leftovers = left.containers.length + left.volumes.length + left.networks.length;
  if (leftovers) throw new Error(`docker objects left behind: ${JSON.stringify(left)}`);
  const summary = summarise(runs);
  const lines = [
    '',
    `estate runtimes, median of ${ROUNDS} (min-max), ms`,
    `${'figure'.padEnd(16)}${'process'.padStart(22)}${'docker'.padStart(24)}`,
    ...FIGURES.map(([f, label]) => {
      const cell = (rt: Runtime) => `${summary[rt][f].median} (${summary[rt][f].min}-${summary[rt][f].max})`;
      return `${label.padEnd(16)}${cell('process').padStart(22)}${cell('docker').padStart(24)}`;
    }),
    `docker leftovers after the run: ${leftovers}`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  process.stdout.write(`BENCH_RUNTIME_JSON ${JSON.stringify({ rounds: ROUNDS, cores: cpus().length, node: process.version, summary, runs })}\n`);
}

let finished = false;
const overall = setTimeout(() => {
  log(`bench:runtime: overall timeout of ${OVERALL_TIMEOUT_MS / 1000} s`);
  void cleanup().finally(() => process.exit(1));
}, OVERALL_TIMEOUT_MS);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  // `on`, not `once`: testcontainers' signal-exit re-raises a signal it finds no other listener for.
  process.on(sig, () => {
    if (finished) return;
    finished = true;
    log(`bench:runtime: ${sig}, stopping the estates`);
    void cleanup().finally(() => process.exit(130));
  });
}
main()
  .then(async () => {
    finished = true;
    clearTimeout(overall);
    await cleanup();
  })
  .catch(async (e: Error) => {
    finished = true;
    clearTimeout(overall);
    log(`bench:runtime failed: ${e.stack ?? e.message}`);
    await cleanup();
    process.exit(1);
  });
