import type { Command } from 'commander';
import { restoreAll, type RestoreReport } from '../chaos/restore';

const out = (line: string): void => void process.stdout.write(line + '\n');

/**
 * `blackstart restore`: undo what a killed (or failed) drill left applied, from the rollback
 * journals under `.blackstart/journals/` of this directory. Exit 0 when nothing is left
 * applied, 1 when a revert failed or a fault is still applied.
 */
export function addRestoreCommand(program: Command): void {
  program
    .command('restore')
    .description('revert every fault a killed drill left applied (from its rollback journal) and stop its orphaned estate')
    .option('--journal <file...>', 'also read these journal files (e.g. one kept in a report directory)')
    .option('--force', 'also undo faults of a drill that is still running, and stop its estate')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { journal?: string[]; force?: boolean; json?: boolean }) => {
      const report = await restoreAll({ journals: opts.journal, force: opts.force });
      if (opts.json) out(JSON.stringify(report, null, 2));
      else printReport(report);
      process.exitCode = report.ok ? 0 : 1;
    });
}

function printReport(report: RestoreReport): void {
  if (report.journals.length === 0) return out('nothing to restore: no journal has a fault left applied');
  for (const j of report.journals) {
    out(`${j.path} (run ${j.runId}, harness pid ${j.harnessPid} ${j.harnessAlive ? 'running' : 'gone'})`);
    if (j.skipped) {
      out(`  skipped: ${j.skipped}`);
      for (const f of j.faults) out(`  still ${f.after}: ${f.id} ${f.description}`);
      continue;
    }
    for (const f of j.faults) {
      const verdict = f.after === 'reverted' ? 'reverted' : f.after === 'revert-failed' ? 'REVERT FAILED' : `still ${f.after}`;
      out(`  ${verdict}: ${f.id} ${f.description}`);
      for (const s of f.steps) out(`    ${s.outcome === 'failed' ? 'FAILED' : s.outcome}: ${s.detail}`);
    }
    for (const e of j.estates) out(`  estate ${e.id}: ${e.outcome === 'failed' ? 'STOP FAILED' : e.outcome} (${e.detail})`);
  }
  const summary = `${report.undone} fault${report.undone === 1 ? '' : 's'} reverted, ${report.estatesStopped} estate${report.estatesStopped === 1 ? '' : 's'} stopped`;
  if (report.ok) out(`${summary}; nothing left applied`);
  else {
    const problems = [
      report.failed && `${report.failed} revert${report.failed === 1 ? '' : 's'} failed`,
      report.estatesFailed && `${report.estatesFailed} estate${report.estatesFailed === 1 ? '' : 's'} not stopped`,
      report.left && `${report.left} fault${report.left === 1 ? '' : 's'} still applied`,
    ].filter(Boolean);
    out(`${summary}; ${problems.join(', ')}`);
  }
}
