/**
 * Benchmark of the estate runtimes: `npm run bench:runtime`. The process runtime against the
 * docker runtime, in one run, on the same machine.
 *
 * Part 1, the estate's life cycle:
 * - cold start: `startEstate()` called to resolved (every component up and every service answering
 *   ready through the front door and its proxy);
 * - power cut of dc1: `site('dc1').powerCut()` called to settled (process: SIGKILL sent; docker:
 *   the daemon reports every container of the site stopped);
 * - restore of dc1: `site('dc1').restore()` (cold start of the SAN, then the apps, each healthy);
 * - teardown: `estate.stop()` (process: SIGTERM, SIGKILL after 3 s; docker: logs saved, containers,
 *   volumes and network removed).
 *
 * Part 2, the same drill measured on each runtime: the flagship drill (BENCH_DRILL, default
 * drills/maidstone-san-outage.yaml) cut to its first fault (the dc1 power cut), its load ending where
 * the second fault would start. Per run: the RTO of all services together, the times to detect,
 * promote and first success, the outage, lost writes and the verdict. The runtimes should agree
 * within the measurement resolution (the recovery window: RTO is a window boundary) plus the
 * difference in how long a power cut takes to land (part 1's power cut figure, docker minus
 * process); the bench prints whether they do. The outages should agree too: on both runtimes the
 * power cut fault darkens the site's links before the kill (chaos/faults/power_cut.ts), while
 * part 1 calls the runtime's bare `powerCut()`.
 *
 * BENCH_ROUNDS rounds (default 3) run the runtimes interleaved (process, docker, process, ...), so a
 * burst of load from elsewhere on the machine does not land on one runtime only; the figures are
 * the medians over the rounds, with min and max. Before each start the bench waits (bounded, see
 * waitForQuiet) for the machine to be quiet, and records the load average.
 *
 * The docker images are built first when their inputs changed (not measured). Every estate is
 * stopped on every path (normal end, error, SIGINT/SIGTERM, the overall timeout BENCH_TIMEOUT_S,
 * default 1500); at the end the bench checks that no container, volume or network with its
 * estates' labels is left. Output: tables on stdout, then one line `BENCH_RUNTIME_JSON {...}`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDrill } from '../harness/drill/load';
import type { Drill } from '../harness/drill/schema';
import { runDrill } from '../harness/runner/run';
import { buildImages, findLeftovers, removeLeftovers, startEstate, type Estate } from '../services/runtime';
import { env, loadAverage, median, ROOT, waitForQuiet, within } from './lib';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const ROUNDS = Math.round(env('BENCH_ROUNDS', 3));
const OVERALL_TIMEOUT_MS = env('BENCH_TIMEOUT_S', 1500) * 1000;
const DRILL_FILE = process.env.BENCH_DRILL ?? join(ROOT, 'drills', 'maidstone-san-outage.yaml');
/** Waiting for a quiet machine before each measured run: at most this long. */
const QUIET_MAX_S = 20;

type Runtime = 'process' | 'docker';
const RUNTIMES: Runtime[] = ['process', 'docker'];

const log = (line: string) => process.stderr.write(line + '\n');
const round = (v: number | null, digits = 1) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);

// ---------------------------------------------------------------- estates: always stopped

const benchRoot = mkdtempSync(join(tmpdir(), 'blackstart-bench-runtime-'));
const stateRoot = join(benchRoot, 'estates');
/** Every state root a docker estate of this bench may be labelled with (one per drill run, and the estates'). */
const roots = [stateRoot];
const running = new Set<Estate>();

interface CycleRun {
  runtime: Runtime;
  round: number;
  startMs: number;
  powerCutMs: number;
  restoreMs: number;
  stopMs: number;
  load: string;
}

async function cycle(runtime: Runtime, roundNo: number): Promise<CycleRun> {
  await waitForQuiet(log, QUIET_MAX_S);
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
  return { runtime, round: roundNo, startMs: round(startMs)!, powerCutMs: round(powerCutMs)!, restoreMs: round(restoreMs)!, stopMs: round(stopMs)!, load };
}

// ---------------------------------------------------------------- the same drill on each runtime

/** The drill up to its second fault: the first fault alone, the load ending where the next would start. */
function firstFaultOnly(drill: Drill): Drill {
  const [first, next] = drill.faults;
  if (!first) throw new Error(`${DRILL_FILE}: the drill has no fault to measure`);
  const duration = next ? Math.min(drill.load.duration ?? next.at, next.at) : drill.load.duration;
  return {
    ...drill,
    name: `${drill.name}-first-fault`,
    load: { ...drill.load, duration },
    faults: [first],
    gates: drill.gates.filter((g) => g.fault === undefined || g.fault === first.name || g.fault === 0),
  };
}

interface DrillRun {
  runtime: Runtime;
  round: number;
  verdict: string;
  fault: string;
  /** null: not recovered within the drill. */
  rtoMs: number | null;
  detectMs: number | null;
  promoteMs: number | null;
  firstOkMs: number | null;
  outageMs: number | null;
  lost: number | null;
  acknowledged: number | null;
  load: string;
}

async function drillOn(drill: Drill, runtime: Runtime, roundNo: number): Promise<DrillRun> {
  await waitForQuiet(log, QUIET_MAX_S);
  const load = loadAverage();
  const outDir = join(benchRoot, `drill-${runtime}-${roundNo}`);
  roots.push(join(outDir, 'estate'));
  const r = await within(runDrill({ ...drill, estate: { ...drill.estate, runtime } }, { file: DRILL_FILE, outDir }), 300_000, `${runtime} drill`);
  if (r.error) throw new Error(`${runtime} drill: ${r.error}`);
  const rec = r.recovery[0];
  return {
    runtime,
    round: roundNo,
    verdict: r.verdict,
    fault: rec?.fault ?? '(not applied)',
    rtoMs: rec?.all.rto.recovered ? round(rec.all.rto.ms) : null,
    detectMs: round(rec?.timeToDetectMs ?? null),
    promoteMs: round(rec?.timeToPromoteMs ?? null),
    firstOkMs: round(rec?.all.timeToFirstOkMs ?? null),
    outageMs: round(rec?.all.outageMs ?? null),
    lost: r.ledger?.counts.lost ?? null,
    acknowledged: r.ledger?.counts.acknowledged ?? null,
    load,
  };
}

// ---------------------------------------------------------------- report

interface Spread {
  median: number | null;
  min: number | null;
  max: number | null;
  /** Runs without a figure (not recovered, no event). */
  missing: number;
}

function spread(values: (number | null)[]): Spread {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (!v.length) return { median: null, min: null, max: null, missing: values.length };
  return { median: round(median(v)), min: round(Math.min(...v)), max: round(Math.max(...v)), missing: values.length - v.length };
}

function summarise<R extends { runtime: Runtime }, F extends keyof R & string>(runs: R[], figures: F[]): Record<Runtime, Record<F, Spread>> {
  const byRuntime = (rt: Runtime) => runs.filter((r) => r.runtime === rt);
  return Object.fromEntries(
    RUNTIMES.map((rt) => [rt, Object.fromEntries(figures.map((f) => [f, spread(byRuntime(rt).map((r) => r[f] as number | null))]))]),
  ) as Record<Runtime, Record<F, Spread>>;
}

function table<F extends string>(title: string, summary: Record<Runtime, Record<F, Spread>>, figures: [F, string][]): string[] {
  const cell = (s: Spread) => (s.median === null ? 'n/a' : `${s.median} (${s.min}-${s.max})${s.missing ? ` +${s.missing} none` : ''}`);
  return [
    title,
    `${'figure'.padEnd(20)}${'process'.padStart(24)}${'docker'.padStart(26)}`,
    ...figures.map(([f, label]) => `${label.padEnd(20)}${cell(summary.process[f]).padStart(24)}${cell(summary.docker[f]).padStart(26)}`),
  ];
}

const CYCLE_FIGURES: [keyof CycleRun & ('startMs' | 'powerCutMs' | 'restoreMs' | 'stopMs'), string][] = [
  ['startMs', 'cold start'],
  ['powerCutMs', 'power cut dc1'],
  ['restoreMs', 'restore dc1'],
  ['stopMs', 'teardown'],
];
const DRILL_FIGURES: [keyof DrillRun & ('rtoMs' | 'detectMs' | 'promoteMs' | 'firstOkMs' | 'outageMs' | 'lost'), string][] = [
  ['rtoMs', 'RTO (all services)'],
  ['detectMs', 'time to detect'],
  ['promoteMs', 'time to promote'],
  ['firstOkMs', 'time to first ok'],
  ['outageMs', 'outage'],
  ['lost', 'lost writes'],
];

async function cleanup(): Promise<void> {
  await Promise.allSettled([...running].map((e) => within(e.stop(), 60_000, 'stop')));
  // Anything of this bench's docker estates left (a start interrupted midway): by label.
  for (const root of roots) await removeLeftovers({ root }).catch(() => undefined);
  rmSync(benchRoot, { recursive: true, force: true });
}

async function main(): Promise<void> {
  log(`bench:runtime: ${ROUNDS} rounds, process and docker interleaved; ${cpus().length} cores, load ${loadAverage()}`);
  const t0 = performance.now();
  const images = await buildImages({ root: ROOT, log: (l) => log(`  ${l}`) });
  log(`  images: ${images.map((i) => `${i.name} ${i.action}`).join(', ')} (${round((performance.now() - t0) / 1000)} s, not measured)`);

  const cycles: CycleRun[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    for (const runtime of RUNTIMES) {
      const run = await cycle(runtime, r);
      cycles.push(run);
      log(`  round ${r} ${runtime.padEnd(7)} start ${run.startMs} ms, power cut ${run.powerCutMs} ms, restore ${run.restoreMs} ms, teardown ${run.stopMs} ms (load ${run.load})`);
    }
  }

  const drill = firstFaultOnly(loadDrill(DRILL_FILE));
  log(`  drill: ${drill.name} (${DRILL_FILE}), fault "${drill.faults[0].name}" at ${drill.faults[0].at} ms, load ${drill.load.duration} ms`);
  const drills: DrillRun[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    for (const runtime of RUNTIMES) {
      const run = await drillOn(drill, runtime, r);
      drills.push(run);
      log(
        `  round ${r} ${runtime.padEnd(7)} ${run.verdict}: RTO ${run.rtoMs ?? 'not recovered'} ms, detect ${run.detectMs} ms, promote ${run.promoteMs} ms, first ok ${run.firstOkMs} ms, outage ${run.outageMs} ms, lost ${run.lost} of ${run.acknowledged} (load ${run.load})`,
      );
    }
  }

  const left = { containers: 0, volumes: 0, networks: 0 };
  for (const root of roots) {
    const l = await findLeftovers({ root });
    left.containers += l.containers.length;
    left.volumes += l.volumes.length;
    left.networks += l.networks.length;
  }
  const leftovers = left.containers + left.volumes + left.networks;
  if (leftovers) throw new Error(`docker objects left behind: ${JSON.stringify(left)}`);

  const cycleSummary = summarise(cycles, CYCLE_FIGURES.map(([f]) => f));
  const drillSummary = summarise(drills, DRILL_FIGURES.map(([f]) => f));
  const windowMs = drill.recovery.window;
  const killExtra = Math.max(0, (cycleSummary.docker.powerCutMs.median ?? 0) - (cycleSummary.process.powerCutMs.median ?? 0));
  const tolerance = round(windowMs + killExtra)!;
  const [p, d] = [drillSummary.process.rtoMs.median, drillSummary.docker.rtoMs.median];
  const difference = p === null || d === null ? null : round(d - p);
  const agree = difference !== null && Math.abs(difference) <= tolerance;
  const lines = [
    '',
    ...table(`estate life cycle, median of ${ROUNDS} (min-max), ms`, cycleSummary, CYCLE_FIGURES),
    '',
    ...table(`drill ${drill.name}, median of ${ROUNDS} (min-max), ms`, drillSummary, DRILL_FIGURES),
    `verdicts: process ${drills.filter((r) => r.runtime === 'process').map((r) => r.verdict).join(', ')}; docker ${drills.filter((r) => r.runtime === 'docker').map((r) => r.verdict).join(', ')}`,
    difference === null
      ? 'RTO: no comparison (a runtime never recovered)'
      : `RTO docker - process: ${difference} ms; tolerance ${tolerance} ms (recovery window ${windowMs} ms + docker's extra power-cut time ${round(killExtra)} ms): ${agree ? 'agree' : 'DISAGREE'}`,
    `docker leftovers after the run: ${leftovers}`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  process.stdout.write(
    `BENCH_RUNTIME_JSON ${JSON.stringify({
      rounds: ROUNDS,
      cores: cpus().length,
      node: process.version,
      cycle: { summary: cycleSummary, runs: cycles },
      drill: { name: drill.name, file: DRILL_FILE, summary: drillSummary, runs: drills, rto: { differenceMs: difference, toleranceMs: tolerance, agree } },
    })}\n`,
  );
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
