import type { Command } from 'commander';
import { DrillError, loadDrill } from './drill/load';
import { exportK6 } from './load/k6/export';
import { packageVersion } from './paths';

/** `blackstart export k6 FILE > load.js`: the drill's load as a k6 script (harness/load/k6/export.ts). */
export function addExportCommands(program: Command): void {
  const exp = program.command('export').description("the drill's load for other tools");
  exp
    .command('k6')
    .argument('<file>', 'drill file (YAML)')
    .description("the drill's load as a k6 script on stdout: one scenario per service, the seeded clinical sequence, the gates k6 can judge as thresholds")
    .action((file: string) => {
      try {
        const drill = loadDrill(file);
        process.stdout.write(exportK6(drill, { file, version: packageVersion() }).script);
      } catch (e) {
        if (e instanceof DrillError) {
          for (const p of e.problems) process.stderr.write(`${p.file}:${p.line}:${p.column}: ${p.path || '(file)'}: ${p.message}\n`);
          process.exit(2);
        }
        throw e;
      }
    });
}
