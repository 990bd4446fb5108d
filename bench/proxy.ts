/**
 * Benchmark of the embedded Toxiproxy-compatible proxy, no toxic, against a direct loopback
 * connection measured in the same run: `npm run bench:proxy`.
 *
 * The proxy server runs in its own process (`blackstart proxy`), as it does in a drill; the clients,
 * the sink and the echo servers run in this one. Every figure is reported as a ratio to the direct
 * baseline, next to the real Toxiproxy's anchor figures (shared/TOXIPROXY.md §6).
 *
 * Sizes can be reduced for a quick look: BENCH_BULK_MIB, BENCH_REPS, BENCH_RTT, BENCH_CONNS.
 * BENCH_QUIET_WAIT_S bounds the wait for a quiet machine before starting (0: do not wait);
 * BENCH_STRICT=1 makes a missed target fail the run; BENCH_PROXY_NODE_ARGS passes node flags to the
 * proxy process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
import { once } from 'node:events';
import { cpus } from 'node:os';
import type { Socket } from 'node:net';
import {
  connect,
  cpuBetween,
  cpuSample,
  createProxy,
  echoServer,
  killChildren,
  loadAverage,
  env,
  median,
  metric,
  percentile,
  rssOf,
  runBench,
  sinkServer,
  sleep,
  waitForQuiet,
  spawnProxyServer,
  within,
  type TcpServer,
} from './lib';

const MiB = 1024 * 1024;
const BULK_BYTES = env('BENCH_BULK_MIB', 512) * MiB;
const REPS = env('BENCH_REPS', 5);
const RTT_COUNT = env('BENCH_RTT', 20_000);
const RTT_WARMUP = 2_000;
const RTT_BLOCK = 1_000;
const HOLD_CONNS = env('BENCH_CONNS', 5_000);
const HOLD_BATCH = 250;
const WRITE_CHUNK = 64 * 1024;
const OVERALL_TIMEOUT_MS = 10 * 60_000;

/** Toxiproxy 2.12 on a 2-core machine, one run, Node client and sink (TOXIPROXY.md §6). */
const ANCHOR = { bulk1: 0.5, bulk8: 0.62, echoAddedP50Us: 136 };

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const log = (line: string) => process.stderr.write(line + '\n');

// ---------------------------------------------------------------- bulk throughput

type Sink = Awaited<ReturnType<typeof sinkServer>>;

async function writeBytes(socket: Socket, bytes: number, chunk: Buffer): Promise<void> {
  let left = bytes;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    const ok = socket.write(n === chunk.length ? chunk : chunk.subarray(0, n));
    left -= n;
    if (!ok) await once(socket, 'drain');
  }
}

async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: timed out after ${ms} ms`);
    await sleep(10);
  }
}

/** MB/s (10^6 bytes) of `total` bytes split over `conns` connections to `port`, into the sink. */
async function bulk(port: number, sink: Sink, conns: number, total: number): Promise<number> {
  gc();
  const chunk = Buffer.alloc(WRITE_CHUNK, 0x5a);
  const sockets = await Promise.all(Array.from({ length: conns }, () => connect(port)));
  await waitFor(() => sink.sockets.size >= conns, 10_000, 'sink connections');
  const per = Math.floor(total / conns);
  const done = sink.expect(per * conns);
  const started = performance.now();
  const writers = Promise.all(sockets.map((s) => writeBytes(s, per, chunk)));
  // A writer that fails (connection reset) fails the run once the sink has given up waiting.
  writers.catch(() => {});
  const finished = await within(done, 120_000, `bulk ${conns} conn`);
  await within(writers, 10_000, 'writers');
  for (const s of sockets) s.destroy();
  await waitFor(() => sink.sockets.size === 0, 15_000, 'sink connections to close');
  return (per * conns) / ((finished - started) / 1000) / 1e6;
}

// ---------------------------------------------------------------- echo round trip

/** `n` sequential 64-byte round trips on one socket; the round-trip times in microseconds. */
function roundTrips(socket: Socket, n: number, out: number[]): Promise<void> {
  const payload = Buffer.alloc(64, 0x61);
  return within(
    new Promise<void>((resolve, reject) => {
      let done = 0;
      let got = 0;
      let sentAt = 0;
      const send = () => {
        sentAt = performance.now();
        socket.write(payload);
      };
      const onData = (d: Buffer) => {
        got += d.length;
        if (got < payload.length) return;
        got -= payload.length;
        out.push((performance.now() - sentAt) * 1000);
        if (++done === n) {
          cleanup();
          resolve();
        } else send();
      };
      const onClose = () => {
        cleanup();
        reject(new Error(`echo socket closed after ${done}/${n} round trips`));
      };
      const cleanup = () => {
        socket.off('data', onData);
        socket.off('close', onClose);
      };
      socket.on('data', onData);
      socket.once('close', onClose);
      send();
    }),
    60_000,
    'echo round trips',
  );
}

interface Latency {
  p50: number;
  p99: number;
  p999: number;
  mean: number;
}

function summarise(samples: number[]): Latency {
  const s = Float64Array.from(samples).sort();
  return { p50: percentile(s, 50), p99: percentile(s, 99), p999: percentile(s, 99.9), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

/** Direct and proxied round trips, interleaved in blocks (ABBA) so both see the same machine load. */
async function echoLatency(directPort: number, proxyPort: number): Promise<{ direct: Latency; proxy: Latency }> {
  const direct = await connect(directPort);
  const proxied = await connect(proxyPort);
  await roundTrips(direct, RTT_WARMUP, []);
  await roundTrips(proxied, RTT_WARMUP, []);
  gc();
  const d: number[] = [];
  const p: number[] = [];
  for (let block = 0; block * RTT_BLOCK < RTT_COUNT; block++) {
    const n = Math.min(RTT_BLOCK, RTT_COUNT - block * RTT_BLOCK);
    if (block % 2 === 0) {
      await roundTrips(direct, n, d);
      await roundTrips(proxied, n, p);
    } else {
      await roundTrips(proxied, n, p);
      await roundTrips(direct, n, d);
    }
  }
  direct.destroy();
  proxied.destroy();
  return { direct: summarise(d), proxy: summarise(p) };
}

// ---------------------------------------------------------------- connections held open

function echoOneByte(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), ms);
    const onData = () => finish(true);
    const onClose = () => finish(false);
    function finish(ok: boolean) {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(ok);
    }
    socket.once('data', onData);
    socket.once('close', onClose);
    socket.write('x');
  });
}

interface HoldResult {
  attempted: number;
  opened: number;
  refused: number;
  resetOrClosed: number;
  echoed: number;
  held: number;
  proxyLive: number | undefined;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  bytesPerConn: number;
  openSeconds: number;
}

async function holdConnections(upstream: TcpServer): Promise<HoldResult> {
  const server = await spawnProxyServer();
  try {
    const port = await createProxy(server.url, 'bench-hold', upstream.address);
    // Warm-up: the code paths of accept, dial and link run (and are compiled) before the baseline.
    const warm = await Promise.all(Array.from({ length: 200 }, () => connect(port)));
    await Promise.all(warm.map((s) => echoOneByte(s, 10_000)));
    for (const s of warm) s.destroy();
    await waitFor(() => upstream.sockets.size === 0, 10_000, 'warm-up connections to close');
    await sleep(1_000);
    const rssBefore = rssOf(server.pid);

    const sockets: Socket[] = [];
    let refused = 0;
    let resetOrClosed = 0;
    const started = performance.now();
    for (let i = 0; i < HOLD_CONNS; i += HOLD_BATCH) {
      const n = Math.min(HOLD_BATCH, HOLD_CONNS - i);
      const results = await Promise.allSettled(Array.from({ length: n }, () => connect(port, 15_000)));
      for (const r of results) {
        if (r.status === 'rejected') {
          refused++;
          continue;
        }
        const s = r.value;
        let lost = false;
        const onLost = () => {
          if (!lost && !s.destroyed) {
            lost = true;
            resetOrClosed++;
          }
        };
        s.on('error', onLost);
        s.on('end', onLost);
        s.on('close', onLost);
        sockets.push(s);
      }
    }
    const openSeconds = (performance.now() - started) / 1000;
    // Every accepted client must get its upstream connection.
    await waitFor(() => upstream.sockets.size >= sockets.length, 30_000, 'upstream connections').catch((e: Error) => log(e.message));
    await sleep(500);
    let echoed = 0;
    for (let i = 0; i < sockets.length; i += 500) {
      const results = await Promise.all(sockets.slice(i, i + 500).map((s) => echoOneByte(s, 10_000)));
      echoed += results.filter(Boolean).length;
    }
    await sleep(1_000);
    const rssAfter = rssOf(server.pid);
    const proxyLive = await metric(server.url, 'blackstart_proxy_connections');
    const held = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
    for (const s of sockets) {
      s.removeAllListeners('close');
      s.removeAllListeners('end');
      s.on('error', () => {});
      s.destroy();
    }
    await waitFor(() => upstream.sockets.size === 0, 30_000, 'held connections to close').catch((e: Error) => log(e.message));
    return {
      attempted: HOLD_CONNS,
      opened: sockets.length,
      refused,
      resetOrClosed,
      echoed,
      held,
      proxyLive,
      rssBeforeMiB: rssBefore / MiB,
      rssAfterMiB: rssAfter / MiB,
      bytesPerConn: (rssAfter - rssBefore) / Math.max(1, held),
      openSeconds,
    };
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------- report

const f = (n: number, digits = 0) => n.toFixed(digits);
const x = (n: number) => `${n.toFixed(2)}x`;
const signed = (n: number, digits = 1) => `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}


async function main(): Promise<void> {
  await waitForQuiet(log);
  const loadBefore = loadAverage();
  log(`bench:proxy on ${cpus().length} cores, load average ${loadBefore}; proxy server in a child process`);
  const sink = await sinkServer();
  const echo = await echoServer();
  const holdUpstream = await echoServer();
  const server = await spawnProxyServer();
  type Bulk = { direct: number; proxy: number; ratio: number; proxyCpuPerGiB: number; directCpuPerGiB: number };
  let bulk1: Bulk;
  let bulk8: Bulk;
  let latency: { direct: Latency; proxy: Latency };
  const load: Record<string, ReturnType<typeof cpuBetween>> = {};
  try {
    const sinkProxy = await createProxy(server.url, 'bench-sink', sink.address);
    const echoProxy = await createProxy(server.url, 'bench-echo', echo.address);

    const measureBulk = async (conns: number) => {
      // Warm-up of both paths (JIT, TCP buffers), then alternating runs; the median of each.
      await bulk(sink.port, sink, conns, Math.min(BULK_BYTES, 64 * MiB));
      await bulk(sinkProxy, sink, conns, Math.min(BULK_BYTES, 64 * MiB));
      const direct: number[] = [];
      const proxy: number[] = [];
      // CPU seconds per GiB: of the proxy process in proxied runs; of this process in direct runs
      // (where it is client and sink in one). Unlike MB/s, these hardly move with the machine's load.
      const proxyCpu: number[] = [];
      const directCpu: number[] = [];
      const GiB = BULK_BYTES / (1024 * MiB);
      const run = async (port: number, mbps: number[], cpu: number[], pid: number) => {
        const before = cpuSample([pid]);
        mbps.push(await bulk(port, sink, conns, BULK_BYTES));
        cpu.push((cpuSample([pid]).ours - before.ours) / 100 / GiB);
      };
      for (let rep = 0; rep < REPS; rep++) {
        const directRun = () => run(sink.port, direct, directCpu, process.pid);
        const proxyRun = () => run(sinkProxy, proxy, proxyCpu, server.pid);
        if (rep % 2 === 0) await directRun().then(proxyRun);
        else await proxyRun().then(directRun);
        log(`  bulk ${conns} conn rep ${rep + 1}/${REPS}: direct ${f(direct[rep])} MB/s, proxy ${f(proxy[rep])} MB/s, ${x(proxy[rep] / direct[rep])}`);
      }
      // The ratio is the median of each run's ratio to the direct run next to it: load that comes and
      // goes on a shared machine then hits both sides of a pair alike.
      return {
        direct: median(direct),
        proxy: median(proxy),
        ratio: median(proxy.map((p, i) => p / direct[i])),
        proxyCpuPerGiB: median(proxyCpu),
        directCpuPerGiB: median(directCpu),
      };
    };
    log(`bulk throughput: ${BULK_BYTES / MiB} MiB per run, ${REPS} runs each way`);
    // What else ran on the machine meanwhile: the figures only mean something on a quiet machine.
    const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
      const before = cpuSample([process.pid, server.pid]);
      const result = await run();
      load[name] = cpuBetween(before, cpuSample([process.pid, server.pid]));
      return result;
    };
    bulk1 = await phase('bulk1', () => measureBulk(1));
    bulk8 = await phase('bulk8', () => measureBulk(8));
    log(`echo: ${RTT_COUNT} round trips of 64 bytes each way after ${RTT_WARMUP} warm-up`);
    latency = await phase('echo', () => echoLatency(echo.port, echoProxy));
  } finally {
    await server.stop();
  }
  log(`connections held: ${HOLD_CONNS}, in batches of ${HOLD_BATCH}, fresh proxy server process`);
  const hold = await holdConnections(holdUpstream);
  await Promise.all([sink.close(), echo.close(), holdUpstream.close()]);
  const loadAfter = loadAverage();

  const r1 = bulk1.ratio;
  const r8 = bulk8.ratio;
  const addedP50 = latency.proxy.p50 - latency.direct.p50;
  const addedP99 = latency.proxy.p99 - latency.direct.p99;
  const holdOk = hold.refused === 0 && hold.resetOrClosed === 0 && hold.echoed === hold.attempted && hold.held === hold.attempted;
  const pass = { bulk1: r1 > ANCHOR.bulk1, bulk8: r8 > ANCHOR.bulk8, echoP50: addedP50 < ANCHOR.echoAddedP50Us, hold: holdOk };
  const mark = (ok: boolean) => (ok ? 'ok' : 'MISS');

  const out: string[] = [];
  out.push('');
  out.push(`blackstart proxy benchmark (no toxic) - ${cpus().length} cores, load ${loadBefore} -> ${loadAfter}`);
  out.push('');
  out.push(
    table([
      ['bulk throughput', 'direct', 'via proxy', 'ratio', 'toxiproxy', 'target', 'CPU s/GiB direct', 'CPU s/GiB proxy'],
      [`1 conn, ${BULK_BYTES / MiB} MiB`, `${f(bulk1.direct)} MB/s`, `${f(bulk1.proxy)} MB/s`, x(r1), x(ANCHOR.bulk1), mark(pass.bulk1), f(bulk1.directCpuPerGiB, 2), f(bulk1.proxyCpuPerGiB, 2)],
      [`8 conns, ${BULK_BYTES / MiB} MiB total`, `${f(bulk8.direct)} MB/s`, `${f(bulk8.proxy)} MB/s`, x(r8), x(ANCHOR.bulk8), mark(pass.bulk8), f(bulk8.directCpuPerGiB, 2), f(bulk8.proxyCpuPerGiB, 2)],
    ]),
  );
  out.push(`(MB = 10^6 bytes; medians of ${REPS} runs each way, alternating; ratio = median of the paired runs' ratios;`);
  out.push(` CPU s/GiB direct = client and sink together, this process; proxy = the proxy process alone)`);
  out.push('');
  out.push(
    table([
      [`64-byte echo, ${RTT_COUNT} round trips`, 'direct', 'via proxy', 'added', 'ratio', 'toxiproxy', 'target'],
      ['p50', `${f(latency.direct.p50, 1)} us`, `${f(latency.proxy.p50, 1)} us`, `${signed(addedP50)} us`, x(latency.proxy.p50 / latency.direct.p50), `+${ANCHOR.echoAddedP50Us} us`, mark(pass.echoP50)],
      ['p99', `${f(latency.direct.p99, 1)} us`, `${f(latency.proxy.p99, 1)} us`, `${signed(addedP99)} us`, x(latency.proxy.p99 / latency.direct.p99), '', ''],
      ['p99.9', `${f(latency.direct.p999, 1)} us`, `${f(latency.proxy.p999, 1)} us`, `${signed(latency.proxy.p999 - latency.direct.p999)} us`, x(latency.proxy.p999 / latency.direct.p999), '', ''],
    ]),
  );
  out.push('');
  out.push(
    table([
      ['connections held open', 'value'],
      ['attempted / opened', `${hold.attempted} / ${hold.opened} in ${f(hold.openSeconds, 1)} s`],
      ['refused / reset or closed', `${hold.refused} / ${hold.resetOrClosed}`],
      ['echoed a byte / held at end', `${hold.echoed} / ${hold.held} (proxy reports ${hold.proxyLive ?? '?'} live)`],
      ['proxy RSS before -> after', `${f(hold.rssBeforeMiB, 1)} -> ${f(hold.rssAfterMiB, 1)} MiB`],
      ['proxy memory per connection', `${f(hold.bytesPerConn / 1024, 1)} KiB`],
      ['all held and echoing', mark(pass.hold)],
    ]),
  );
  out.push('');
  const c = (n: number) => n.toFixed(2);
  out.push(
    table([
      ['CPU during the runs (cores of ' + cpus().length + ')', 'bench + proxy', 'everything else', 'of which steal'],
      ...Object.entries(load).map(([name, l]) => [name, c(l.oursCores), c(l.othersCores), c(l.stealCores)]),
    ]),
  );
  out.push('');
  process.stdout.write(out.join('\n') + '\n');
  const result = {
    bench: 'proxy',
    cores: cpus().length,
    load: {
      before: loadBefore,
      after: loadAfter,
      othersCores: Object.fromEntries(Object.entries(load).map(([name, l]) => [name, +l.othersCores.toFixed(2)])),
    },
    bulk: {
      bytes: BULK_BYTES,
      reps: REPS,
      conn1: { directMBps: +f(bulk1.direct, 1), proxyMBps: +f(bulk1.proxy, 1), ratio: +r1.toFixed(3), anchor: ANCHOR.bulk1, directCpuSecPerGiB: +f(bulk1.directCpuPerGiB, 2), proxyCpuSecPerGiB: +f(bulk1.proxyCpuPerGiB, 2) },
      conn8: { directMBps: +f(bulk8.direct, 1), proxyMBps: +f(bulk8.proxy, 1), ratio: +r8.toFixed(3), anchor: ANCHOR.bulk8, directCpuSecPerGiB: +f(bulk8.directCpuPerGiB, 2), proxyCpuSecPerGiB: +f(bulk8.proxyCpuPerGiB, 2) },
    },
    echo: {
      roundTrips: RTT_COUNT,
      directUs: { p50: +f(latency.direct.p50, 1), p99: +f(latency.direct.p99, 1), p999: +f(latency.direct.p999, 1) },
      proxyUs: { p50: +f(latency.proxy.p50, 1), p99: +f(latency.proxy.p99, 1), p999: +f(latency.proxy.p999, 1) },
      addedUs: { p50: +f(addedP50, 1), p99: +f(addedP99, 1) },
      anchorAddedP50Us: ANCHOR.echoAddedP50Us,
    },
    hold: { ...hold, rssBeforeMiB: +f(hold.rssBeforeMiB, 1), rssAfterMiB: +f(hold.rssAfterMiB, 1), bytesPerConn: Math.round(hold.bytesPerConn) },
    pass,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  // Connections refused or lost is a failure; a missed speed target only with BENCH_STRICT=1.
  process.exitCode = !pass.hold || (process.env.BENCH_STRICT === '1' && !Object.values(pass).every(Boolean)) ? 1 : 0;
}

runBench('bench:proxy', main, killChildren, OVERALL_TIMEOUT_MS);
