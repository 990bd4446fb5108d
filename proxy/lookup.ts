import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';

/**
 * How the proxy resolves its upstreams' names: each name at most once per `ttlMs`, one lookup in
 * flight per name, every connection that needs it waiting on that one.
 *
 * Why: Node resolves a name with getaddrinfo on libuv's thread pool (4 threads). On the docker
 * runtime upstreams are container names, and a container that is powered off has no name: Docker's
 * DNS forwards the question to the host's resolver, which may take seconds to say no. Clients go
 * on dialling a dead site (HAProxy's checks every second, etcd's peers every 100 ms), so a lookup
 * per connection filled the pool with dead names, and every other connection through the proxy
 * waited behind them: measured on the Patroni estate, 1-4 s to reach a live node's REST API
 * through its link (3 ms direct), HAProxy's checks timed out and the service flapped for 11 s
 * after Patroni had promoted the other node. Toxiproxy (Go) resolves without such a pool.
 * A dead name then costs one lookup a second, and the docker runtime also widens the pool
 * (UV_THREADPOOL_SIZE) so that a handful of slow ones leave threads for the live names.
 */

type Answer = { error: NodeJS.ErrnoException | null; addresses: LookupAddress[] };

/** `net.connect`'s `lookup` option; `lookup` is what it wraps (dns.lookup; a test's stand-in). */
export function cachedLookup(ttlMs = 1000, lookup: typeof dnsLookup = dnsLookup): LookupFunction {
  const answers = new Map<string, { at: number; answer: Answer }>();
  const pending = new Map<string, ((a: Answer) => void)[]>();
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
    const key = `${family}/${hostname}`;
    const reply = ({ error, addresses }: Answer) => {
      if (error || addresses.length === 0) return callback(error ?? Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), options.all ? [] : '');
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    };
    const cached = answers.get(key);
    if (cached && performance.now() - cached.at < ttlMs) return reply(cached.answer);
    const waiting = pending.get(key);
    if (waiting) return void waiting.push(reply);
    pending.set(key, [reply]);
    lookup(hostname, { family: family as 0 | 4 | 6, all: true, hints: options.hints }, (error, addresses) => {
      const answer: Answer = { error, addresses: error ? [] : addresses };
      answers.set(key, { at: performance.now(), answer });
      const replies = pending.get(key) ?? [];
      pending.delete(key);
      for (const r of replies) r(answer);
    });
  };
}
