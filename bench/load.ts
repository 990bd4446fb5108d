/**
 * Benchmark of the open-model load engine (harness/load/engine.ts): `npm run bench:load`.
 *
 * In one run, against a trivial HTTP server on 127.0.0.1 that answers `{}` at once, running in a
 * child process (bench/load_server.ts) so that client and server each have an event loop:
 *
 *  - baseline: autocannon's closed-loop maximum throughput (best of a few connection counts);
 *  - the engine's highest on-schedule rate: constant-arrival-rate runs, stepped up then bisected,
 *    a rate being accepted when nothing was dropped, every request was ok and the p99 schedule
 *    lag was under 5 ms; reported with its ratio to autocannon's maximum. Each run starts a new
 *    engine whose pool is opened and warmed first (20 ms of arrivals' worth of connections), then
 *    runs BENCH_WARMUP_S (1 s) at the rate before the judged BENCH_STEP_S, as a drill's
 *    `load.warmup` does (not judged; its p99 lag and failures are printed as the cold start); a
 *    second search finds the highest rate on schedule after the judged run's first second, and the
 *    two should agree (within 10%);
 *  - memory of the records: RequestLog bytes (columns) and heap growth per million requests, with
 *    keys and acknowledged ids for the writes, and the projection for 500 req/s over 5 minutes.
 *
 * Knobs: BENCH_AC_S (autocannon seconds per setting, 10), BENCH_AC_CONNS (connection counts,
 * "16,64"), BENCH_STEP_S (seconds per engine run, 5, at most 5), BENCH_STEPS (engine runs in the
 * first search, 8, at most 10), BENCH_STEPS_WARM (in the second, 5, at most 8), BENCH_STEP_QUIET_S
 * (wait for a quiet second before each run, 10), BENCH_START_RATE (1000), BENCH_ROWS (synthetic rows, 1000000), BENCH_QUIET_WAIT_S (wait for a
 * quiet machine at the start, 60; 0 to skip), BENCH_LOAD_SERVER_NODE_ARGS (node flags of the server
 * process), BENCH_LOAD_ONLY=records (the memory part alone). Run with --expose-gc (the npm script
 * does) for the memory figures.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import * as path from 'node:path';
import { openPools, runLoad, warmConnections, warmPools, type Workload } from '../harness/load/engine';
import { constantArrivalRate } from '../harness/load/executors/constant_arrival_rate';
import { OutcomeCode, RequestLog, type ServiceName } from '../harness/load/records';
import { cpuBetween, cpuSample, env, loadAverage, percentile, runBench, sleep, waitForQuiet, within } from './lib';

const AC_SECONDS = env('BENCH_AC_S', 10, 30);
const AC_CONNS = (process.env.BENCH_AC_CONNS ?? '16,64')
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0)
  .slice(0, 4);
const STEP_MS = env('BENCH_STEP_S', 5, 5) * 1000;
/**
 * Each engine run opens with a warm-up at its rate, as a drill's `load.warmup` does (every shipped
 * drill has 3-5 s), not judged: its figures are reported apart as the cold start.
 */
const WARMUP_MS = env('BENCH_WARMUP_S', 1, 5) * 1000;
/** Runs of each search: on schedule over the whole run, then after the first second. */
const MAX_STEPS = Math.floor(env('BENCH_STEPS', 8, 10));
const MAX_STEPS_WARM = Math.floor(env('BENCH_STEPS_WARM', 5, 8));
const START_RATE = env('BENCH_START_RATE', 1000);
const ROWS = Math.floor(env('BENCH_ROWS', 1_000_000, 5_000_000));
const MAX_RETRIES = 3;
/** Before each measured run: wait up to this long for a second in which other work is under QUIET_CORES. */
const STEP_QUIET_MS = env('BENCH_STEP_QUIET_S', 10, 60) * 1000;
const QUIET_CORES = 0.3;
const BUSY_CORES = 0.5;
const LAG_P99_LIMIT_MS = 5;
/** 500 req/s for 5 minutes: the records must fit well under 200 MB. */
const DRILL = { rate: 500, seconds: 300, budgetMB: 200 };
const OVERALL_TIMEOUT_MS = 15 * 60_000;

const MB = 1e6;
const gcFn = (globalThis as { gc?: () => void }).gc;
const gc = () => {
  gcFn?.();
  gcFn?.();
};
const log = (line: string) => process.stderr.write(line + '\n');
const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

// ---------------------------------------------------------------- the server, in a child process

let child: ChildProcess | undefined;

function killServer(): void {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

async function startServer(): Promise<{ base: string; pid: number }> {
  const execArgv = (process.env.BENCH_LOAD_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const c = fork(path.join(__dirname, 'load_server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  child = c;
  const port = await within(
    new Promise<number>((resolve, reject) => {
      c.once('message', (m: { port?: number }) => (typeof m?.port === 'number' ? resolve(m.port) : reject(new Error(`load server said ${JSON.stringify(m)}`))));
      c.once('error', reject);
      c.once('exit', (code, signal) => reject(new Error(`load server exited (${code ?? signal}) before listening`)));
    }),
    10_000,
    'load server start',
  );
  return { base: `http://127.0.0.1:${port}`, pid: c.pid! };
}

async function stopServer(): Promise<void> {
  const c = child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  if (c.connected) c.disconnect();
  await within(exited, 3_000, 'load server stop').catch(() => {
    c.kill('SIGKILL');
  });
}

// ---------------------------------------------------------------- machine load


/** Waits up to `ms` for a 1-second window in which other work stays under QUIET_CORES; returns the last figure. */
async function quietWindow(pids: number[], ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const a = cpuSample(pids);
    await sleep(1_000);
    const others = cpuBetween(a, cpuSample(pids)).othersCores;
    if (others < QUIET_CORES || Date.now() >= deadline) return others;
  }
}

// ---------------------------------------------------------------- closed-loop baseline

interface ClosedLoop {
  connections: number;
  rps: number;
  total: number;
  errors: number;
  non2xx: number;
  latencyP99Ms: number;
  othersCores: number;
}

async function closedLoop(base: string, pid: number, connections: number, seconds: number): Promise<ClosedLoop> {
  const before = cpuSample([process.pid, pid]);
  const r = await within(autocannon({ url: `${base}/x`, connections, duration: seconds, pipelining: 1 }), seconds * 1000 + 20_000, `autocannon ${connections} connections`);
  const load = cpuBetween(before, cpuSample([process.pid, pid]));
  return {
    connections,
    rps: r.requests.average,
    total: r.requests.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    latencyP99Ms: r.latency.p99,
    othersCores: load.othersCores,
  };
}

// ---------------------------------------------------------------- open-model engine

const reads: Workload = { next: () => ({ op: 'read', service: 'pas', method: 'GET', path: '/x', write: false }) };

interface Step {
  rate: number;
  scheduled: number;
  dropped: number;
  ok: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /**
   * The same for the requests due after the first second: the steady state, without the start, when
   * the engine's new connection pool opens its connections.
   */
  lagP99WarmMs: number;
  /** Requests due after the first second that were dropped or not ok. */
  warmNotOk: number;
  /** The warm-up (not judged): its requests dropped or not ok, and its p99 lag. */
  coldNotOk: number;
  coldLagP99Ms: number;
  /** Completions per second over the run (schedule plus drain). */
  achieved: number;
  /** CPU of this process (the engine), in cores, and of everything but the engine and the server. */
  engineCores: number;
  othersCores: number;
  /** Other work took more than BUSY_CORES during the run. */
  busy: boolean;
  /** On schedule over the whole run: nothing dropped, every request ok, p99 lag < 5 ms. */
  accepted: boolean;
  /** On schedule after the first second (the same three conditions on the requests due then). */
  warmAccepted: boolean;
  /** Which search ran it. */
  phase: 'whole run' | 'after 1 s';
}

async function engineRun(base: string, pid: number, rate: number, ms: number, phase: Step['phase'] = 'whole run'): Promise<Step> {
  // As a drill does: the pool's connections opened and warmed before the schedule starts.
  const targets = { pas: base, booking: base, theatre: base };
  const pools = openPools(targets);
  await warmPools(pools, warmConnections(rate));
  gc();
  const cpu0 = process.cpuUsage();
  const before = cpuSample([process.pid, pid]);
  const started = performance.now();
  const run = runLoad({ executor: constantArrivalRate(rate, WARMUP_MS + ms), targets, pools, workload: reads });
  try {
    await within(run.done, WARMUP_MS + ms + 30_000, `engine at ${rate}/s`);
  } catch (e) {
    run.stop();
    throw e;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const load = cpuBetween(before, cpuSample([process.pid, pid]));
  // Three spans by scheduled time: the warm-up (cold), the judged run, and its part after its first second.
  let ok = 0;
  let scheduled = 0;
  let dropped = 0;
  let warmRows = 0;
  let warmNotOk = 0;
  let coldNotOk = 0;
  const lags: number[] = [];
  const warm: number[] = [];
  const cold: number[] = [];
  const L = run.log;
  for (let i = 0; i < L.length; i++) {
    const at = L.scheduled[i] - run.t0;
    const lag = Number.isNaN(L.start[i]) ? NaN : L.start[i] - L.scheduled[i];
    const isOk = L.outcome[i] === OutcomeCode.Ok;
    if (at < WARMUP_MS) {
      if (!isOk) coldNotOk++;
      if (!Number.isNaN(lag)) cold.push(lag);
      continue;
    }
    scheduled++;
    if (isOk) ok++;
    if (L.outcome[i] === OutcomeCode.Dropped) dropped++;
    if (!Number.isNaN(lag)) lags.push(lag);
    if (at < WARMUP_MS + 1000) continue;
    warmRows++;
    if (!isOk) warmNotOk++;
    if (!Number.isNaN(lag)) warm.push(lag);
  }
  for (const a of [lags, warm, cold]) a.sort((x, y) => x - y);
  const p = (a: number[], q: number) => (a.length ? percentile(a, q) : NaN);
  const lagP99Ms = p(lags, 99);
  const lagP99WarmMs = p(warm, 99);
  const accepted = dropped === 0 && ok === scheduled && scheduled > 0 && lagP99Ms < LAG_P99_LIMIT_MS;
  const warmAccepted = warmRows > 0 && warmNotOk === 0 && lagP99WarmMs < LAG_P99_LIMIT_MS;
  return {
    rate,
    scheduled,
    dropped,
    ok,
    lagP50Ms: p(lags, 50),
    lagP99Ms,
    lagMaxMs: lags.length ? lags[lags.length - 1] : NaN,
    lagP99WarmMs,
    warmNotOk,
    coldNotOk,
    coldLagP99Ms: p(cold, 99),
    achieved: ok / Math.max(0.001, seconds - WARMUP_MS / 1000),
    engineCores: (cpu.user + cpu.system) / 1e6 / seconds,
    othersCores: load.othersCores,
    busy: load.othersCores > BUSY_CORES,
    accepted,
    warmAccepted,
    phase,
  };
}

/** Rates rounded to a step that reads well: 50/s above 1000/s, 10/s below. */
const roundRate = (r: number) => (r >= 1000 ? Math.round(r / 50) * 50 : Math.max(10, Math.round(r / 10) * 10));

interface Search {
  phase: Step['phase'];
  accept: (s: Step) => boolean;
  maxSteps: number;
}

/**
 * Steps up (doubling, from BENCH_START_RATE or from the highest rate earlier runs already showed
 * acceptable) until a rate misses, then bisects to within 4%; at most `maxSteps` runs, plus reruns
 * (from a budget of MAX_RETRIES over the whole bench) of a rate that missed while other work on the
 * machine took more than BUSY_CORES (a shared machine's noise, not the engine's limit).
 */
async function searchRate(base: string, pid: number, ceiling: number, search: Search, earlier: Step[], retries: { left: number }): Promise<Step[]> {
  const steps: Step[] = [];
  let lo = 0; // highest accepted
  for (const s of earlier) if (search.accept(s)) lo = Math.max(lo, s.rate);
  let hi = Infinity; // lowest rejected (above lo: a lower rate missed by noise does not cap the search)
  for (const s of earlier) if (!search.accept(s) && !s.busy && s.rate > lo) hi = Math.min(hi, s.rate);
  const nextRate = (): number | undefined => {
    let next: number;
    if (hi === Infinity) {
      if (lo >= ceiling) return undefined;
      next = lo === 0 ? Math.min(START_RATE, ceiling) : Math.min(ceiling, lo * 2);
    } else if (lo === 0) {
      next = hi / 2;
      if (next < 10) return undefined;
    } else {
      if (hi / lo <= 1.04) return undefined;
      next = (lo + hi) / 2;
    }
    next = roundRate(next);
    return next <= lo || next >= hi ? undefined : next;
  };
  for (let n = 0, rate = nextRate(); n < search.maxSteps && rate !== undefined; n++) {
    await quietWindow([process.pid, pid], STEP_QUIET_MS);
    const s = await engineRun(base, pid, rate, STEP_MS, search.phase);
    steps.push(s);
    const ok = search.accept(s);
    log(
      `  engine (${search.phase}) ${n + 1}/${search.maxSteps}: ${rate}/s -> ${ok ? 'on schedule' : s.busy ? 'missed, machine busy' : 'MISSED'} (dropped ${s.dropped}, ok ${s.ok}/${s.scheduled}, lag p50 ${f(s.lagP50Ms, 2)} p99 ${f(s.lagP99Ms, 2)} max ${f(s.lagMaxMs, 1)} ms; after 1 s: p99 ${f(s.lagP99WarmMs, 2)} ms, not ok ${s.warmNotOk}; engine ${f(s.engineCores, 2)} cores, other work ${f(s.othersCores, 2)} cores)`,
    );
    if (!ok && s.busy && retries.left > 0) {
      retries.left--;
      n--;
      continue;
    }
    if (ok) lo = Math.max(lo, rate);
    else hi = Math.min(hi, rate);
    rate = nextRate();
  }
  return steps;
}

// ---------------------------------------------------------------- memory of the records

interface Memory {
  rows: number;
  writeShare: number;
  columnsBytes: number;
  heapBytes: number;
  keys: number;
  ackIds: number;
}

const READ_OPS: [string, ServiceName][] = [
  ['lookup_patient', 'pas'],
  ['list_free_slots', 'booking'],
];
const WRITE_OPS: [string, ServiceName][] = [
  ['register_patient', 'pas'],
  ['book_appointment', 'booking'],
  ['cancel_appointment', 'booking'],
  ['schedule_case', 'theatre'],
  ['admit_patient', 'pas'],
];

const heapNow = () => {
  const m = process.memoryUsage();
  // Typed arrays' backing stores are outside the JS heap (external / arrayBuffers).
  return m.heapUsed + m.external;
};

/** undici's check of a header value: a regular expression, which also flattens the string. */
const headerCharRegex = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Fills a RequestLog the way a drill does (add, started, finished) with `rows` synthetic requests
 * at 500/s, `writeShare` of them writes carrying an Idempotency-Key made as the clinical workload
 * makes it (`${runId}-${index}`, then checked by undici as a header value) and an acknowledged id
 * read the way the engine reads it (JSON.parse of the answer of a mock service: a UUID).
 */
function measureRecords(rows: number, writeShare: number): Memory {
  const runId = `drill-${new Date().toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`;
  gc();
  const before = heapNow();
  const rl = new RequestLog();
  for (let i = 0; i < rows; i++) {
    const write = Math.floor((i + 1) * writeShare) > Math.floor(i * writeShare);
    const [op, service] = write ? WRITE_OPS[i % WRITE_OPS.length] : READ_OPS[i % READ_OPS.length];
    const due = i * 2;
    let key: string | undefined;
    if (write) {
      key = `${runId}-${i}`;
      if (headerCharRegex.test(key)) throw new Error(`bad key ${key}`);
    }
    const idx = rl.add(due, op, service, write, key);
    rl.started(idx, due + 0.05);
    let ack: { id?: string; version?: number; seq?: number } | undefined;
    if (write) {
      const b = JSON.parse(`{"resourceType":"Appointment","id":"${randomUUID()}","meta":{"versionId":"1"}}`) as { id?: string; meta?: { versionId?: string } };
      ack = { id: b.id, version: Number(b.meta?.versionId ?? 0), seq: i + 1 };
    }
    rl.finished(idx, due + 1.5, OutcomeCode.Ok, write ? 201 : 200, i % 2 ? 'dc1' : 'dc2', ack);
  }
  gc();
  const after = heapNow();
  const result = { rows: rl.length, writeShare, columnsBytes: rl.byteSize, heapBytes: after - before, keys: rl.keys.size, ackIds: rl.ackIds.size };
  return result;
}

// ---------------------------------------------------------------- report

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => '| ' + r.map((cell, c) => (cell ?? '').padEnd(widths[c])).join(' | ') + ' |';
  return [line(rows[0]), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  if (!gcFn) log('warning: run with --expose-gc (npm run bench:load does) for the memory figures');
  const cores = cpus().length;

  // Memory first: it does not depend on the machine's load.
  log(`records: ${ROWS} synthetic rows, 25% writes (keys and acknowledged ids)`);
  const mem25 = measureRecords(ROWS, 0.25);
  // The default clinical mix has 55 of its 100 weight units in writes.
  const mem55 = measureRecords(ROWS, 0.55);
  const drillRows = DRILL.rate * DRILL.seconds;
  const memDrill = measureRecords(drillRows, 0.25);
  gc();
  if (process.env.BENCH_LOAD_ONLY === 'records') {
    const perMB = (m: Memory) => f(m.heapBytes / m.rows, 1);
    log(`records only: columns ${f(mem25.columnsBytes / MB, 1)} MB; heap ${perMB(mem25)} MB per million (25% writes), ${perMB(mem55)} (55%); 150k: ${f(memDrill.heapBytes / MB, 1)} MB`);
    return;
  }

  await waitForQuiet(log, 600);
  const loadBefore = loadAverage();
  log(`bench:load on ${cores} cores, load average ${loadBefore}; server in a child process`);
  const server = await startServer();
  const baseline: ClosedLoop[] = [];
  let steps: Step[] = [];
  try {
    // Warm-up of both clients (JIT, connections), not counted.
    await closedLoop(server.base, server.pid, AC_CONNS[0] ?? 16, 2);
    await engineRun(server.base, server.pid, Math.min(START_RATE, 1000), 2_000);
    for (const connections of AC_CONNS) {
      await quietWindow([process.pid, server.pid], STEP_QUIET_MS);
      const r = await closedLoop(server.base, server.pid, connections, AC_SECONDS);
      baseline.push(r);
      log(`  autocannon ${connections} connections, ${AC_SECONDS} s: ${f(r.rps)} req/s (errors ${r.errors}, non-2xx ${r.non2xx}, p99 ${r.latencyP99Ms} ms, other work ${f(r.othersCores, 2)} cores)`);
    }
    const best = Math.max(...baseline.map((b) => b.rps));
    const ceiling = Math.max(START_RATE, roundRate(best * 1.5));
    const retries = { left: MAX_RETRIES };
    // First the verdict the brief asks for (the whole run, new connections and all), then the steady
    // state, starting from what the first search already showed.
    steps = await searchRate(server.base, server.pid, ceiling, { phase: 'whole run', accept: (s) => s.accepted, maxSteps: MAX_STEPS }, [], retries);
    if (STEP_MS >= 2_000) steps.push(...(await searchRate(server.base, server.pid, ceiling, { phase: 'after 1 s', accept: (s) => s.warmAccepted, maxSteps: MAX_STEPS_WARM }, steps, retries)));
    else log('runs shorter than 2 s: no search after the first second');
  } finally {
    await stopServer();
  }
  const loadAfter = loadAverage();

  const best = baseline.reduce((a, b) => (b.rps > a.rps ? b : a));
  const highest = (ok: (s: Step) => boolean) => steps.filter(ok).reduce<Step | undefined>((a, s) => (!a || s.rate > a.rate ? s : a), undefined);
  const top = highest((s) => s.accepted);
  const topRate = top?.rate ?? 0;
  const ratio = topRate / best.rps;
  const topWarm = highest((s) => s.warmAccepted);
  const topWarmRate = topWarm?.rate ?? 0;
  const ratioWarm = topWarmRate / best.rps;
  const perRow25 = mem25.heapBytes / mem25.rows;
  const perMillion = (m: Memory) => m.heapBytes / m.rows; // bytes per request = MB per million requests
  // Projection for the drill: records per request as measured on a million, plus the array of lags
  // the engine sorts once at the end of a run (a double per started request, up to 16 bytes grown).
  const projectedMB = (drillRows * (perRow25 + 16)) / MB;

  const out: string[] = [];
  out.push('');
  out.push(`blackstart load engine benchmark - ${cores} cores, load ${loadBefore} -> ${loadAfter}; server in a child process, 127.0.0.1`);
  out.push('');
  out.push(
    table([
      ['closed loop (autocannon)', 'req/s', 'p99 latency', 'errors', 'other work'],
      ...baseline.map((b) => [`${b.connections} connections, ${AC_SECONDS} s`, f(b.rps), `${b.latencyP99Ms} ms`, String(b.errors + b.non2xx), `${f(b.othersCores, 2)} cores`]),
    ]),
  );
  out.push('');
  out.push(
    table([
      [`engine, constant arrival rate, ${STEP_MS / 1000} s`, 'search', 'ok / scheduled', 'dropped', 'lag p50', 'lag p99', 'lag max', 'after 1 s: p99, not ok', `warm-up ${WARMUP_MS / 1000} s: p99, not ok`, 'engine CPU', 'other work', 'whole run', 'after 1 s'],
      ...steps.map((s) => [
        `${s.rate}/s`,
        s.phase,
        `${s.ok} / ${s.scheduled}`,
        String(s.dropped),
        `${f(s.lagP50Ms, 2)} ms`,
        `${f(s.lagP99Ms, 2)} ms`,
        `${f(s.lagMaxMs, 1)} ms`,
        `${f(s.lagP99WarmMs, 2)} ms, ${s.warmNotOk}`,
        `${f(s.coldLagP99Ms, 2)} ms, ${s.coldNotOk}`,
        `${f(s.engineCores, 2)} cores`,
        `${f(s.othersCores, 2)} cores`,
        s.accepted ? 'on schedule' : s.busy ? 'missed (busy)' : 'missed',
        s.warmAccepted ? 'on schedule' : s.busy ? 'missed (busy)' : 'missed',
      ]),
    ]),
  );
  out.push(`(on schedule: nothing dropped, every request ok, p99 schedule lag < ${LAG_P99_LIMIT_MS} ms, over the whole run after its warm-up, or over the requests`);
  out.push(` due after its first second; the warm-up (${WARMUP_MS / 1000} s at the rate, as a drill's load.warmup) is not judged, its figures shown; busy: other work > ${BUSY_CORES} cores, rerun)`);
  out.push('');
  out.push(
    table([
      ['headline', 'value'],
      ['autocannon maximum (closed loop)', `${f(best.rps)} req/s (${best.connections} connections)`],
      ['engine highest on-schedule rate, whole run (open model)', top ? `${topRate} req/s (lag p99 ${f(top.lagP99Ms, 2)} ms)` : 'none accepted'],
      ['ratio engine / autocannon', f(ratio, 2)],
      ['engine highest on-schedule rate, after the first second', topWarm ? `${topWarmRate} req/s (lag p99 ${f(topWarm.lagP99WarmMs, 2)} ms)` : 'none accepted'],
      ['ratio engine (after 1 s) / autocannon', f(ratioWarm, 2)],
      ['whole run / after the first second', topWarmRate ? f(topRate / topWarmRate, 2) : '-'],
      [`records, ${mem25.rows} requests, 25% writes: columns`, `${f(mem25.columnsBytes / MB, 1)} MB (byteSize)`],
      [`records, ${mem25.rows} requests, 25% writes: heap growth`, `${f(perMillion(mem25), 1)} MB per million requests (${mem25.keys} keys, ${mem25.ackIds} ids)`],
      [`records, ${mem55.rows} requests, 55% writes (default mix)`, `${f(perMillion(mem55), 1)} MB per million requests`],
      [`records, ${memDrill.rows} requests (500/s x 5 min), measured`, `${f(memDrill.heapBytes / MB, 1)} MB`],
      [`500/s x 5 min projected (records + end-of-run lags)`, `${f(projectedMB, 1)} MB of ${DRILL.budgetMB} MB: ${projectedMB < DRILL.budgetMB / 4 ? 'well under' : projectedMB < DRILL.budgetMB ? 'under' : 'OVER'}`],
    ]),
  );
  out.push('(MB = 10^6 bytes; heap growth = heapUsed + external after minus before filling, after full GCs)');
  out.push('');
  process.stdout.write(out.join('\n') + '\n');

  const result = {
    bench: 'load',
    cores,
    load: { before: loadBefore, after: loadAfter },
    autocannon: {
      seconds: AC_SECONDS,
      runs: baseline.map((b) => ({ connections: b.connections, rps: Math.round(b.rps), p99Ms: b.latencyP99Ms, errors: b.errors + b.non2xx, othersCores: +f(b.othersCores, 2) })),
      maxRps: Math.round(best.rps),
    },
    engine: {
      stepSeconds: STEP_MS / 1000,
      warmUpSeconds: WARMUP_MS / 1000,
      lagP99LimitMs: LAG_P99_LIMIT_MS,
      steps: steps.map((s) => ({
        rate: s.rate,
        scheduled: s.scheduled,
        ok: s.ok,
        dropped: s.dropped,
        lagP50Ms: +f(s.lagP50Ms, 3),
        lagP99Ms: +f(s.lagP99Ms, 3),
        lagMaxMs: +f(s.lagMaxMs, 2),
        lagP99AfterFirstSecondMs: +f(s.lagP99WarmMs, 3),
        notOkAfterFirstSecond: s.warmNotOk,
        warmUpLagP99Ms: +f(s.coldLagP99Ms, 3),
        warmUpNotOk: s.coldNotOk,
        engineCores: +f(s.engineCores, 2),
        othersCores: +f(s.othersCores, 2),
        busy: s.busy,
        phase: s.phase,
        accepted: s.accepted,
        acceptedAfterFirstSecond: s.warmAccepted,
      })),
      maxOnScheduleRps: topRate,
      ratioToAutocannon: +ratio.toFixed(3),
      maxOnScheduleRpsAfterFirstSecond: topWarmRate,
      ratioToAutocannonAfterFirstSecond: +ratioWarm.toFixed(3),
    },
    records: {
      rows: mem25.rows,
      writeShare: 0.25,
      columnsMB: +f(mem25.columnsBytes / MB, 2),
      heapMBPerMillion: +f(perMillion(mem25), 2),
      heapMBPerMillionDefaultMix: +f(perMillion(mem55), 2),
      drill: { rate: DRILL.rate, seconds: DRILL.seconds, requests: drillRows, measuredMB: +f(memDrill.heapBytes / MB, 2), projectedMB: +f(projectedMB, 2), budgetMB: DRILL.budgetMB },
    },
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = top && projectedMB < DRILL.budgetMB ? 0 : 1;
}

runBench('bench:load', main, killServer, OVERALL_TIMEOUT_MS);
