import * as net from 'node:net';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startProxyServer, type ProxyServer } from '../../proxy/server';

export interface Upstream {
  port: number;
  address: string;
  /** Sockets the upstream has accepted and not yet seen closed. */
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 that runs `onConnection` for each socket. */
export async function tcpServer(onConnection: (socket: net.Socket) => void): Promise<Upstream> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    sockets,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Echoes every byte back. */
export const echoServer = () => tcpServer((s) => s.pipe(s));

/** An HTTP server answering `200 ok` (or what `handler` writes). */
export async function httpServer(handler?: http.RequestListener): Promise<Upstream> {
  const sockets = new Set<net.Socket>();
  const server = http.createServer(handler ?? ((_req, res) => res.end('ok')));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    sockets,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Reads from a socket until `bytes` have arrived (or the socket ends); resolves the data and when. */
export function readBytes(socket: net.Socket, bytes: number, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => finish(new Error(`read timed out after ${timeoutMs} ms with ${got}/${bytes} bytes`)), timeoutMs);
    const onData = (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (got >= bytes) finish();
    };
    const onEnd = () => finish();
    function finish(err?: Error) {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      if (err) reject(err);
      else resolve(Buffer.concat(parts));
    }
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}

/** How a socket ended: 'end' (FIN), an error code such as 'ECONNRESET', or 'timeout'. */
export function waitForClose(socket: net.Socket, timeoutMs = 5_000): Promise<{ how: string; afterMs: number; data: Buffer }> {
  const started = performance.now();
  const parts: Buffer[] = [];
  return new Promise((resolve) => {
    let how: string | undefined;
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.once('end', () => done('end'));
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    socket.once('close', () => done('close'));
    function done(kind: string) {
      if (how) return;
      how = kind;
      clearTimeout(timer);
      resolve({ how, afterMs: performance.now() - started, data: Buffer.concat(parts) });
    }
  });
}

/** A proxy server on an ephemeral port, for one test file. */
export function startTestProxyServer(): Promise<ProxyServer> {
  return startProxyServer({ host: '127.0.0.1', port: 0 });
}

/**
 * A base for an estate's fixed ports, and a listener holding the port `offset` above it, so that
 * component cannot start. Below the ephemeral range (32768+): no other socket of the machine
 * holds these by chance.
 */
export async function blockedPorts(offset: number): Promise<{ base: number; release(): void }> {
  const base = 21000 + Math.floor(Math.random() * 8000);
  const blocker = net.createServer();
  await new Promise<void>((resolve, reject) => {
    blocker.once('error', reject);
    blocker.listen(base + offset, '127.0.0.1', resolve);
  });
  return { base, release: () => void blocker.close() };
}
