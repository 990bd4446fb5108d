import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadEstateConfig, type EstateConfigInput } from '../services/estate/config';
import { componentsUp, findEstateRecords, removeUnrecorded, startEstate, takeDown, type EstateRecord } from '../services/runtime';

const out = (line: string): void => void process.stdout.write(line + '\n');

/** `blackstart up|down|status|failback`: the estate on its own, without a drill. */
export function addEstateCommands(program: Command): void {
  program
    .command('up')
    .description('start the mock estate and keep it running until Ctrl-C')
    .option('--config <file>', 'estate.yaml (runtime, ports, replication, failover)')
    .option('--runtime <runtime>', 'process or docker (overrides the estate file)')
    .option('--estate <file>', 'an estate file (docs/ARCHITECTURE.md § 11) instead of the built-in regional estate')
    .option('--json', 'print the endpoints as JSON')
    .action(async (opts: { config?: string; runtime?: string; estate?: string; json?: boolean }) => {
      const config: EstateConfigInput = { ...(opts.config ? loadEstateConfig(opts.config) : {}), ...(opts.estate ? { file: opts.estate } : {}) };
      if (opts.runtime !== undefined && !['process', 'docker'].includes(opts.runtime)) throw new Error(`--runtime: ${opts.runtime}: use process or docker`);
      // Listening before the start: Ctrl-C during a (docker) start stops what was started, once started.
      // `on`, not `once`: testcontainers loads signal-exit, which re-raises a signal (killing the
      // process) when it finds itself the only listener, as it does once a `once` wrapper has gone.
      let onSignal = () => {};
      const signalled = new Promise<void>((resolve) => (onSignal = resolve));
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const runtime = (opts.runtime ?? config.runtime) as 'process' | 'docker' | undefined;
      const estate = await startEstate({ ...config, ...(runtime ? { runtime } : {}) }, { log: opts.json ? undefined : (l) => process.stderr.write(l + '\n') });
      if (opts.json) out(JSON.stringify({ id: estate.id, runtime: estate.runtime, dataDir: estate.dataDir, endpoints: estate.endpoints }));
      else {
        out(`estate ${estate.id} is up on the ${estate.runtime} runtime (data: ${estate.dataDir})`);
        for (const [svc, url] of Object.entries(estate.endpoints.services)) if (url) out(`  ${svc.padEnd(8)} ${url}`);
        out(`  proxies  ${estate.endpoints.proxyApi}${estate.proxyServer ? ` (${estate.proxyServer.kind}${estate.proxyServer.image ? `: ${estate.proxyServer.image}` : ''})` : ''}`);
        if (estate.endpoints.controller) out(`  control  ${estate.endpoints.controller}`);
        out('Ctrl-C stops everything.');
      }
      // Nothing else may hold the event loop (a docker estate's containers are not our children).
      const keepAlive = setInterval(() => {}, 1 << 30);
      await signalled;
      clearInterval(keepAlive);
      await estate.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stderr.write('estate stopped\n');
    });

  program
    .command('down')
    .description('stop every estate started from this directory (also ones a killed harness left; docker: by label)')
    .option('--all', 'docker: also remove every blackstart container, volume and network on this Docker host, from any directory')
    .action(async (opts: { all?: boolean }) => {
      const records = findEstateRecords();
      let stoppedAny = false;
      for (const r of records) {
        const { stopped, summary } = await takeDown(r);
        out(`${r.id}: ${summary}`);
        if (!stopped) {
          process.exitCode = 1;
          continue;
        }
        stoppedAny = true;
      }
      // Docker objects of estates without a record (a harness killed mid-start), by label.
      const swept = await removeUnrecorded(opts.all ? { all: true } : { root: resolve('.blackstart/estates') });
      if (swept) {
        out(swept);
        stoppedAny = true;
      }
      if (!stoppedAny) out('no estate running');
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
        out(
          s.endpoints.controller
            ? `${s.id}: active site ${s.controller?.primary ?? '?'} (epoch ${s.controller?.epoch ?? '?'}), promotion ${s.controller?.promotion ?? '?'}`
            : `${s.id}: no failover controller blackstart can read (its failover is the estate's own)`,
        );
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
  return { id: r.id, runtime: r.runtime, dataDir: r.dataDir, endpoints: r.endpoints, controller, components: await componentsUp(r) };
}
