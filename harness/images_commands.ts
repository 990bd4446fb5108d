import type { Command } from 'commander';
import { buildImages } from '../services/runtime';
import { packageRoot } from './paths';

const out = (line: string): void => void process.stdout.write(line + '\n');

/** `blackstart images build`: the docker runtime's images, without a registry (docs/ARCHITECTURE.md § 4). */
export function addImagesCommands(program: Command): void {
  const images = program.command('images').description('the images of the docker runtime');
  images
    .command('build')
    .description('build the base, estate and proxy images (skipped when their inputs are unchanged)')
    .option('--from-registry', 'start from the public node image instead of a debootstrapped Debian (needs a registry; the real Toxiproxy is pulled whenever one answers)')
    .option('--force', 'rebuild even when the inputs are unchanged')
    .option('-q, --quiet', 'print the result lines only')
    .action(async (opts: { fromRegistry?: boolean; force?: boolean; quiet?: boolean }) => {
      const t0 = performance.now();
      const results = await buildImages({
        root: packageRoot(),
        fromRegistry: opts.fromRegistry,
        force: opts.force,
        log: opts.quiet ? undefined : (l) => process.stderr.write(l + '\n'),
      });
      for (const r of results) out(`${r.name.padEnd(36)} ${r.action.padEnd(9)} ${(r.ms / 1000).toFixed(1).padStart(6)} s  inputs ${r.inputs.slice(0, 24)}`);
      out(`images ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
}
