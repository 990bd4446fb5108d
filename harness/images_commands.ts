import type { Command } from 'commander';
import { buildImages } from '../services/runtime';
import { packageRoot } from './paths';
import { StatusArea } from './runner/progress';

const out = (line: string): void => void process.stdout.write(line + '\n');

/** `blackstart images build`: the docker runtime's images, without a registry (docs/ARCHITECTURE.md § 4). */
export function addImagesCommands(program: Command): void {
  const images = program.command('images').description('the images of the docker runtime');
  images
    .command('build')
    .description('build the base, estate and proxy images (skipped when their inputs are unchanged)')
    .option('--from-registry', 'start from the public node image instead of a debootstrapped Debian (needs a registry; the real Toxiproxy is pulled whenever one answers)')
    .option('--force', 'rebuild even when the inputs are unchanged')
    .option('--patroni', 'also the Patroni estate\'s image (PostgreSQL 15, Patroni, etcd, HAProxy from Debian; about 700 MB)')
    .option('-q, --quiet', 'print the result lines only')
    .action(async (opts: { fromRegistry?: boolean; force?: boolean; patroni?: boolean; quiet?: boolean }) => {
      const t0 = performance.now();
      const status = opts.quiet ? undefined : buildStatus(t0);
      let results;
      try {
        results = await buildImages({
          root: packageRoot(),
          fromRegistry: opts.fromRegistry,
          force: opts.force,
          patroni: opts.patroni,
          log: status?.log,
          activity: status?.activity,
        });
      } finally {
        status?.stop();
      }
      for (const r of results) out(`${r.name.padEnd(36)} ${r.action.padEnd(9)} ${(r.ms / 1000).toFixed(1).padStart(6)} s  inputs ${r.inputs.slice(0, 24)}`);
      out(`images ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
}

/**
 * What `images build` is doing while it does it: on a terminal (stderr), one status line under
 * the log, redrawn every 250 ms: elapsed time and the last line of the step running (debootstrap's
 * "Retrieving ...", docker build's steps). Off a terminal (CI), the log lines, and every 15 s a
 * line saying what is still running.
 */
function buildStatus(t0: number): { log: (l: string) => void; activity: (l: string) => void; stop: () => void } {
  const area = process.stderr.isTTY ? new StatusArea(process.stderr) : undefined;
  const spin = ['|', '/', '-', '\\'];
  let current = 'starting';
  let k = 0;
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const draw = () => area?.render([`${spin[k++ % spin.length]} ${elapsed()}  ${current}`]);
  const timer = setInterval(area ? draw : () => process.stderr.write(`  ... ${elapsed()}: ${current}\n`), area ? 250 : 15_000);
  return {
    log: (l) => {
      current = l.trim();
      if (area) area.above(() => process.stderr.write(l + '\n'));
      else process.stderr.write(l + '\n');
    },
    activity: (l) => (current = l.trim().slice(0, 200)),
    stop: () => {
      clearInterval(timer);
      area?.clear();
    },
  };
}
