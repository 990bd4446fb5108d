import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ApiError, errors } from './errors';

export interface HostPort {
  host: string;
  port: number;
}

/** Splits `host:port` as Go's net.SplitHostPort does; the messages are Go's, as Toxiproxy shows them. */
export function splitHostPort(address: string): { host: string; port: string } {
  const missingPort = `address ${address}: missing port in address`;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) throw new Error(`address ${address}: missing ']' in address`);
    if (address[close + 1] !== ':') throw new Error(missingPort);
    return { host: address.slice(1, close), port: address.slice(close + 2) };
  }
  const colon = address.lastIndexOf(':');
  if (colon < 0) throw new Error(missingPort);
  const host = address.slice(0, colon);
  if (host.includes(':')) throw new Error(`address ${address}: too many colons in address`);
  return { host, port: address.slice(colon + 1) };
}

function parsePort(address: string, port: string): number {
  if (port === '') return 0;
  const n = /^\d+$/.test(port) ? Number(port) : NaN;
  if (!Number.isInteger(n) || n > 65535) throw new Error(`address ${address}: invalid port "${port}"`);
  return n;
}

/** Resolves a listen address to the host and port to bind, IPv4 first (localhost -> 127.0.0.1). */
export async function resolveListen(listen: string): Promise<HostPort> {
  try {
    const { host, port } = splitHostPort(listen);
    const portNumber = parsePort(listen, port);
    if (host === '') return { host: '0.0.0.0', port: portNumber };
    if (isIP(host)) return { host, port: portNumber };
    try {
      const found = await lookup(host, { family: 4 }).catch(() => lookup(host));
      return { host: found.address, port: portNumber };
    } catch {
      throw new Error(`listen tcp: lookup ${host}: no such host`);
    }
  } catch (err) {
    throw errors.listenFailed((err as Error).message);
  }
}

/** An upstream is dialled per connection; here only its shape is checked, never the host. */
export function checkUpstream(upstream: string): void {
  try {
    const { host, port } = splitHostPort(upstream);
    if (host === '') throw new Error(`address ${upstream}: missing host in address`);
    const n = parsePort(upstream, port);
    if (n === 0) throw new Error(`address ${upstream}: port must be 1-65535`);
  } catch (err) {
    throw errors.badUpstream((err as Error).message);
  }
}

export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's text for the common bind failures, e.g. `listen tcp 127.0.0.1:80: bind: permission denied`. */
export function bindError(address: HostPort, err: NodeJS.ErrnoException): ApiError {
  const reasons: Record<string, string> = {
    EADDRINUSE: 'address already in use',
    EACCES: 'permission denied',
    EADDRNOTAVAIL: 'cannot assign requested address',
  };
  const reason = reasons[err.code ?? ''] ?? err.message;
  return errors.listenFailed(`listen tcp ${formatHostPort(address.host, address.port)}: bind: ${reason}`);
}
