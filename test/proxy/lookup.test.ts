import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';
import { cachedLookup } from '../../proxy/lookup';

/**
 * The proxy's upstream lookups (proxy/lookup.ts): one in flight per name, answers (a "no such
 * host" too) kept for the ttl, so connections to a powered-off container's name cannot fill
 * libuv's pool and hold up the live ones.
 */

type Pending = { hostname: string; done: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void };

/** A stand-in for dns.lookup that answers when the test says. */
function fakeDns() {
  const calls: Pending[] = [];
  const lookup = ((hostname: string, _options: unknown, done: Pending['done']) => {
    calls.push({ hostname, done });
  }) as unknown as typeof dnsLookup;
  return { calls, lookup };
}

const ask = (l: ReturnType<typeof cachedLookup>, host: string, all = false) =>
  new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
    l(host, { all }, (err, address, family) => resolve({ err, address, family })),
  );

describe('cachedLookup', () => {
  it('asks once for many connections to one name, and answers each in the form it asked', async () => {
    const dns = fakeDns();
    const l = cachedLookup(1000, dns.lookup);
    const one = ask(l, 'dc2-db');
    const many = ask(l, 'dc2-db', true);
    expect(dns.calls.map((c) => c.hostname)).toEqual(['dc2-db']);
    dns.calls[0].done(null, [{ address: '172.27.0.7', family: 4 }]);
    expect(await one).toEqual({ err: null, address: '172.27.0.7', family: 4 });
    expect(await many).toEqual({ err: null, address: [{ address: '172.27.0.7', family: 4 }], family: undefined });
    // Within the ttl: from the cache, no new question.
    expect((await ask(l, 'dc2-db')).address).toBe('172.27.0.7');
    expect(dns.calls).toHaveLength(1);
  });

  it('keeps a dead name\'s "no such host" for the ttl, and does not hold up other names behind it', async () => {
    const dns = fakeDns();
    const l = cachedLookup(50, dns.lookup);
    const dead = ask(l, 'dc1-db');
    const live = ask(l, 'dc2-db');
    // The live name is asked while the dead one is still unanswered.
    expect(dns.calls.map((c) => c.hostname)).toEqual(['dc1-db', 'dc2-db']);
    dns.calls[1].done(null, [{ address: '172.27.0.7', family: 4 }]);
    expect((await live).address).toBe('172.27.0.7');
    dns.calls[0].done(Object.assign(new Error('getaddrinfo ENOTFOUND dc1-db'), { code: 'ENOTFOUND' }), []);
    expect((await dead).err?.code).toBe('ENOTFOUND');
    expect((await ask(l, 'dc1-db')).err?.code).toBe('ENOTFOUND');
    expect(dns.calls).toHaveLength(2);
    // After the ttl the name is asked again (a restored container has its name back).
    await new Promise((r) => setTimeout(r, 60));
    const again = ask(l, 'dc1-db');
    expect(dns.calls).toHaveLength(3);
    dns.calls[2].done(null, [{ address: '172.27.0.9', family: 4 }]);
    expect((await again).address).toBe('172.27.0.9');
  });

  it('resolves a real name through dns.lookup (localhost)', async () => {
    const r = await ask(cachedLookup(), 'localhost');
    expect(r.err).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(r.address);
  });
});
