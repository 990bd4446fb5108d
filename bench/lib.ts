import { spawn, type ChildProcess } from 'node:child_process';
import { sleep, withTimeout } from '../lib/timeout';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

/** Root of the checkout: this file runs from dist/bench/. */
export const ROOT = path.resolve(__dirname, '..', '..');

export { sleep };

/** A positive number from the environment (a bench knob such as BENCH_REPS), else `fallback`; at most `max`. */
export function env(name: string, fallback: number, max = Infinity): number {
  const v = Number(process.env[name]);
  return Math.min(max, Number.isFinite(v) && v > 0 ? v : fallback);
}

/** Rejects with `what` timed out unless `promise` settles within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withTimeout(promise, ms, `${what}: timed out after ${ms} ms`);
}

// ---------------------------------------------------------------- proxy server in a child process

export interface ProxyProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

/** Kills every child still running (used on exit and on failure). */
export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * Starts `blackstart proxy` (the compiled CLI) on an ephemeral API port in its own process, reads
 * the API URL it logs, and waits for GET /version to answer.
 */
export async function spawnProxyServer(): Promise<ProxyProcess> {
  // BENCH_PROXY_NODE_ARGS passes flags to the proxy's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const cli = [path.join(ROOT, 'bin', 'blackstart.js'), 'proxy', '--host', '127.0.0.1', '--port', '0'];
  const child = spawn(process.execPath, [...nodeArgs, ...cli], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let log = '';
  const url = await within(
    new Promise<string>((resolve, reject) => {
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (text: string) => {
        log += text;
        const m = /listening on (http:\/\/\S+)/.exec(log);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code, signal) => reject(new Error(`proxy server exited (${code ?? signal}) before listening: ${log.trim()}`)));
    }),
    20_000,
    'proxy server start',
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await request(url, 'GET', '/version');
      if (res.status === 200) break;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) throw new Error(`proxy server at ${url}: GET /version never answered 200`);
    await sleep(50);
  }
  return {
    url,
    pid: child.pid!,
    child,
    stop: () =>
      within(
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
        5_000,
        'proxy server stop',
      ).catch(() => {
        child.kill('SIGKILL');
      }),
  };
}

/** One HTTP request to the API, without keep-alive (nothing lingers to hold the process open). */
export function request(base: string, method: string, urlPath: string, body?: unknown): Promise<{ status: number; text: string }> {
  return within(
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(new URL(urlPath, base), { method, agent: false, headers: payload ? { 'Content-Type': 'application/json' } : {} }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    }),
    10_000,
    `${method} ${urlPath}`,
  );
}

/** Creates a proxy to `upstream` on an ephemeral port; returns the port it listens on. */
export async function createProxy(api: string, name: string, upstream: string): Promise<number> {
  const res = await request(api, 'POST', '/proxies', { name, listen: '127.0.0.1:0', upstream });
  if (res.status !== 201) throw new Error(`POST /proxies ${name}: ${res.status} ${res.text}`);
  const listen = (JSON.parse(res.text) as { listen: string }).listen;
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

/** Resident set size of a process, in bytes, from /proc/<pid>/status. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** A sample from GET /metrics (first series of that name). */
export async function metric(api: string, name: string): Promise<number | undefined> {
  const res = await request(api, 'GET', '/metrics');
  const line = res.text.split('\n').find((l) => l.startsWith(name + '{') || l.startsWith(name + ' '));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

// ---------------------------------------------------------------- servers in the bench process

export interface TcpServer {
  port: number;
  address: string;
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}

export async function tcpServer(onConnection: (socket: net.Socket) => void): Promise<TcpServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 2048 }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    sockets,
    close: () =>
      within(
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
        5_000,
        'server close',
      ),
  };
}

/** Echoes every byte back on the same socket. */
export const echoServer = () => tcpServer((s) => s.on('data', (d: Buffer) => s.write(d)));

/** A sink: counts bytes received on all its sockets; `expect(n)` resolves when n more bytes have arrived. */
export async function sinkServer() {
  let received = 0;
  let target = Infinity;
  let wake: (() => void) | undefined;
  const server = await tcpServer((s) =>
    s.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= target && wake) {
        const w = wake;
        wake = undefined;
        w();
      }
    }),
  );
  return {
    ...server,
    /** Arms the sink for `bytes` more bytes; the promise resolves with performance.now() when they are in. */
    expect(bytes: number): Promise<number> {
      received = 0;
      target = bytes;
      return new Promise<number>((resolve) => {
        wake = () => resolve(performance.now());
      });
    },
  };
}

export function connect(port: number, timeoutMs = 10_000): Promise<net.Socket> {
  return within(
    new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    }),
    timeoutMs,
    `connect 127.0.0.1:${port}`,
  );
}

// ---------------------------------------------------------------- statistics

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Percentile of an ascending-sorted array (nearest rank). */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

// ---------------------------------------------------------------- machine load

export interface CpuSample {
  at: number;
  /** Jiffies (1/100 s) of the whole machine: busy (all but idle and iowait), and stolen by the host. */
  busy: number;
  steal: number;
  /** Jiffies used by the processes watched (utime + stime). */
  ours: number;
}

/** CPU time (utime + stime, jiffies) of one process; 0 when it is gone or not on Linux. */
export function processJiffies(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** CPU counters of the machine and of the given processes (Linux /proc; zeros elsewhere). */
export function cpuSample(pids: number[]): CpuSample {
  let busy = 0;
  let steal = 0;
  try {
    const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    steal = v[7];
  } catch {
    // not Linux
  }
  return { at: performance.now(), busy, steal, ours: pids.reduce((sum, pid) => sum + processJiffies(pid), 0) };
}

/**
 * Between two samples: the CPU the watched processes used, what everything else on the machine used
 * (other processes, interrupts, steal), both in cores; with `cores` cores available.
 */
export function cpuBetween(a: CpuSample, b: CpuSample): { oursCores: number; othersCores: number; stealCores: number } {
  const seconds = (b.at - a.at) / 1000;
  const cores = (jiffies: number) => (seconds > 0 ? jiffies / 100 / seconds : 0);
  const ours = cores(b.ours - a.ours);
  return { oursCores: ours, othersCores: Math.max(0, cores(b.busy - a.busy) - ours), stealCores: cores(b.steal - a.steal) };
}

/**
 * Runs a bench's main with the same safety net everywhere: children killed on every exit path,
 * a watchdog, and an exit even if a stray handle stays open.
 */
export function runBench(name: string, main: () => Promise<void>, cleanup: () => void, timeoutMs: number): void {
  const log = (line: string) => process.stderr.write(line + '\n');
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanup();
      process.exit(130);
    });
  }
  const watchdog = setTimeout(() => {
    log(`${name}: no result after ${timeoutMs / 1000} s, giving up`);
    cleanup();
    process.exit(2);
  }, timeoutMs);
  watchdog.unref();
  main().then(
    () => {
      cleanup();
      // Nothing should be left, but a stray handle must not keep the bench alive.
      setTimeout(() => process.exit(), 200).unref();
    },
    (err: Error) => {
      log(`${name} failed: ${err.stack ?? err.message}`);
      cleanup();
      process.exit(2);
    },
  );
}

/**
 * Waits (at most BENCH_QUIET_WAIT_S seconds, default 60, capped at `maxSeconds`; 0 to skip) for a
 * 2-second window in which the machine's other work stays under a quarter of a core; says what it found.
 */
export async function waitForQuiet(log: (line: string) => void, maxSeconds = Infinity): Promise<void> {
  if (process.env.BENCH_QUIET_WAIT_S === '0') return;
  const asked = Number(process.env.BENCH_QUIET_WAIT_S);
  const budget = Math.min(maxSeconds, Number.isFinite(asked) && asked > 0 ? asked : 60) * 1000;
  const deadline = Date.now() + budget;
  for (;;) {
    const a = cpuSample([process.pid]);
    await sleep(2_000);
    const others = cpuBetween(a, cpuSample([process.pid])).othersCores;
    if (others < 0.25) {
      log(`machine quiet: other work ${others.toFixed(2)} cores`);
      return;
    }
    if (Date.now() > deadline) {
      log(`machine still busy after ${budget / 1000} s (other work ${others.toFixed(2)} cores): measuring anyway`);
      return;
    }
    log(`waiting for a quiet machine: other work ${others.toFixed(2)} cores`);
  }
}
