/**
 * Benchmark of the mock estate on the process runtime: `npm run bench:estate`.
 *
 * Measured in one run:
 * - cold start: `startEstate()` called to resolved (every component up and every service answering
 *   ready through the front door and its proxy), BENCH_STARTS times (default 5), sync configuration,
 *   and the teardown (`estate.stop()`) of each;
 * - booking writes, `POST /Appointment` with a distinct free slot and Idempotency-Key each, closed
 *   loop with BENCH_CONCURRENCY in flight (default 16), in three set-ups, each on a fresh estate of
 *   its own:
 *     direct - the dc1 booking app's own port (no front door, no proxy before the app), sync estate:
 *              the baseline;
 *     sync   - through the front door's proxy and the front door, replication.mode sync;
 *     async  - the same, replication.mode async.
 *   The three estates run side by side and are measured in interleaved slices of BENCH_SLICE_MS
 *   (default 1000): a cycle is one slice of each set-up, in rotating order, so load from elsewhere on
 *   the machine lands on every set-up alike. BENCH_CYCLES cycles (default 5, so 5 s per set-up) are
 *   kept, after BENCH_WARMUP writes per set-up and BENCH_WARMUP_CYCLES (default 3) thrown-away cycles.
 *   Between slices, unmeasured, the appointments just booked are cancelled (on the app), so their
 *   slots are free again: the catalogue has 3200 slots per estate. The write estates detect a dead
 *   site after 25 missed heartbeats instead of 3 (see STEADY); any failover event fails the run.
 *
 * Latency is the time from sending a request to having read the whole response. Any answer but 201
 * (or a cancellation but 200) is reported and fails the run.
 *
 * Other work on the machine skews every figure. Before each start and each cycle the bench waits
 * (up to BENCH_QUIET_WAIT_S, default 15, for a start; 5 s for a cycle) for the rest of the machine to
 * use less than a quarter of a core. A start or cycle during which the rest of the machine used more
 * than 0.3 core is measured again: starts up to BENCH_ATTEMPTS times (default 3), cycles up to
 * BENCH_MAX_CYCLES (default 15), each within a time budget; the least disturbed are kept and the CPU
 * used by others is reported with every figure.
 *
 * Every estate keeps its state under a temporary directory, removed at the end, and is stopped on
 * every path (normal end, error, SIGINT/SIGTERM, overall timeout of BENCH_TIMEOUT_S, default 900);
 * components of a start still in progress are found as this process's children and killed by pid.
 * Output: a table on stdout (progress on stderr), then one line `BENCH_ESTATE_JSON {...}`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { EstateConfigInput } from '../services/estate/config';
import { listSlots } from '../services/booking/catalogue';
import { testNhsNumber } from '../services/common/nhs_number';
import { startEstate, type Estate } from '../services/runtime';
import { cpuBetween, cpuSample, env, loadAverage, median, percentile, processJiffies, sleep, within } from './lib';

const STARTS = Math.round(env('BENCH_STARTS', 5));
const CONCURRENCY = Math.round(env('BENCH_CONCURRENCY', 16));
const SLICE_MS = env('BENCH_SLICE_MS', 1000);
const CYCLES = Math.round(env('BENCH_CYCLES', 5));
const MAX_CYCLES = Math.max(CYCLES, Math.round(env('BENCH_MAX_CYCLES', 15)));
const WARMUP = Math.round(env('BENCH_WARMUP', 100));
/** Interleaved cycles run and thrown away before the measured ones (JIT, caches, connection pools). */
const WARMUP_CYCLES = Math.round(Number(process.env.BENCH_WARMUP_CYCLES ?? 3) || 0);
const ATTEMPTS = Math.round(env('BENCH_ATTEMPTS', 3));
const OVERALL_TIMEOUT_MS = env('BENCH_TIMEOUT_S', 900) * 1000;
/** Retries of disturbed starts stop after this much of the run; of disturbed cycles, after this much of the write phase. */
const START_BUDGET_MS = OVERALL_TIMEOUT_MS * 0.3;
const WRITE_BUDGET_MS = OVERALL_TIMEOUT_MS * 0.3;
/** Before each start, wait up to this long for the machine to be quiet (0: never wait). */
const QUIET_WAIT_MS = (Number(process.env.BENCH_QUIET_WAIT_S ?? 15) || 0) * 1000;
const QUIET_WAIT_CYCLE_MS = Math.min(QUIET_WAIT_MS, 5_000);
/** Quiet: everything but the bench and its estates used less than this many cores, two 1-second windows running. */
const QUIET_CORES = 0.25;
/** Disturbed: everything else used more than this many cores while a start or slice was measured. */
const NOISY_CORES = 0.3;
const REQUEST_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const BENCH_T0 = performance.now();

const SLOTS = listSlots().map((s) => s.id);
if (WARMUP > SLOTS.length) throw new Error(`BENCH_WARMUP ${WARMUP} is more than the ${SLOTS.length} slots of the catalogue`);

const log = (line: string) => process.stderr.write(line + '\n');
// ---------------------------------------------------------------- estates: always stopped

const stateRoot = mkdtempSync(join(tmpdir(), 'blackstart-bench-estate-'));
const running = new Set<Estate>();
/** Every pid an estate ever had, to check that none is left and to kill leftovers as a last resort. */
const seenPids = new Set<number>();

function notePids(estate: Estate): void {
  for (const c of estate.components) if (c.id) seenPids.add(Number(c.id));
}

/** Cold starts: the default configuration (replication sync). */
const SYNC: EstateConfigInput = { replication: { mode: 'sync' } };
/**
 * Write estates: the same, but a site is declared down after 25 missed heartbeats of 200 ms (5 s)
 * instead of 3 (0.6 s), which also makes the SAN's controller lease 5 s. On 2 shared cores a burst
 * of CPU starvation (other work, or this bench starting the next estate) can otherwise fail dc1 over
 * in the middle of a measurement; failover is not what is measured here. Any failover event is still
 * counted and reported.
 */
const STEADY = { failover: { heartbeat_ms: 200, detect_after: 25 } };
const WRITE_SYNC: EstateConfigInput = { ...STEADY, replication: { mode: 'sync' } };
const WRITE_ASYNC: EstateConfigInput = { ...STEADY, replication: { mode: 'async' } };

/** What the estate says about itself when a write fails: the controller's events, each SAN's role. */
async function diagnose(estate: Estate): Promise<string> {
  const get = async (url: string) => {
    try {
      const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
      return await res.body.text();
    } catch (e) {
      return `(${(e as Error).message})`;
    }
  };
  const events = await get(`${estate.endpoints.controller}/events`);
  const sans = await Promise.all(
    (['dc1', 'dc2'] as const).map(async (site) => `${site} SAN ${await get(`${estate.endpoints.sites[site].sanAdmin}/status`)}`),
  );
  return `controller events: ${events}\n      ${sans.join('\n      ')}`;
}

/** Controller events that mean the estate left steady state (a site declared down, a promotion, ...). */
const FAILOVER_EVENTS = new Set(['detect', 'fence', 'promote', 'promotion-failed', 'failover-held', 'awaiting-manual-promotion', 'retarget-failed']);

async function failoverEvents(estate: Estate): Promise<string[]> {
  const res = await request(`${estate.endpoints.controller}/events`, { headersTimeout: 2000, bodyTimeout: 2000 });
  const events = (await res.body.json()) as { type: string; site?: string; detail?: string }[];
  return events.filter((e) => FAILOVER_EVENTS.has(e.type)).map((e) => `${e.type}${e.site ? ` ${e.site}` : ''}${e.detail ? ` (${e.detail})` : ''}`);
}

/**
 * Starts that failed because a component's port was taken between the runtime picking it (free
 * ports are probed, then released) and the component binding it: the estate's known race, made
 * likelier by other estates starting on the machine. Such a start is made again (up to twice) and
 * reported; any other failure ends the bench.
 */
const portRaces: string[] = [];

async function start(config: EstateConfigInput): Promise<{ estate: Estate; ms: number }> {
  for (let attempt = 1; ; attempt++) {
    const t0 = performance.now();
    try {
      const estate = await within(startEstate(config, { stateRoot, readyTimeoutMs: 30_000 }), START_TIMEOUT_MS, 'startEstate');
      const ms = performance.now() - t0;
      running.add(estate);
      notePids(estate);
      return { estate, ms };
    } catch (e) {
      const message = (e as Error).message;
      if (attempt >= 3 || !/EADDRINUSE/.test(message) || finishing) throw e;
      const line = message.split('\n').find((l) => /EADDRINUSE/.test(l)) ?? message;
      portRaces.push(`${message.split('\n')[0]} ${line.trim()}`);
      log(`    estate start failed on a port race, starting again: ${message.split('\n')[0]} ${line.trim()}`);
    }
  }
}

async function stop(estate: Estate): Promise<number> {
  notePids(estate);
  const t0 = performance.now();
  try {
    await within(estate.stop(), STOP_TIMEOUT_MS, 'estate.stop');
  } finally {
    running.delete(estate);
  }
  return performance.now() - t0;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    // A zombie is gone for our purposes.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

/**
 * This process's own children that run an estate component (services/main.js), by /proc: catches
 * the components of a start still in progress, which no Estate object holds yet.
 */
function componentChildren(): number[] {
  const found: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const d of entries) {
    try {
      const ppid = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'))?.[1];
      if (Number(ppid) !== process.pid) continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('services/main.js')) found.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Stops what is still running (bounded), kills any survivor by pid, removes the state directory. */
async function cleanup(): Promise<string[]> {
  await Promise.allSettled([...running].map((e) => stop(e)));
  const killed = new Set<number>();
  // A start in progress may still spawn components for a moment: look a few times.
  for (let i = 0; i < 5; i++) {
    const left = [...new Set([...[...seenPids].filter(alive), ...componentChildren()])].filter((pid) => !killed.has(pid));
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // gone meanwhile
      }
    }
    if (left.length === 0 && i >= 1) break;
    await sleep(200);
  }
  rmSync(stateRoot, { recursive: true, force: true });
  return [...killed].map(String);
}

// ---------------------------------------------------------------- machine load

/**
 * Waits (bounded by QUIET_WAIT_MS) until the rest of the machine is quiet; other workers share the
 * cores. Returns how long it waited and whether it got quiet.
 */
async function waitQuiet(maxMs = QUIET_WAIT_MS, pids = [process.pid]): Promise<{ waitedS: number; quiet: boolean }> {
  const t0 = performance.now();
  let calm = 0;
  while (performance.now() - t0 < maxMs) {
    const a = cpuSample(pids);
    await sleep(1000);
    const others = cpuBetween(a, cpuSample(pids)).othersCores;
    calm = others < QUIET_CORES ? calm + 1 : 0;
    if (calm >= 2) return { waitedS: round((performance.now() - t0) / 1000), quiet: true };
  }
  return { waitedS: round((performance.now() - t0) / 1000), quiet: false };
}

// ---------------------------------------------------------------- statistics

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------- disturbed runs measured again

interface Attempted {
  attempts: number;
  /** Cores used by others in the attempts not kept. */
  discarded: number[];
}

/**
 * Runs `measure` until an attempt is undisturbed (others used at most NOISY_CORES), at most ATTEMPTS
 * times and not past START_BUDGET_MS of the run; keeps the least disturbed attempt.
 */
async function leastDisturbed<T extends { othersCores: number }>(what: string, measure: () => Promise<T>): Promise<T & Attempted> {
  const all: T[] = [];
  let best: T | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const r = await measure();
    all.push(r);
    if (!best || r.othersCores < best.othersCores) best = r;
    if (r.othersCores <= NOISY_CORES || attempt === ATTEMPTS) break;
    if (performance.now() - BENCH_T0 > START_BUDGET_MS) {
      log(`    ${what}: others used ${r.othersCores} cores during it; retry budget spent, keeping it`);
      break;
    }
    log(`    ${what}: others used ${r.othersCores} cores during it; measuring again`);
  }
  const kept = best!;
  return { ...kept, attempts: all.length, discarded: all.filter((r) => r !== kept).map((r) => r.othersCores) };
}

// ---------------------------------------------------------------- cold start

interface StartRun {
  startMs: number;
  stopMs: number;
  /** CPU (cores) used by everything but the bench and its estate during the start. */
  othersCores: number;
  load: string;
  quietBefore: boolean;
}

async function coldStart(): Promise<StartRun> {
  const { quiet } = await waitQuiet();
  const load = loadAverage();
  const c0 = cpuSample([process.pid]);
  const { estate, ms } = await start(SYNC);
  let stopMs: number;
  let othersCores: number;
  try {
    const c1 = cpuSample([process.pid]);
    // The components were born during the start: all their CPU time is the start's.
    const children = estate.components.reduce((sum, c) => sum + (c.id ? processJiffies(Number(c.id)) : 0), 0);
    const seconds = (c1.at - c0.at) / 1000;
    othersCores = round(Math.max(0, (c1.busy - c0.busy - (c1.ours - c0.ours) - children) / 100 / seconds), 2);
    const res = await request(`${estate.endpoints.services.booking}/health/ready`, { headersTimeout: 5000, bodyTimeout: 5000 });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`started estate: booking not ready through the front door (${res.statusCode})`);
  } finally {
    stopMs = await stop(estate);
  }
  return { startMs: round(ms), stopMs: round(stopMs), othersCores, load, quietBefore: quiet };
}

// ---------------------------------------------------------------- booking writes

type Setup = 'direct' | 'sync' | 'async';
const SETUPS: readonly Setup[] = ['direct', 'sync', 'async'];

/** One set-up's estate and where its writes go. */
interface Target {
  setup: Setup;
  estate: Estate;
  /** Where bookings go: the dc1 booking app (direct) or the front door's proxy. */
  base: string;
  /** Where cancellations go (between slices, not measured): the dc1 booking app. */
  appBase: string;
  dispatcher: Agent;
  /** Slots free in this estate (a booked slot is freed again by cancelling it after the slice). */
  free: string[];
  /** Counter for unique Idempotency-Keys and patients. */
  n: number;
  pids: number[];
}

interface Slice {
  setup: Setup;
  writes: number;
  seconds: number;
  latencies: number[];
  statuses: Record<string, number>;
  servedBy: Record<string, number>;
  samples: string[];
  /** The SAN fell back to async (sync_timeout_ms without the replica's ack) during the slice. */
  degraded: boolean;
  maxLagSeq: number;
  /** Cores used during the slice: by the bench and all its estates, by the two idle estates alone, by other work. */
  cpu: { ours: number; idleEstates: number; others: number };
  /** Every slot of the estate was in use (the slice ended early). */
  exhausted: boolean;
}

async function replication(estate: Estate): Promise<{ degraded: boolean; lagSeq: number; connected: boolean }> {
  const res = await request(`${estate.endpoints.sites.dc1.sanAdmin}/replication`, { headersTimeout: 2000, bodyTimeout: 2000 });
  const body = (await res.body.json()) as { sender: { degraded: boolean; lagSeq: number; connected: boolean } | null };
  if (!body.sender) throw new Error('dc1 SAN is not primary');
  return body.sender;
}

/**
 * Books free slots, CONCURRENCY in flight (closed loop), until `ms` have passed (requests in flight
 * then finish and count) or no slot is free; then cancels every appointment it booked (directly on
 * the app, not measured), so the slots are free for the next slice.
 */
async function slice(t: Target, ms: number, allPids: number[], o: { watch?: boolean; maxWrites?: number } = {}): Promise<Slice> {
  const url = new URL(`${t.base}/Appointment`);
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  const sites = new Map<string, number>();
  const samples: string[] = [];
  const booked: { slot: string; id: string }[] = [];
  let exhausted = false;

  let watching = o.watch ?? true;
  const maxWrites = o.maxWrites ?? Infinity;
  let started = 0;
  let degraded = false;
  let maxLagSeq = 0;
  const watcher = (async () => {
    while (watching) {
      try {
        const r = await replication(t.estate);
        degraded ||= r.degraded;
        maxLagSeq = Math.max(maxLagSeq, r.lagSeq);
      } catch {
        // a missed sample
      }
      await sleep(100);
    }
  })();

  const idlePids = allPids.filter((pid) => pid !== process.pid && !t.pids.includes(pid));
  const c0 = cpuSample(allPids);
  const i0 = cpuSample(idlePids);
  const t0 = performance.now();
  const deadline = t0 + ms;
  const worker = async () => {
    while (performance.now() < deadline && started < maxWrites) {
      started++;
      const slot = t.free.pop();
      if (slot === undefined) {
        exhausted = true;
        return;
      }
      const n = t.n++;
      const body = JSON.stringify({ slot, patient: testNhsNumber(n) });
      const start = performance.now();
      let status = '0';
      let site = 'none';
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher: t.dispatcher,
          headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${t.estate.id}-${n}` },
          body,
          headersTimeout: REQUEST_TIMEOUT_MS,
          bodyTimeout: REQUEST_TIMEOUT_MS,
        });
        const text = await res.body.text();
        status = String(res.statusCode);
        site = String(res.headers['x-blackstart-site'] ?? 'none');
        if (res.statusCode === 201) booked.push({ slot, id: (JSON.parse(text) as { id: string }).id });
        else if (samples.length < 5) samples.push(`${status} ${slot}: ${text.slice(0, 300)}`);
      } catch (e) {
        const err = e as { code?: string; message: string };
        if (samples.length < 5) samples.push(`error ${slot}: ${err.code ?? ''} ${err.message}`);
      }
      latencies.push(performance.now() - start);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      sites.set(site, (sites.get(site) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const i1 = cpuSample(idlePids);
  const between = cpuBetween(c0, cpuSample(allPids));
  const cpu = { ours: round(between.oursCores, 2), others: round(between.othersCores, 2), idleEstates: round((i1.ours - i0.ours) / 100 / ((i1.at - i0.at) / 1000), 2) };
  watching = false;
  await watcher;

  await cancel(t, booked);
  return {
    setup: t.setup,
    writes: latencies.length,
    seconds,
    latencies,
    statuses: Object.fromEntries(statuses),
    servedBy: Object.fromEntries(sites),
    samples,
    degraded,
    maxLagSeq,
    cpu,
    exhausted,
  };
}

/** Cancels the appointments (CONCURRENCY in flight) and returns their slots to the free list. */
async function cancel(t: Target, booked: { slot: string; id: string }[]): Promise<void> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < booked.length) {
      const { slot, id } = booked[next++];
      try {
        const res = await request(`${t.appBase}/Appointment/${id}/$cancel`, {
          method: 'POST',
          dispatcher: t.dispatcher,
          headers: { 'content-type': 'application/json' },
          body: '{}',
          headersTimeout: REQUEST_TIMEOUT_MS,
          bodyTimeout: REQUEST_TIMEOUT_MS,
        });
        const text = await res.body.text();
        if (res.statusCode === 200) t.free.unshift(slot);
        else failures.push(`${res.statusCode} ${id}: ${text.slice(0, 200)}`);
      } catch (e) {
        failures.push(`error ${id}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (failures.length > 0) throw new Error(`${t.setup}: ${failures.length} cancellations failed: ${failures.slice(0, 3).join(' | ')}`);
}

async function target(setup: Setup): Promise<Target> {
  const { estate } = await start(setup === 'async' ? WRITE_ASYNC : WRITE_SYNC);
  const base = setup === 'direct' ? estate.endpoints.sites.dc1.apps.booking : estate.endpoints.services.booking;
  const appBase = estate.endpoints.sites.dc1.apps.booking;
  for (const u of [base, appBase]) if (!/^http:\/\/127\.0\.0\.1:/.test(u)) throw new Error(`refusing a non-loopback endpoint: ${u}`);
  const t: Target = {
    setup,
    estate,
    base,
    appBase,
    // Its own connections per set-up; cancellations use them between slices.
    dispatcher: new Agent({ connections: CONCURRENCY, keepAliveTimeout: 30_000, connect: { timeout: 5_000 } }),
    free: [...SLOTS].reverse(),
    n: 0,
    pids: estate.components.map((c) => Number(c.id)).filter((p) => p > 0),
  };
  return t;
}

interface SetupFigures {
  writesPerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  writes: number;
  seconds: number;
  non201: number;
  statuses: Record<string, number>;
  servedBy: Record<string, number>;
  degradedSeen: boolean;
  maxLagSeq: number;
  /** writes/s of each kept slice, in cycle order. */
  slices: number[];
}

function figures(slices: Slice[]): SetupFigures {
  const sorted = Float64Array.from(slices.flatMap((x) => x.latencies)).sort();
  const writes = sorted.length;
  const seconds = slices.reduce((sum, x) => sum + x.seconds, 0);
  const merge = (pick: (x: Slice) => Record<string, number>) => {
    const m: Record<string, number> = {};
    for (const x of slices) for (const [k, v] of Object.entries(pick(x))) m[k] = (m[k] ?? 0) + v;
    return m;
  };
  const statuses = merge((x) => x.statuses);
  return {
    writesPerS: round(writes / seconds),
    p50Ms: round(percentile(sorted, 50), 2),
    p99Ms: round(percentile(sorted, 99), 2),
    maxMs: round(sorted[sorted.length - 1] ?? NaN, 2),
    writes,
    seconds: round(seconds, 3),
    non201: writes - (statuses['201'] ?? 0),
    statuses,
    servedBy: merge((x) => x.servedBy),
    degradedSeen: slices.some((x) => x.degraded),
    maxLagSeq: Math.max(...slices.map((x) => x.maxLagSeq)),
    slices: slices.map((x) => round(x.writes / x.seconds)),
  };
}

interface Cycle {
  cycle: number;
  /** A warm-up cycle: never kept. */
  warmup: boolean;
  order: Setup[];
  /** Most CPU (cores) any of its slices saw used by other work. */
  othersCores: number;
  slices: Slice[];
}

/**
 * The three set-ups, each on its own estate (all three started before measuring), measured in
 * interleaved slices: a cycle is one slice of each, in rotating order, so load from elsewhere on
 * the machine falls on every set-up alike. CYCLES undisturbed cycles are kept; a disturbed one (some
 * slice saw others use more than NOISY_CORES) is measured again, up to MAX_CYCLES and WRITE_BUDGET_MS;
 * short of undisturbed ones, the least disturbed are kept and the result says so.
 */
async function measureWrites(): Promise<{
  cycles: Cycle[];
  kept: Cycle[];
  undisturbed: boolean;
  figures: Record<Setup, SetupFigures>;
  failovers: Record<Setup, string[]>;
}> {
  const targets: Target[] = [];
  try {
    for (const setup of SETUPS) targets.push(await target(setup));
    const allPids = [process.pid, ...targets.flatMap((t) => t.pids)];
    // Warm-up: connections, JIT, SQLite caches; cancelled like every slice.
    for (const t of targets) {
      const w = await slice(t, 30_000, allPids, { watch: false, maxWrites: WARMUP }).catch((e: Error) => {
        throw new Error(`${t.setup} warm-up: ${e.message}`);
      });
      if (w.writes - (w.statuses['201'] ?? 0) > 0) {
        throw new Error(`${t.setup}: warm-up writes not 201: ${w.samples.join(' | ')}\n      ${await diagnose(t.estate)}`);
      }
    }
    const cycles: Cycle[] = [];
    const measured = () => cycles.filter((x) => !x.warmup);
    const t0 = performance.now();
    for (let c = 0; c < WARMUP_CYCLES + MAX_CYCLES && measured().filter((x) => x.othersCores <= NOISY_CORES).length < CYCLES; c++) {
      const warmup = c < WARMUP_CYCLES;
      if (measured().length >= CYCLES && performance.now() - t0 > WRITE_BUDGET_MS) {
        log(`    write budget of ${WRITE_BUDGET_MS / 1000} s spent after ${c} cycles`);
        break;
      }
      if (!warmup) await waitQuiet(QUIET_WAIT_CYCLE_MS, allPids);
      const order = SETUPS.map((_, i) => SETUPS[(i + c) % SETUPS.length]);
      const slices: Slice[] = [];
      for (const setup of order) slices.push(await slice(targets.find((t) => t.setup === setup)!, SLICE_MS, allPids));
      const cycle: Cycle = { cycle: c + 1, warmup, order, othersCores: Math.max(...slices.map((x) => x.cpu.others)), slices };
      cycles.push(cycle);
      const bad = slices.reduce((sum, x) => sum + x.writes - (x.statuses['201'] ?? 0), 0);
      log(
        `  ${warmup ? 'warm-up ' : ''}cycle ${c + 1}: ` +
          slices.map((x) => `${x.setup} ${round(x.writes / x.seconds)}/s`).join(', ') +
          `; others ${cycle.othersCores} cores${cycle.othersCores > NOISY_CORES ? ' (disturbed)' : ''}${bad ? `; ${bad} non-201` : ''}`,
      );
      for (const x of slices) for (const sample of x.samples) log(`    ${x.setup}: ${sample}`);
      for (const x of slices) if (x.writes !== (x.statuses['201'] ?? 0)) log(`    ${x.setup}: ${await diagnose(targets.find((t) => t.setup === x.setup)!.estate)}`);
      // Errors are the result, whatever the load: stop and report them.
      if (bad > 0) break;
    }
    const undisturbedCycles = measured().filter((x) => x.othersCores <= NOISY_CORES);
    const withErrors = cycles.filter((x) => x.slices.some((s) => s.writes !== (s.statuses['201'] ?? 0)));
    let kept: Cycle[];
    if (undisturbedCycles.length >= CYCLES) kept = undisturbedCycles.slice(0, CYCLES);
    else kept = [...measured()].sort((a, b) => a.othersCores - b.othersCores).slice(0, CYCLES).sort((a, b) => a.cycle - b.cycle);
    // Never leave a cycle with errors out.
    for (const x of withErrors) if (!kept.includes(x)) kept.push(x);
    const fig = Object.fromEntries(SETUPS.map((setup) => [setup, figures(kept.flatMap((x) => x.slices.filter((s) => s.setup === setup)))])) as Record<
      Setup,
      SetupFigures
    >;
    const failovers = Object.fromEntries(
      await Promise.all(targets.map(async (t) => [t.setup, await failoverEvents(t.estate).catch((e: Error) => [`(events not read: ${e.message})`])])),
    ) as Record<Setup, string[]>;
    return { cycles, kept, undisturbed: undisturbedCycles.length >= CYCLES, figures: fig, failovers };
  } finally {
    await Promise.allSettled(targets.map((t) => t.dispatcher.close().catch(() => t.dispatcher.destroy())));
    await Promise.allSettled(targets.map((t) => stop(t.estate)));
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'n/a', node: process.version, loadBefore: loadAverage() };
  log(`bench:estate: ${machine.cores} cores (${machine.cpu}), node ${machine.node}, load ${machine.loadBefore}; state under ${stateRoot}`);

  // Cold starts (sync, the default configuration), each stopped before the next.
  const starts: (StartRun & Attempted)[] = [];
  for (let i = 1; i <= STARTS; i++) {
    const s = await leastDisturbed(`start ${i}`, coldStart);
    starts.push(s);
    log(
      `  start ${i}/${STARTS}: ${s.startMs} ms, stop ${s.stopMs} ms, others ${s.othersCores} cores` +
        ` (attempts ${s.attempts}, load ${s.load}${s.quietBefore ? '' : ', machine busy before'})`,
    );
  }
  const startMs = starts.map((s) => s.startMs);
  const stopMs = starts.map((s) => s.stopMs);
  const cold = {
    runs: STARTS,
    startMedianMs: round(median(startMs)),
    startMinMs: Math.min(...startMs),
    startMaxMs: Math.max(...startMs),
    stopMedianMs: round(median(stopMs)),
    stopMinMs: Math.min(...stopMs),
    stopMaxMs: Math.max(...stopMs),
    othersCoresMedian: round(median(starts.map((s) => s.othersCores)), 2),
    starts,
  };

  // Writes: three estates, interleaved slices.
  const loadWrites = loadAverage();
  const w = await measureWrites();
  const f = w.figures;
  const ratio = (a: number, b: number) => round(a / b, 2);
  const ratios = Object.fromEntries(
    SETUPS.map((s) => [s, { writesPerS: ratio(f[s].writesPerS, f.direct.writesPerS), p50: ratio(f[s].p50Ms, f.direct.p50Ms), p99: ratio(f[s].p99Ms, f.direct.p99Ms) }]),
  ) as Record<Setup, { writesPerS: number; p50: number; p99: number }>;
  const othersKept = w.kept.map((c) => c.othersCores);

  const label: Record<Setup, string> = {
    direct: 'direct to dc1 booking app (sync)',
    sync: 'front door, replication sync',
    async: 'front door, replication async',
  };
  const lines = [
    '',
    `Estate (process runtime, ${machine.cores} cores, node ${machine.node}; load average at start ${machine.loadBefore}, at end ${loadAverage()})`,
    '',
    `Cold start, startEstate() to serving through the front door, ${STARTS} runs: median ${cold.startMedianMs} ms (min ${cold.startMinMs}, max ${cold.startMaxMs})`,
    `Teardown, estate.stop(), ${STARTS} runs: median ${cold.stopMedianMs} ms (min ${cold.stopMinMs}, max ${cold.stopMaxMs})`,
    `  other work during the starts kept: median ${cold.othersCoresMedian} cores, max ${Math.max(...starts.map((s) => s.othersCores))}; ` +
      `starts measured again because of it: ${starts.reduce((n, s) => n + s.attempts - 1, 0)}`,
    '',
    `Booking writes, POST /Appointment, ${CONCURRENCY} in flight, ${w.kept.length} interleaved slices of ${SLICE_MS / 1000} s per set-up:`,
    '',
    '| set-up                           | writes/s | p50 ms | p99 ms | writes/s vs direct | p50 vs direct | p99 vs direct | non-201 |',
    '|----------------------------------|---------:|-------:|-------:|-------------------:|--------------:|--------------:|--------:|',
    ...SETUPS.map((s) => {
      const x = f[s];
      const q = ratios[s];
      return `| ${label[s].padEnd(32)} | ${String(x.writesPerS).padStart(8)} | ${String(x.p50Ms).padStart(6)} | ${String(x.p99Ms).padStart(6)} | ${`${q.writesPerS}x`.padStart(18)} | ${`${q.p50}x`.padStart(13)} | ${`${q.p99}x`.padStart(13)} | ${String(x.non201).padStart(7)} |`;
    }),
    '',
    `writes/s per kept slice: ${SETUPS.map((s) => `${s} ${f[s].slices.join(' / ')}`).join('; ')}`,
    `the two idle estates during each kept slice used: median ${round(median(w.kept.flatMap((c) => c.slices.map((x) => x.cpu.idleEstates))), 2)} cores; ` +
      `the set-up measured with the bench: median ${round(median(w.kept.flatMap((c) => c.slices.map((x) => x.cpu.ours - x.cpu.idleEstates))), 2)} cores`,
    `other work during the kept cycles: median ${round(median(othersKept), 2)} cores, max ${Math.max(...othersKept)}; ` +
      `cycles run ${w.cycles.length} (${WARMUP_CYCLES} of them warm-up), kept ${w.kept.length}${w.undisturbed ? '' : ` (fewer than ${CYCLES} undisturbed cycles: the least disturbed were kept)`}`,
    `writes measured: ${SETUPS.map((s) => `${s} ${f[s].writes}`).join(', ')}; served by: ${SETUPS.map((s) => `${s} ${JSON.stringify(f[s].servedBy)}`).join(', ')}`,
    ...(portRaces.length > 0 ? [`estate starts made again after a port race (EADDRINUSE, not counted in the figures): ${portRaces.length}`] : []),
    `failover events during the writes (must be none): ${SETUPS.map((s) => `${s} ${w.failovers[s].length ? w.failovers[s].join('; ') : 'none'}`).join(', ')}`,
    `dc1 SAN replication: max lag (seq) ${SETUPS.map((s) => `${s} ${f[s].maxLagSeq}`).join(', ')}; sync fell back to async: ${f.direct.degradedSeen || f.sync.degradedSeen ? 'YES' : 'no'}`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  const non201 = SETUPS.reduce((n, s) => n + f[s].non201, 0) + w.cycles.filter((c) => !w.kept.includes(c)).reduce((n, c) => n + c.slices.reduce((m, x) => m + x.writes - (x.statuses['201'] ?? 0), 0), 0);
  const failoverCount = SETUPS.reduce((n, s) => n + w.failovers[s].length, 0);
  const result = {
    bench: 'estate',
    machine: { ...machine, loadAtWrites: loadWrites, loadAfter: loadAverage() },
    params: { starts: STARTS, concurrency: CONCURRENCY, sliceMs: SLICE_MS, cycles: CYCLES, maxCycles: MAX_CYCLES, warmup: WARMUP, attempts: ATTEMPTS },
    coldStart: cold,
    writes: Object.fromEntries(SETUPS.map((s) => [s, f[s]])),
    ratiosToDirect: ratios,
    cycles: w.cycles.map((c) => ({
      cycle: c.cycle,
      kept: w.kept.includes(c),
      warmup: c.warmup,
      order: c.order,
      othersCores: c.othersCores,
      slices: c.slices.map((x) => ({
        setup: x.setup,
        writes: x.writes,
        seconds: round(x.seconds, 3),
        writesPerS: round(x.writes / x.seconds),
        statuses: x.statuses,
        degraded: x.degraded,
        maxLagSeq: x.maxLagSeq,
        cpu: x.cpu,
        exhausted: x.exhausted,
      })),
    })),
    undisturbed: w.undisturbed,
    portRaces,
    failovers: w.failovers,
    non201,
    ok: non201 === 0 && failoverCount === 0,
  };
  process.stdout.write(`BENCH_ESTATE_JSON ${JSON.stringify(result)}\n`);
  if (non201 > 0) log(`FAIL: ${non201} writes were not answered 201`);
  if (failoverCount > 0) log(`FAIL: ${failoverCount} failover events while writing`);
  return result.ok ? 0 : 1;
}

// ---------------------------------------------------------------- run, bounded, always cleaned up

let finishing = false;
async function finish(code: number, why?: string): Promise<void> {
  // Already cleaning up (after a signal or the timeout): main() failing meanwhile changes nothing.
  if (finishing) return;
  finishing = true;
  if (why) log(why);
  const left = await within(cleanup(), STOP_TIMEOUT_MS + 5_000, 'cleanup').catch((e: Error) => {
    log(e.message);
    return ['?'];
  });
  if (left.length > 0) {
    log(`estate processes killed at the end (pids): ${left.join(', ')}`);
    code ||= 1;
  }
  process.exit(code);
}

const watchdog = setTimeout(() => void finish(1, `bench:estate: overall timeout of ${OVERALL_TIMEOUT_MS / 1000} s`), OVERALL_TIMEOUT_MS);
watchdog.unref();
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    // A second signal while cleaning up: stop waiting.
    if (finishing) process.exit(code);
    void finish(code, `bench:estate: ${signal}`);
  });
}

main().then(
  (code) => finish(code),
  (e: Error) => finish(1, `bench:estate failed: ${e.stack ?? e.message}`),
);
