import type { Command } from 'commander';
import { loadEstateConfig } from '../services/estate/config';
import { startEstate } from '../services/runtime';
import { findEstateRecords, isAlive, killEstate } from '../services/runtime/process/records';
import type { EstateRecord } from '../services/runtime/process/runtime';

const out = (line: string): void => void process.stdout.write(line + '\n');

/** `blackstart up|down|status|failback`: the estate on its own, without a drill. */
export function addEstateCommands(program: Command): void {
  program
    .command('up')
    .description('start the mock estate and keep it running until Ctrl-C')
    .option('--config <file>', 'estate.yaml (runtime, ports, replication, failover)')
    .option('--json', 'print the endpoints as JSON')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const config = opts.config ? loadEstateConfig(opts.config) : {};
      const estate = await startEstate(config, { log: opts.json ? undefined : (l) => process.stderr.write(l + '\n') });
      if (opts.json) out(JSON.stringify({ id: estate.id, dataDir: estate.dataDir, endpoints: estate.endpoints }));
      else {
        out(`estate ${estate.id} is up (data: ${estate.dataDir})`);
        for (const [svc, url] of Object.entries(estate.endpoints.services)) out(`  ${svc.padEnd(8)} ${url}`);
        out(`  proxies  ${estate.endpoints.proxyApi}`);
        out(`  control  ${estate.endpoints.controller}`);
        out('Ctrl-C stops everything.');
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await estate.stop();
      process.stderr.write('estate stopped\n');
    });

  program
    .command('down')
    .description('stop every estate started from this directory (also ones a killed harness left)')
    .action(async () => {
      const records = findEstateRecords();
      if (records.length === 0) return out('no estate running');
      for (const r of records) {
        if (r.harnessPid !== process.pid && isAlive(r.harnessPid)) {
          // A live `blackstart up`: let it stop its estate in order.
          process.kill(r.harnessPid, 'SIGTERM');
          await waitFor(() => !Object.values(r.pids).some(isAlive), 5000);
        }
        const killed = killEstate(r);
        out(`${r.id}: stopped${killed.length ? ` (killed ${killed.join(', ')})` : ''}`);
      }
    });

  program
    .command('status')
    .description('what runs: components, the active site, the controller')
    .option('--json', 'machine-readable')
    .action(async (opts: { json?: boolean }) => {
      const records = findEstateRecords();
      const statuses = await Promise.all(records.map(describe));
      if (opts.json) return out(JSON.stringify(statuses));
      if (records.length === 0) return out('no estate running');
      for (const s of statuses) {
        out(`${s.id}: active site ${s.controller?.primary ?? '?'} (epoch ${s.controller?.epoch ?? '?'}), promotion ${s.controller?.promotion ?? '?'}`);
        for (const [name, alive] of Object.entries(s.components)) out(`  ${name.padEnd(12)} ${alive ? 'up' : 'DOWN'}`);
      }
    });

  program
    .command('failback')
    .description('planned switchover to the other site, with zero lost writes')
    .option('--controller <url>', 'controller URL (default: the running estate)')
    .action(async (opts: { controller?: string }) => {
      const url = opts.controller ?? findEstateRecords()[0]?.endpoints.controller;
      if (!url) throw new Error('no estate running and no --controller given');
      const res = await fetch(`${url}/failback`, { method: 'POST', signal: AbortSignal.timeout(30_000) });
      const body = (await res.json()) as { ok: boolean; detail: string; primary: string };
      out(`${body.ok ? 'failback complete' : 'failback failed'}: ${body.detail}; primary is ${body.primary}`);
      if (!body.ok) process.exitCode = 1;
    });
}

async function describe(r: EstateRecord) {
  let controller: { primary: string; epoch: number; promotion: string } | undefined;
  try {
    const res = await fetch(`${r.endpoints.controller}/state`, { signal: AbortSignal.timeout(1000) });
    controller = (await res.json()) as typeof controller;
  } catch {
    controller = undefined;
  }
  return { id: r.id, dataDir: r.dataDir, endpoints: r.endpoints, controller, components: Object.fromEntries(Object.entries(r.pids).map(([n, p]) => [n, isAlive(p)])) };
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
