import * as http from 'node:http';
import * as net from 'node:net';
import type { ProxyServer } from '../../../proxy/server';
import { call } from '../../helpers/api';
import { echoServer, startTestProxyServer, tcpServer, type Upstream } from '../../helpers/net';

/**
 * Timing tolerances shared by the toxic tests. The machine has 2 cores shared with other jest
 * workers, so lateness is generous while earliness is tight: a toxic must never release data
 * before its time, but the event loop may run late.
 */
/** Node timers run on libuv's cached loop time, so a sleep can end ~1 ms early on performance.now(). */
export const EARLY_MS = 5;
/** Scheduling delay we accept on a loaded 2-core machine (per measured interval). */
export const LATE_MS = 60;

/** No sample may be later than this: catches a toxic that holds data far too long, even once. */
export const OUTLIER_MS = 250;
/** Repetitions of a timed scenario, so one scheduling hiccup does not decide the upper bound. */
export const TIMING_RUNS = 3;

/**
 * Asserts measured delays against `expected` ms: every sample at least expected - EARLY_MS (a
 * toxic must never release early), the median at most expected + LATE_MS (the machine is allowed
 * one bad moment per set, not a systematic lateness), none beyond expected + OUTLIER_MS.
 */
export function expectTimings(samples: number[], expected: number): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  const verdict = {
    notEarly: sorted[0] >= expected - EARLY_MS,
    medianInTime: median <= expected + LATE_MS,
    noOutlier: sorted[sorted.length - 1] <= expected + OUTLIER_MS,
  };
  expect({ expected, samples, ...verdict }).toEqual({ expected, samples, notEarly: true, medianInTime: true, noOutlier: true });
}

/**
 * An exchange with no delaying toxic completes within this (median). The delays the tests tell it
 * apart from are 100 ms or more; an idle loopback round trip is well under 1 ms, but a fresh
 * connection or an HTTP exchange on a machine at load 10+ has taken 35-55 ms.
 */
export const NO_DELAY_MS = 60;

/** Asserts that measured times show no added delay: the median under NO_DELAY_MS. */
export function expectFast(samples: number[]): void {
  const median = medianOf(samples);
  expect({ samples, fast: median < NO_DELAY_MS }).toEqual({ samples, fast: true });
}

export function medianOf(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Runs a timed scenario TIMING_RUNS times, one after the other; resolves the timings. */
export async function timed(scenario: () => Promise<number>, runs = TIMING_RUNS): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) out.push(await scenario());
  return out;
}

/** Everything a socket delivered, with arrival times, and how it ended. */
export class Peer {
  readonly chunks: { data: Buffer; at: number }[] = [];
  /** 'end' (FIN), 'close' (destroyed without FIN or error), or an error code such as ECONNRESET. */
  how: string | undefined;
  endedAt: number | undefined;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private waiters = new Set<() => void>();

  constructor(readonly socket: net.Socket) {
    socket.on('data', (data: Buffer) => {
      this.chunks.push({ data, at: performance.now() });
      this.buffered.push(data);
      this.bufferedBytes += data.length;
      this.wake();
    });
    socket.on('end', () => this.ended('end'));
    socket.on('error', (e: NodeJS.ErrnoException) => this.ended(e.code ?? e.message));
    socket.on('close', () => this.ended('close'));
  }

  /** Total bytes received so far. */
  get received(): number {
    return this.chunks.reduce((n, c) => n + c.data.length, 0);
  }

  get isOpen(): boolean {
    return this.how === undefined && !this.socket.destroyed;
  }

  send(data: Buffer | string): void {
    this.socket.write(data);
  }

  /** Takes exactly `n` bytes once they have arrived; rejects on timeout or if the socket ends first. */
  async read(n: number, timeoutMs = 10_000): Promise<Buffer> {
    await this.until(() => this.bufferedBytes >= n || this.how !== undefined, timeoutMs, () => `read ${this.bufferedBytes}/${n} bytes`);
    if (this.bufferedBytes < n) throw new Error(`socket ended (${this.how}) after ${this.bufferedBytes}/${n} bytes`);
    const all = Buffer.concat(this.buffered);
    this.buffered = [all.subarray(n)];
    this.bufferedBytes -= n;
    return all.subarray(0, n);
  }

  /** Waits for the socket to end; resolves how and when (performance.now()). */
  async closed(timeoutMs = 5_000): Promise<{ how: string; at: number }> {
    await this.until(() => this.how !== undefined, timeoutMs, () => 'socket still open');
    return { how: this.how!, at: this.endedAt! };
  }

  /** Resolves true if the socket ends within `ms`, false if it is still open then. */
  async closesWithin(ms: number): Promise<boolean> {
    try {
      await this.closed(ms);
      return true;
    } catch {
      return false;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private ended(how: string): void {
    if (this.how !== undefined) return;
    this.how = how;
    this.endedAt = performance.now();
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private until(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms: ${what()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }
}

export interface ToxicBody {
  name?: string;
  type: string;
  stream?: 'upstream' | 'downstream';
  toxicity?: number;
  attributes?: Record<string, number>;
}

/**
 * One proxy server and an echo upstream for a test file; proxies and sockets made through it are
 * removed after each test.
 */
export class ToxicEnv {
  private proxies = new Set<string>();
  private peers = new Set<Peer>();
  private extraUpstreams = new Set<Upstream>();
  private counter = 0;

  private constructor(
    readonly server: ProxyServer,
    readonly echo: Upstream,
  ) {}

  static async start(): Promise<ToxicEnv> {
    const env = new ToxicEnv(await startTestProxyServer(), await echoServer());
    await env.warmUp();
    return env;
  }

  /**
   * One echo through the fast path and one through the toxic pump, so the first measured test of
   * a file does not pay for JIT compilation and lazy module loading.
   */
  private async warmUp(): Promise<void> {
    const { name, port } = await this.proxy();
    const client = await this.connect(port);
    await this.roundTrip(client, 'warm');
    await this.addToxic(name, { type: 'latency', attributes: { latency: 1 } });
    await this.roundTrip(client, 'warm');
    await this.cleanup();
  }

  /** An upstream the env closes after the test. */
  track<U extends Upstream>(upstream: U): U {
    this.extraUpstreams.add(upstream);
    return upstream;
  }

  /** Creates a proxy to `upstream` (the echo server by default); resolves its name and port. */
  async proxy(upstream: string = this.echo.address): Promise<{ name: string; port: number }> {
    const name = `p${++this.counter}_${process.pid}`;
    const reply = await call(this.server.url, 'POST', '/proxies', { name, listen: '127.0.0.1:0', upstream });
    if (reply.status !== 201) throw new Error(`create proxy: ${reply.status} ${reply.text}`);
    this.proxies.add(name);
    const listen = JSON.parse(reply.text).listen as string;
    return { name, port: Number(listen.slice(listen.lastIndexOf(':') + 1)) };
  }

  async addToxic(proxy: string, body: ToxicBody): Promise<{ name: string }> {
    const reply = await call(this.server.url, 'POST', `/proxies/${proxy}/toxics`, body);
    if (reply.status !== 200) throw new Error(`add toxic: ${reply.status} ${reply.text}`);
    return JSON.parse(reply.text);
  }

  async updateToxic(proxy: string, toxic: string, body: { toxicity?: number; attributes?: Record<string, number> }): Promise<void> {
    const reply = await call(this.server.url, 'POST', `/proxies/${proxy}/toxics/${toxic}`, body);
    if (reply.status !== 200) throw new Error(`update toxic: ${reply.status} ${reply.text}`);
  }

  async removeToxic(proxy: string, toxic: string): Promise<void> {
    const reply = await call(this.server.url, 'DELETE', `/proxies/${proxy}/toxics/${toxic}`);
    if (reply.status !== 204) throw new Error(`remove toxic: ${reply.status} ${reply.text}`);
  }

  async updateProxy(proxy: string, body: Record<string, unknown>): Promise<void> {
    const reply = await call(this.server.url, 'POST', `/proxies/${proxy}`, body);
    if (reply.status !== 200) throw new Error(`update proxy: ${reply.status} ${reply.text}`);
  }

  async deleteProxy(proxy: string): Promise<void> {
    const reply = await call(this.server.url, 'DELETE', `/proxies/${proxy}`);
    if (reply.status !== 204) throw new Error(`delete proxy: ${reply.status} ${reply.text}`);
    this.proxies.delete(proxy);
  }

  async reset(): Promise<void> {
    const reply = await call(this.server.url, 'POST', '/reset');
    if (reply.status !== 204) throw new Error(`reset: ${reply.status} ${reply.text}`);
  }

  /** Connects a client to a proxy port. */
  async connect(port: number): Promise<Peer> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    const peer = new Peer(socket);
    this.peers.add(peer);
    return peer;
  }

  /** Sends `msg` and times until the same number of bytes came back (ms, performance.now()). */
  async roundTrip(peer: Peer, msg: Buffer | string, timeoutMs = 10_000): Promise<{ data: Buffer; ms: number }> {
    const bytes = Buffer.from(msg);
    const started = performance.now();
    peer.send(bytes);
    const data = await peer.read(bytes.length, timeoutMs);
    return { data, ms: performance.now() - started };
  }

  /** Destroys the test's sockets and proxies. */
  async cleanup(): Promise<void> {
    for (const peer of this.peers) peer.destroy();
    this.peers.clear();
    for (const name of [...this.proxies]) await call(this.server.url, 'DELETE', `/proxies/${name}`);
    this.proxies.clear();
    for (const u of this.extraUpstreams) await u.close();
    this.extraUpstreams.clear();
  }

  async close(): Promise<void> {
    await this.cleanup();
    await this.server.close();
    await this.echo.close();
  }
}

/**
 * An HTTP GET through a proxy port: status, body, time taken, or the error code. A new connection
 * each time unless an `agent` (e.g. keep-alive) is given.
 */
export function httpGet(
  port: number,
  { agent = false, timeoutMs = 10_000 }: { agent?: http.Agent | false; timeoutMs?: number } = {},
): Promise<{ status?: number; body?: string; error?: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: timeoutMs }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () =>
        resolve({ status: res.statusCode, body: Buffer.concat(parts).toString(), ms: performance.now() - started }),
      );
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, ms: performance.now() - started }));
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Deterministic bytes so corruption or reordering shows. */
export function pattern(size: number, seed = 0): Buffer {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return buf;
}

/** An upstream whose accepted sockets are Peers (so the server side of a link can be observed). */
export interface PeerUpstream extends Upstream {
  peers: Peer[];
  /** The n-th accepted socket (0-based), once accepted. */
  accepted(n: number, timeoutMs?: number): Promise<Peer>;
}

/**
 * An upstream that wraps every accepted socket in a Peer; `onPeer` runs for each (e.g. to echo,
 * or to write a reply and end).
 */
export async function peerUpstream(onPeer: (peer: Peer) => void = (p) => p.socket.pipe(p.socket)): Promise<PeerUpstream> {
  const peers: Peer[] = [];
  const base = await tcpServer((socket) => {
    const peer = new Peer(socket);
    peers.push(peer);
    onPeer(peer);
  });
  return {
    ...base,
    peers,
    async accepted(n, timeoutMs = 5_000) {
      const deadline = performance.now() + timeoutMs;
      while (peers.length <= n) {
        if (performance.now() > deadline) throw new Error(`upstream accepted ${peers.length} sockets, waited for ${n + 1}`);
        await sleep(5);
      }
      return peers[n];
    },
  };
}
