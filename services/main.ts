/**
 * Entry point of every estate component process: `node main.js <kind> <options-json>`, or
 * `<kind> @<file>` with the options in a JSON file (an estate file writes them with its `files`,
 * estates/regional.yaml). The runtime starts one process per component; a power cut kills them.
 */
import { readFileSync } from 'node:fs';
import type { ComponentSpec } from './estate/components';

// Each kind loads only its own modules: a cold restart after a power cut is part of the RTO.

async function run(kind: ComponentSpec['kind'] | 'patroni-watch', options: never): Promise<() => void | Promise<void>> {
  switch (kind) {
    case 'proxy': {
      const o = options as Extract<ComponentSpec, { kind: 'proxy' }>['options'];
      const { startProxyServer } = await import('../proxy/server');
      const server = await startProxyServer({ ...o, log: (l) => process.stderr.write(l + '\n') });
      return () => server.close();
    }
    case 'san': {
      const { SanServer } = await import('./san/server');
      const o = options as Extract<ComponentSpec, { kind: 'san' }>['options'];
      const san = new SanServer({ ...o, replicationTarget: hostPort(o.replicationTarget) });
      await san.start();
      return () => san.stop();
    }
    case 'app': {
      // `storage: { pg: URL }`: the app keeps its records in PostgreSQL (services/pg/storage.ts), as
      // an estate file's apps do in front of Patroni; otherwise on its site's SAN.
      const o = options as Extract<ComponentSpec, { kind: 'app' }>['options'] & { storage?: { pg: string; timeoutMs?: number; nodes?: Record<string, number> } };
      const { createAppServer } = await import('./apps');
      let storage: import('./san/storage').Storage & { close(): void | Promise<void> };
      if (o.storage?.pg) {
        const { PgStorage } = await import('./pg/storage');
        storage = new PgStorage({ url: o.storage.pg, timeoutMs: o.storage.timeoutMs ?? o.sanTimeoutMs, site: o.site, nodes: o.storage.nodes });
      } else {
        const { SanClient } = await import('./san/client');
        storage = new SanClient(hostPort(o.san), o.sanTimeoutMs);
      }
      const server = createAppServer({ service: o.service, site: o.site, storage });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.host, () => resolve());
      });
      return async () => {
        server.close();
        await storage.close();
      };
    }
    case 'controller': {
      const { Controller } = await import('./controller/controller');
      const c = new Controller(options);
      await c.start();
      return () => c.stop();
    }
    case 'patroni-watch': {
      // A Patroni cluster's failover as the controller API (services/patroni/watch.ts): estates/regional-patroni.yaml.
      const { PatroniWatch } = await import('./patroni/watch');
      const w = new PatroniWatch(options);
      await w.start();
      return () => w.stop();
    }
    case 'frontdoor': {
      const { Frontdoor } = await import('./frontdoor/frontdoor');
      const f = new Frontdoor(options);
      await f.start();
      return () => f.stop();
    }
  }
}

/** An address as an object, or as the `host:port` an estate file's `${link:L}` gives. */
function hostPort(a: { host: string; port: number } | string): { host: string; port: number } {
  if (typeof a !== 'string') return a;
  const at = a.lastIndexOf(':');
  return { host: a.slice(0, at), port: Number(a.slice(at + 1)) };
}

async function main(): Promise<void> {
  const [kind, json] = process.argv.slice(2);
  const options = JSON.parse(json.startsWith('@') ? readFileSync(json.slice(1), 'utf8') : json) as never;
  const stop = await run(kind as ComponentSpec['kind'] | 'patroni-watch', options);
  process.stderr.write(`${new Date().toISOString()} ${kind} ready (pid ${process.pid})\n`);
  const shutdown = async () => {
    await stop();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err) => {
  process.stderr.write(`${new Date().toISOString()} failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
