/**
 * Soak: `npm run bench:soak` (issue 14). One estate under steady clinical load, BENCH_CUTS power
 * cuts (default 100), each of the site serving at that moment, so they alternate between the
 * sites; after each: power back, the site rejoins as the replica and catches up, and only then the
 * next cut. On sync replication: cuts survived, acknowledged writes lost (must be 0), split-brain
 * writes (must be 0), the RTO distribution over the cuts, any cut after which the estate did not
 * recover, memory and file descriptors of every component (and of the harness) at the start and
 * the end, and the time it took.
 *
 * Then the same on async replication (BENCH_ASYNC_CUTS, default 20), with a WAN delay on the
 * replication link (BENCH_ASYNC_WAN_MS, default 3000: longer than a failover takes, so what is on
 * the wire arrives after the promotion and is refused) so that a cut catches writes the replica has
 * not got: it must find lost writes on most cuts, and every write it counts as lost is confirmed
 * absent on the surviving primary, three ways that must agree: at its cut (the new primary's SAN
 * key list, once it is the primary), at the end (the final primary's key list), and by the write
 * ledger (every write read back through the front door). Counting them so found a bug: a replica
 * being rebuilt looked caught up before it had the snapshot (services/san/replication.ts), so a cut
 * during its rebuild promoted the writes it should have dropped.
 *
 * Knobs: BENCH_RUNTIME (process | docker), BENCH_CUTS, BENCH_ASYNC_CUTS (0 skips the async run),
 * BENCH_RATE (requests/s, default 20), BENCH_MODES (sync,async), BENCH_TIMEOUT_S (default 2700).
 * Output: the tables on stdout, then one line `BENCH_SOAK_JSON {...}`. Exit 1 when a figure misses
 * its mark (sync: a lost or split-brain write, a cut not recovered; async: lost writes on fewer
 * than half the cuts, or a loss not confirmed absent).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFault, revertFault } from '../chaos/apply';
import { createFault, faultContext } from '../chaos/faults';
import { Journal } from '../chaos/journal';
import { parseDrill } from '../harness/drill/load';
import { recovery } from '../harness/measure/recovery';
import { RequestLog, OutcomeCode } from '../harness/load/records';
import { startDrillLoad } from '../harness/runner/load';
import { readBackPhase } from '../harness/runner/readback';
import { splitBrain } from '../harness/verify/split_brain';
import type { Site } from '../model/estate';
import { controllerClient } from '../services/controller/client';
import { startEstate, type Estate } from '../services/runtime';
import { env, loadAverage, percentile, runBench, sleep } from './lib';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const RUNTIME = (process.env.BENCH_RUNTIME ?? 'process') as 'process' | 'docker';
const CUTS = Math.round(env('BENCH_CUTS', 100));
const ASYNC_CUTS = process.env.BENCH_ASYNC_CUTS === '0' ? 0 : Math.round(env('BENCH_ASYNC_CUTS', Math.min(20, CUTS)));
const RATE = env('BENCH_RATE', 20);
const MODES = (process.env.BENCH_MODES ?? 'sync,async').split(',') as ('sync' | 'async')[];
const WAN_MS = env('BENCH_ASYNC_WAN_MS', 3000);
const TIMEOUT_MS = env('BENCH_TIMEOUT_S', 2700) * 1000;
/** Recovery rule of each cut: 3 windows of 1 s, 95% ok, p95 under 2 s. */
const RECOVERY = { n: 3, windowMs: 1000, minSuccessRatio: 0.95, maxP95Ms: 2000 };
/** A cut comes no sooner than this after the previous one, so its recovery can be judged before it. */
const MIN_GAP_MS = 6_500;
const FAILOVER_WITHIN_MS = 30_000;
const CATCH_UP_WITHIN_MS = 60_000;

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const out = (line: string) => process.stdout.write(line + '\n');
const other = (s: Site): Site => (s === 'dc1' ? 'dc2' : 'dc1');

let current: Estate | undefined;
const roots: string[] = [];

// ---------------------------------------------------------------- memory and descriptors

interface Usage {
  pid: number | null;
  rssMiB: number | null;
  fds: number | null;
}

function pidOf(estate: Estate, component: string): number | null {
  const id = estate.component(component).id;
  if (!id) return null;
  if (estate.runtime !== 'docker') return Number(id);
  try {
    return Number(execFileSync('docker', ['inspect', '-f', '{{.State.Pid}}', id], { encoding: 'utf8' }).trim()) || null;
  } catch {
    return null;
  }
}

function usageOf(pid: number | null): Usage {
  if (!pid) return { pid, rssMiB: null, fds: null };
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { pid, rssMiB: m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return { pid, rssMiB: null, fds: null };
  }
}

function usage(estate: Estate): Record<string, Usage> {
  const all: Record<string, Usage> = { harness: usageOf(process.pid) };
  for (const c of estate.components) all[c.name] = usageOf(pidOf(estate, c.name));
  return all;
}

// ---------------------------------------------------------------- the estate's state

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface SenderStatus {
  connected: boolean;
  rebuilding?: boolean;
  lagSeq: number;
  lagMs: number;
  degraded: boolean;
}

/** Waits until `check` holds (polled every 100 ms) or `ms` pass; whether it held. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await sleep(100);
  }
  return false;
}

/**
 * The replica has rejoined and caught up: the primary's sender is connected and, on sync, not
 * degraded with nothing unacknowledged; on async (behind a WAN delay by design), streaming with
 * the replica at most the delay plus a second behind.
 */
async function caughtUp(estate: Estate, primary: Site, mode: 'sync' | 'async'): Promise<boolean> {
  const r = await json<{ role: string; sender: SenderStatus | null }>(`${estate.endpoints.sites[primary].sanAdmin}/replication`);
  const replica = await json<{ role: string }>(`${estate.endpoints.sites[other(primary)].sanAdmin}/status`);
  if (r.role !== 'primary' || !r.sender?.connected || replica.role !== 'replica') return false;
  // A replica being rebuilt from a snapshot (its history diverged) is not caught up, whatever its lag says.
  if (r.sender.rebuilding) return false;
  return mode === 'sync' ? !r.sender.degraded && r.sender.lagSeq <= 2 : r.sender.lagMs <= WAN_MS + 1000;
}

/** Keys the SAN at `site` holds, with the run's prefix. */
async function keysAt(estate: Estate, site: Site, prefix: string): Promise<Set<string>> {
  const keys = await json<{ key: string }[]>(`${estate.endpoints.sites[site].sanAdmin}/keys`);
  return new Set(keys.map((k) => k.key).filter((k) => k.startsWith(prefix)));
}

/** Acknowledged (ok) writes served by `site` that ended in [from, to): their keys. */
function ackedBy(records: RequestLog, site: Site, from: number, to: number): string[] {
  const keys: string[] = [];
  for (const [i, key] of records.keys) {
    if (records.outcome[i] === OutcomeCode.Ok && records.write[i] === 1 && records.siteOf(i) === site && records.end[i] >= from && records.end[i] < to) keys.push(key);
  }
  return keys;
}

// ---------------------------------------------------------------- one soak

interface Cut {
  index: number;
  site: Site;
  /** Harness clock. */
  at: number;
  failedOverMs: number | null;
  restoredMs: number | null;
  caughtUpMs: number | null;
  /** Acknowledged by the cut site and absent on the new primary right after the failover. */
  lostConfirmed: number;
  rtoMs: number | null;
  recovered: boolean;
  problem: string | null;
}

interface SoakResult {
  mode: 'sync' | 'async';
  runtime: string;
  cuts: Cut[];
  requests: number;
  writesAcknowledged: number;
  /** Acknowledged writes absent from the final primary's SAN (its key list). */
  absentAtEnd: number;
  /** Of those, not found at any cut: a loss the per-cut check missed (must be 0). */
  absentAtEndNotFoundPerCut: number;
  /** Lost at a cut, yet on the final primary: a write brought back (must be 0). */
  lostPerCutButPresentAtEnd: number;
  ledgerLost: number;
  /** Keys the ledger could not read back (not judged). */
  ledgerUnverified: number;
  /** Ledger-lost writes that the final primary holds after all (a wrong verdict): must be 0. */
  ledgerLostButPresent: number;
  splitBrainWrites: number;
  usageStart: Record<string, Usage>;
  usageEnd: Record<string, Usage>;
  restarts: Record<string, number>;
  durationMs: number;
}

async function soak(mode: 'sync' | 'async', cuts: number): Promise<SoakResult> {
  const started = performance.now();
  const stateRoot = mkdtempSync(join(tmpdir(), `blackstart-soak-${mode}-`));
  roots.push(stateRoot);
  const drill = parseDrill(
    [
      `name: soak-${mode}`,
      'seed: 14',
      `estate: { runtime: ${RUNTIME}, replication: { mode: ${mode} }, failover: { hold_down_ms: 1000 } }`,
      // Longer than the cuts can take; the load is stopped when they are done.
      `load: { rate: ${RATE}/s, duration: ${Math.ceil((cuts * 40 + 120) / 60)}m, warmup: 3s, timeout: 2s }`,
    ].join('\n'),
    `soak-${mode}.yaml`,
  );
  log(`${mode}: starting a ${RUNTIME} estate`);
  const estate = await startEstate(drill.estate, { stateRoot, readyTimeoutMs: 60_000 });
  current = estate;
  const runId = `soak-${mode}-${Date.now().toString(36)}`;
  const journal = Journal.open({ runId, path: join(stateRoot, 'journal.jsonl'), estates: stateRoot });
  const ctx = faultContext(estate);
  const controller = controllerClient(estate.endpoints.controller);
  const records = new RequestLog();
  try {
    if (mode === 'async') {
      // Replication behind a WAN delay longer than a failover: what is on the wire when the primary is cut reaches the replica after its promotion, which refuses it.
      await json(`${estate.endpoints.proxyApi}/proxies/replication/toxics`, { method: 'POST', body: JSON.stringify({ name: 'soak-wan', type: 'latency', stream: 'upstream', attributes: { latency: WAN_MS } }) });
    }
    const load = await startDrillLoad(drill, estate, records, runId);
    const t0 = load.run.t0;
    await sleep(drill.load.warmup + 1000);
    const usageStart = usage(estate);
    const pidsStart = Object.fromEntries(Object.entries(usageStart).map(([k, u]) => [k, u.pid]));
    const restarts: Record<string, number> = {};
    const done: Cut[] = [];
    let lastCutAt = 0;
    const lostPerCut: string[] = [];
    let failures = 0;
    for (let k = 0; k < cuts; k++) {
      const { site } = await controller.active();
      const primary = site as Site;
      // Rejoined and caught up, and far enough from the previous cut.
      await sleep(Math.max(0, lastCutAt + MIN_GAP_MS - performance.now()));
      const cut: Cut = { index: k + 1, site: primary, at: 0, failedOverMs: null, restoredMs: null, caughtUpMs: null, lostConfirmed: 0, rtoMs: null, recovered: false, problem: null };
      const fault = createFault(`${k}-cut`, { kind: 'power_cut', spec: { site: primary } });
      await applyFault(journal, fault, ctx, () => (cut.at = performance.now()));
      lastCutAt = cut.at;
      const failedOver = await until(async () => (await controller.active()).site === other(primary), FAILOVER_WITHIN_MS);
      if (failedOver) {
        cut.failedOverMs = performance.now() - cut.at;
        // Acknowledged by the cut site, absent on the new primary: lost, and confirmed absent there.
        // Asked once its SAN is the primary: the controller names it a moment before, while it may
        // still apply what was on the wire from the cut site (after, it refuses that).
        await until(async () => (await json<{ role: string }>(`${estate.endpoints.sites[other(primary)].sanAdmin}/status`)).role === 'primary', 10_000);
        const held = await keysAt(estate, other(primary), runId);
        // The cut site's own term: since the previous cut made it the primary (the first: since the
        // start), to now (a write in flight while its links went dark may still have been acknowledged).
        const lostNow = ackedBy(records, primary, done[done.length - 1]?.at ?? t0, performance.now()).filter((key) => !held.has(key));
        cut.lostConfirmed = lostNow.length;
        lostPerCut.push(...lostNow);
      } else cut.problem = `no failover within ${FAILOVER_WITHIN_MS / 1000} s`;
      await revertFault(journal, fault, ctx);
      cut.restoredMs = performance.now() - cut.at;
      for (const c of estate.site(primary).processes) restarts[c.name] = (restarts[c.name] ?? 0) + 1;
      const newPrimary = failedOver ? other(primary) : primary;
      if (await until(() => caughtUp(estate, newPrimary, mode), CATCH_UP_WITHIN_MS)) cut.caughtUpMs = performance.now() - cut.at;
      else cut.problem ??= `the replica did not rejoin and catch up within ${CATCH_UP_WITHIN_MS / 1000} s`;
      done.push(cut);
      failures = cut.problem ? failures + 1 : 0;
      log(
        `${mode} cut ${cut.index}/${cuts} of ${primary}: failover ${cut.failedOverMs?.toFixed(0) ?? '-'} ms, restored ${cut.restoredMs.toFixed(0)} ms, caught up ${cut.caughtUpMs?.toFixed(0) ?? '-'} ms` +
          `${mode === 'async' ? `, lost ${cut.lostConfirmed}` : ''}${cut.problem ? `: ${cut.problem}` : ''}`,
      );
      if (failures >= 3) {
        log(`${mode}: three cuts in a row did not recover: stopping the soak here`);
        break;
      }
    }
    // The last cut's recovery needs its windows too.
    await sleep(Math.max(0, lastCutAt + MIN_GAP_MS - performance.now()));
    const usageEnd = usage(estate);
    for (const [name, u] of Object.entries(usageEnd)) if (u.pid !== pidsStart[name] && !(name in restarts)) restarts[name] = -1;
    load.run.stop();
    await load.run.done;
    const tEnd = performance.now();
    // RTO of each cut, from the records: until the next cut (or the end).
    const baseline = { from: t0 + drill.load.warmup, to: done[0]?.at ?? tEnd };
    done.forEach((cut, k) => {
      const r = recovery(records, { fault: { tFault: cut.at }, baseline, ...RECOVERY, tEnd: done[k + 1]?.at ?? tEnd });
      cut.rtoMs = r.all.rto.recovered ? r.all.rto.ms : null;
      // On async, requests that touch a record the cut lost (a patient registered just before it)
      // keep failing afterwards: the success-ratio rule is not a recovery test there. Survived means
      // failed over, rejoined and caught up; the RTO is given where the rule found one.
      cut.recovered = cut.problem === null && (mode === 'async' || r.all.rto.recovered);
      if (!r.all.rto.recovered && mode === 'sync') cut.problem ??= 'service not healthy again before the next cut';
    });
    log(`${mode}: reading every write back`);
    const back = await readBackPhase(estate, { log: records, runId, settleMs: 2000, appliedAt: done.map((c) => c.at) });
    const finalPrimary = (await controller.active()).site as Site;
    const finalKeys = await keysAt(estate, finalPrimary, runId);
    const lostKeys = back.ledger.lost.filter((l) => l.tAck !== null).map((l) => l.key);
    const split = splitBrain(records, { events: back.events, initialPrimary: 'dc1', harnessTimeOrigin: performance.timeOrigin });
    const acked: string[] = [];
    for (const [i, key] of records.keys) if (records.outcome[i] === OutcomeCode.Ok) acked.push(key);
    const perCut = new Set(lostPerCut);
    const absentAtEnd = acked.filter((k) => !finalKeys.has(k));
    return {
      mode,
      runtime: RUNTIME,
      cuts: done,
      requests: records.length,
      writesAcknowledged: acked.length,
      absentAtEnd: absentAtEnd.length,
      absentAtEndNotFoundPerCut: absentAtEnd.filter((k) => !perCut.has(k)).length,
      lostPerCutButPresentAtEnd: [...perCut].filter((k) => finalKeys.has(k)).length,
      ledgerLost: lostKeys.length,
      ledgerUnverified: back.ledger.counts.unverified,
      ledgerLostButPresent: lostKeys.filter((k) => finalKeys.has(k)).length,
      splitBrainWrites: split.writes,
      usageStart,
      usageEnd,
      restarts,
      durationMs: performance.now() - started,
    };
  } finally {
    journal.close();
    await estate.stop();
    current = undefined;
    rmSync(stateRoot, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

function distribution(values: number[]): string {
  if (!values.length) return 'none';
  const s = [...values].sort((a, b) => a - b);
  const f = (v: number) => `${Math.round(v)}`;
  return `min ${f(s[0])}, median ${f(percentile(s, 50))}, p90 ${f(percentile(s, 90))}, max ${f(s[s.length - 1])} ms (${s.length} cuts)`;
}

function report(r: SoakResult): { ok: boolean; lines: string[] } {
  const recovered = r.cuts.filter((c) => c.recovered);
  const withLoss = r.cuts.filter((c) => c.lostConfirmed > 0);
  const lines = [
    `## ${r.mode} replication, ${r.runtime} runtime: ${r.cuts.length} power cuts in ${(r.durationMs / 60_000).toFixed(1)} min`,
    `cuts survived (failed over${r.mode === 'sync' ? ', service healthy again' : ''}, the cut site rejoined and caught up): ${recovered.length} of ${r.cuts.length}`,
    `cuts by site: ${['dc1', 'dc2'].map((s) => `${s} ${r.cuts.filter((c) => c.site === s).length}`).join(', ')}`,
    `requests: ${r.requests}, writes acknowledged: ${r.writesAcknowledged}`,
    `acknowledged writes lost at a cut (absent on the new primary once it is the primary): ${r.cuts.reduce((n, c) => n + c.lostConfirmed, 0)} on ${withLoss.length} of ${r.cuts.length} cuts (per cut: ${distribution(r.cuts.map((c) => c.lostConfirmed)).replace(/ ms \(/, ' (')})`,
    `at the end, absent from the final primary's SAN: ${r.absentAtEnd} (not found at any cut: ${r.absentAtEndNotFoundPerCut}; found at a cut but back on the final primary: ${r.lostPerCutButPresentAtEnd})`,
    `the write ledger (every write read back through the front door): ${r.ledgerLost} lost, ${r.ledgerUnverified} not read back; of the lost, on the final primary after all: ${r.ledgerLostButPresent}`,
    `split-brain writes: ${r.splitBrainWrites}`,
    `RTO (all services, ${RECOVERY.n} windows of ${RECOVERY.windowMs} ms at ${RECOVERY.minSuccessRatio * 100}% ok): ${distribution(r.cuts.filter((c) => c.rtoMs !== null).map((c) => c.rtoMs!))}` +
      (r.mode === 'async' ? ` (healthy again by that rule before the next cut: ${r.cuts.filter((c) => c.rtoMs !== null).length} of ${r.cuts.length}: requests touching lost records keep failing)` : ''),
    `failover (cut to the controller naming the other site): ${distribution(r.cuts.filter((c) => c.failedOverMs !== null).map((c) => c.failedOverMs!))}`,
    `rejoined and caught up (from the cut): ${distribution(r.cuts.filter((c) => c.caughtUpMs !== null).map((c) => c.caughtUpMs!))}`,
    ...r.cuts.filter((c) => !c.recovered).map((c) => `NOT RECOVERED: cut ${c.index} of ${c.site}: ${c.problem}`),
    '',
    '| component | RSS start (MiB) | RSS end (MiB) | fds start | fds end | restarted |',
    '|---|---|---|---|---|---|',
    ...Object.keys(r.usageStart).map((name) => {
      const a = r.usageStart[name];
      const b = r.usageEnd[name];
      const restarts = r.restarts[name] ?? 0;
      return `| ${name} | ${a.rssMiB ?? '-'} | ${b.rssMiB ?? '-'} | ${a.fds ?? '-'} | ${b.fds ?? '-'} | ${restarts === -1 ? 'yes' : restarts ? `${restarts}x (power)` : 'no'} |`;
    }),
  ];
  const lostAtCuts = r.cuts.reduce((n, c) => n + c.lostConfirmed, 0);
  // Every loss counted three ways, and they agree: at its cut, at the end on the final primary, by the ledger.
  const agree = lostAtCuts === r.absentAtEnd && r.absentAtEnd === r.ledgerLost && r.absentAtEndNotFoundPerCut === 0 && r.lostPerCutButPresentAtEnd === 0 && r.ledgerLostButPresent === 0;
  const ok =
    r.mode === 'sync'
      ? r.absentAtEnd === 0 && r.ledgerLost === 0 && r.splitBrainWrites === 0 && recovered.length === r.cuts.length
      : withLoss.length * 2 > r.cuts.length && agree && r.splitBrainWrites === 0 && recovered.length === r.cuts.length;
  return { ok, lines };
}

async function main(): Promise<void> {
  const started = performance.now();
  log(`bench:soak: ${RUNTIME} runtime, ${CUTS} cuts on sync, ${ASYNC_CUTS} on async, ${RATE} requests/s; ${cpus().length} cores, load ${loadAverage()}`);
  const results: SoakResult[] = [];
  let ok = true;
  for (const mode of MODES) {
    const cuts = mode === 'sync' ? CUTS : ASYNC_CUTS;
    if (cuts <= 0) continue;
    const r = await soak(mode, cuts);
    results.push(r);
    const { ok: fine, lines } = report(r);
    ok &&= fine;
    out(lines.join('\n') + `\n${fine ? 'as expected' : 'NOT AS EXPECTED'}\n`);
  }
  out(`total: ${((performance.now() - started) / 60_000).toFixed(1)} min; load average at the end ${loadAverage()}`);
  out(`BENCH_SOAK_JSON ${JSON.stringify({ runtime: RUNTIME, rate: RATE, results: results.map((r) => ({ ...r, cuts: r.cuts.map((c) => ({ ...c, at: undefined })) })) })}`);
  if (!ok) process.exitCode = 1;
}

/** On any way out: whatever estate is still running is killed (its record lets `blackstart down` finish the job). */
function cleanup(): void {
  const estate = current;
  if (!estate) return;
  if (estate.runtime === 'process') for (const c of estate.components) if (c.id) process.kill(Number(c.id), 'SIGKILL');
  for (const root of roots) rmSync(root, { recursive: true, force: true });
}

runBench('bench:soak', main, cleanup, TIMEOUT_MS);
