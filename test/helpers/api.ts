import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { freePorts } from '../../services/estate/topology';

export interface ApiReply {
  status: number;
  type: string | null;
  requestId: string | null;
  text: string;
}

/** One raw API call: the body is sent as is when a string, as JSON otherwise. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiReply> {
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    requestId: res.headers.get('x-toxiproxy-request-id'),
    text: await res.text(),
  };
}

/** Asserts Toxiproxy's error reply: status, text/plain, `{"error":"...","status":N}\n`. */
export function expectApiError(reply: ApiReply, status: number, message: string): void {
  expect({ status: reply.status, text: reply.text }).toEqual({
    status,
    text: JSON.stringify({ error: message, status }) + '\n',
  });
  expect(reply.type).toBe('text/plain; charset=utf-8');
}

/** The port of a `host:port` listen address. */
export const portOf = (listen: string): number => Number(listen.slice(listen.lastIndexOf(':') + 1));

/**
 * A port free a moment ago, for tests needing a fixed port: below the ephemeral range and reserved
 * across processes, as an estate's (services/estate/topology.ts), so that no outbound connection
 * of this process takes it as its local port before the test binds it.
 */
export async function freePort(): Promise<number> {
  const [port] = await freePorts('127.0.0.1', 1, [20000, 30000]);
  return port;
}

/** Holds a port on 127.0.0.1 so that binding it fails. */
export async function occupyPort(): Promise<{ port: number; release(): Promise<void> }> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    release: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Resolves the error code of a connection attempt, or 'connected'. */
export function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}
