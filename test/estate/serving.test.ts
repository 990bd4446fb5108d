import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitServing } from '../../services/runtime/shared';
import type { EstateEndpoints } from '../../services/runtime/runtime';

/**
 * When an estate counts as serving (services/runtime/shared.ts `waitServing`): every service ready
 * through the entry, and its failover controller watching. A drill that struck before the
 * controller's first healthy heartbeat would see no failover at all (CI once lost a heartbeat
 * partition test this way).
 */

interface Fake {
  url: string;
  calls: { ready: number; active: number };
  close(): Promise<void>;
}

/** One server playing both the entry (`/svc/health/ready`) and the controller (`/active`). */
async function fake(opts: { readyAfter: number; watchingAfter: number | null; watchingField?: boolean }): Promise<Fake> {
  const calls = { ready: 0, active: 0 };
  const server = http.createServer((req, res) => {
    if (req.url?.endsWith('/health/ready')) {
      calls.ready++;
      res.writeHead(calls.ready > opts.readyAfter ? 200 : 503).end();
    } else if (req.url === '/active') {
      calls.active++;
      const watching = opts.watchingAfter !== null && calls.active > opts.watchingAfter;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(opts.watchingField === false ? { site: 'dc1', epoch: 1 } : { site: 'dc1', epoch: 1, watching }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, calls, close: () => new Promise((r) => server.close(() => r())) };
}

function endpoints(url: string, controller: string): EstateEndpoints {
  const none = { pas: '', booking: '', theatre: '' };
  return {
    proxyApi: '',
    controller,
    frontdoorAdmin: '',
    services: { pas: '', booking: `${url}/booking`, theatre: '' },
    sites: { dc1: { sanAdmin: '', apps: none }, dc2: { sanAdmin: '', apps: none } },
  };
}

describe('waitServing', () => {
  it('waits for the controller to watch after the services are ready', async () => {
    const f = await fake({ readyAfter: 2, watchingAfter: 3 });
    try {
      await waitServing(endpoints(f.url, f.url), 5000);
      expect(f.calls.ready).toBe(3);
      // Asked until the answer said watching: three "not yet", then the one that returned.
      expect(f.calls.active).toBe(4);
    } finally {
      await f.close();
    }
  });

  it('fails naming the controller when it never watches', async () => {
    const f = await fake({ readyAfter: 0, watchingAfter: null });
    try {
      await expect(waitServing(endpoints(f.url, f.url), 400)).rejects.toThrow(/estate not serving within 400 ms: controller: not yet watching dc1/);
    } finally {
      await f.close();
    }
  });

  it('takes a controller that does not say as watching, and an estate without a controller as served once ready', async () => {
    const f = await fake({ readyAfter: 0, watchingAfter: null, watchingField: false });
    try {
      await waitServing(endpoints(f.url, f.url), 2000);
      expect(f.calls.active).toBe(1);
      await waitServing(endpoints(f.url, ''), 2000);
      expect(f.calls.active).toBe(1);
    } finally {
      await f.close();
    }
  });
});
