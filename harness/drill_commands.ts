import { InvalidArgumentError, type Command } from 'commander';
import { join } from 'node:path';
import { ReportsNotWritten, writeReports } from '../reports/write';
import { terminalSummary } from '../reports/terminal';
import { DrillError, describeFault, loadDrill } from './drill/load';
import { loadDurationMs, type Drill } from './drill/schema';
import { externalPlanLines } from './drill/hooks_plan';
import { estateNames } from '../services/estate/topology';
import { EXIT, runDrill } from './runner/run';
import { claimOutDir, OutDirTaken } from './runner/out_dir';
import { parseRates, parseRepeat, repeatPlan, repeatPlanLines, runRepeatCommand } from './repeat_command';

const out = (line: string): void => void process.stdout.write(line + '\n');
const err = (line: string): void => void process.stderr.write(line + '\n');

/** Reads a drill file; a bad one prints every problem (file:line:col: path: reason) and exits 2. */
function loadOrExit(file: string): Drill {
  try {
    return loadDrill(file);
  } catch (e) {
    if (e instanceof DrillError) {
      for (const p of e.problems) err(`${p.file}:${p.line}:${p.column}: ${p.path || '(file)'}: ${p.message}`);
      err(`${file}: ${e.problems.length} problem(s); nothing was run`);
      process.exit(EXIT.error);
    }
    throw e;
  }
}

/** Beside the default report directories: every run in this directory adds a line. */
export const DEFAULT_HISTORY = join('blackstart-reports', 'history.jsonl');

export function addDrillCommands(program: Command): void {
  program
    .command('validate')
    .argument('<file>', 'drill file (YAML)')
    .description('check a drill file: every error with file, line, field and reason (exit 2)')
    .action((file: string) => {
      const drill = loadOrExit(file);
      out(`${file}: valid drill "${drill.name}": ${drill.faults.length} fault(s), ${drill.gates.length} gate(s), load ${loadDurationMs(drill.load)} ms`);
    });

  program
    .command('drill')
    .argument('<file>', 'drill file (YAML)')
    .description('run a drill: estate, load, faults on schedule, ledger, residue check, gates')
    .option('--out <dir>', 'where reports go (default blackstart-reports/<drill>-<timestamp>/)')
    .option('--dry-run', 'validate and print the planned timeline; apply nothing')
    .option('--json', 'print result.json to stdout instead of the summary')
    .option('--history <file>', 'run history to add the run to and compare it with', DEFAULT_HISTORY)
    .option('--no-history', 'neither read nor add to a run history')
    .option('--repeat <n>', 'run the drill n times (1-100), each on a fresh estate, seed + k - 1; the aggregate reports RTO as a distribution', parseRepeat)
    .option('--engine <engine>', 'the load generator: builtin (default) or k6 (k6 on PATH runs the load; blackstart reads its points)', parseEngine)
    .option('--rates <list>', 'run the drill at each offered rate (e.g. 30,100,300; --repeat times each) and report the figures against the rate', parseRates)
    .action(async (file: string, opts: { out?: string; dryRun?: boolean; json?: boolean; history: string | false; repeat?: number; rates?: number[]; engine?: 'builtin' | 'k6' }) => {
      const drill = withEngine(loadOrExit(file), opts.engine, file);
      const repeated = repeatPlan(drill, opts);
      if (opts.dryRun) return out([plan(drill), ...(repeated ? repeatPlanLines(drill, repeated) : [])].join('\n'));
      // The output directory is this drill's alone: claimed before anything starts. Another run's
      // is refused (exit 2) with nothing started and nothing written to it, not even a history line.
      const outDir = claimOrExit(opts.out, drill);
      const stop = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (stop.signal.aborted) return err(`${signal}: still reverting faults and stopping the estate; please wait`);
        err(`${signal}: stopping the drill, reverting every fault`);
        stop.abort(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      if (repeated) {
        const historyFile = opts.history === false ? undefined : opts.history;
        process.exitCode = await runRepeatCommand(drill, repeated, { file, outDir, json: opts.json, historyFile, signal: stop.signal, out, err });
        return;
      }
      // On a terminal, progress is one status area redrawn in place; off one (CI), a line a second.
      const result = await runDrill(drill, { file, outDir, signal: stop.signal, print: opts.json ? err : out, tty: process.stderr.isTTY ? process.stderr : undefined });
      let written: ReturnType<typeof writeReports>;
      let unwritten: ReportsNotWritten | undefined;
      try {
        written = writeReports(result, outDir, { historyFile: opts.history === false ? undefined : opts.history });
      } catch (e) {
        if (!(e instanceof ReportsNotWritten)) throw e;
        // A full disk: the faults were reverted and the estate stopped already; the verdict is
        // still told here, and what could not be written is named.
        unwritten = e;
        written = e.written;
      }
      if (opts.json) out(JSON.stringify(result));
      else out(terminalSummary(result, { outDir, color: process.stdout.isTTY, trend: written.trend }));
      const { paths } = written;
      const missing = new Set(unwritten?.failed.map((f) => f.file));
      const reports = [paths.resultJson, paths.junitXml, paths.summaryMd, paths.reportHtml].filter((p) => !missing.has(p));
      if (reports.length) err(`reports: ${reports.join(', ')}`);
      if (paths.history && !missing.has(paths.history) && !missing.has(paths.resultJson)) err(`history: ${paths.history}${written.historySkipped ? ` (${written.historySkipped} unreadable line(s) skipped)` : ''}`);
      for (const line of result.notes?.filter((n) => n.startsWith('could not write')) ?? []) err(`blackstart: ${line}`);
      if (unwritten) {
        for (const f of unwritten.failed) err(`blackstart: could not write ${f.file}: ${f.error}`);
        if (missing.has(paths.resultJson) && paths.history) err(`blackstart: the run was not added to ${paths.history} (its result.json is missing)`);
        const applied = result.faults.filter((f) => f.appliedAtMs !== null);
        const reverted = applied.filter((f) => f.revertedAtMs !== null && f.revertError === null);
        err(`blackstart: the drill ran to its end (verdict ${result.verdict}; ${reverted.length} of ${applied.length} applied fault(s) reverted, residue: ${result.residue.length ? result.residue.join('; ') : 'none'}), but its reports are incomplete: exit ${EXIT.error}`);
        process.exitCode = EXIT.error;
        return;
      }
      process.exitCode = result.exitCode;
    });
}

/**
 * The drill's output directory, claimed (harness/runner/out_dir.ts): `--out`, else a new one under
 * blackstart-reports/ (two drills of one name started in the same millisecond: the second gets
 * its pid added). Exits 2 when --out is another run's.
 */
function claimOrExit(given: string | undefined, drill: Drill): string {
  const stamp = `${drill.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const candidates = given !== undefined ? [given] : [join('blackstart-reports', stamp), join('blackstart-reports', `${stamp}-${process.pid}`)];
  let refusal = '';
  for (const dir of candidates) {
    try {
      claimOutDir(dir, drill.name);
      return dir;
    } catch (e) {
      if (!(e instanceof OutDirTaken)) throw e;
      refusal = e.message;
    }
  }
  err(`blackstart: ${refusal}; nothing was run`);
  return process.exit(EXIT.error);
}

function parseEngine(v: string): 'builtin' | 'k6' {
  if (v !== 'builtin' && v !== 'k6') throw new InvalidArgumentError('builtin or k6');
  return v;
}

/** --engine replaces the drill's load.engine (a `script` applies to k6 only); exit 2 when the drill cannot run on it. */
function withEngine(drill: Drill, engine: 'builtin' | 'k6' | undefined, file: string): Drill {
  if (!engine || engine === drill.load.engine) return drill;
  const problems = [
    ...(engine === 'k6' && drill.load.paper ? ['load.paper: paper mode needs the built-in engine'] : []),
    ...(engine === 'k6' && drill.load.workload === 'fhir' && !drill.load.script ? ['load.workload: engine k6 exports the clinical workload only: give your own script (load.script)'] : []),
  ];
  if (problems.length) {
    for (const p of problems) err(`${file}: --engine ${engine}: ${p}`);
    process.exit(EXIT.error);
  }
  return { ...drill, load: { ...drill.load, engine, script: engine === 'k6' ? drill.load.script : undefined } };
}

/**
 * The dry run's estate: the built-in estate's settings (its file reads them as ${config:...}); a
 * user's file by its path, its sites (a witness marked) and its parameters, as the settings of
 * the built-in estate do not apply to it.
 */
function estateLine(drill: Drill): string {
  const e = drill.estate;
  if (e.file === undefined) {
    return (
      `estate: runtime ${e.runtime}, the built-in regional estate, replication ${e.replication.mode} (peer unreachable: ${e.replication.on_peer_unreachable}), ` +
      `failover ${e.failover.promotion} (heartbeat ${e.failover.heartbeat_ms} ms x ${e.failover.detect_after}, promotion delay ${e.failover.promotion_delay_ms} ms)`
    );
  }
  const names = estateNames(e);
  const sites = names.sites.map((s) => (names.servingSites.includes(s) ? s : `${s} (witness)`)).join(', ');
  const parameters = Object.entries(e.parameters ?? {}).map(([k, v]) => `${k}=${v}`);
  return `estate: runtime ${e.runtime}, file ${e.file}; sites ${sites}${parameters.length ? `; parameters ${parameters.join(', ')}` : ''}`;
}

/** The dry run: what would happen, in order, without touching anything. */
export function plan(drill: Drill): string {
  const e = drill.estate;
  const lines = [
    `drill ${drill.name}: ${drill.description}`.trim(),
    e.runtime === 'external' ? 'estate: runtime external (a system blackstart does not start: below)' : estateLine(drill),
    `load: ${drill.load.executor} ${drill.load.rate.toFixed(1)}/s for ${loadDurationMs(drill.load)} ms, warm-up ${drill.load.warmup} ms, seed ${drill.seed}${drill.load.paper ? ', paper mode' : ''}`,
    'timeline:',
  ];
  const events: [number, string][] = [[0, 'load starts'], [drill.load.warmup, 'baseline starts (end of warm-up)']];
  drill.faults.forEach((f, i) => {
    events.push([f.at, `apply ${describeFault(f, i)}`]);
    const after = f.restore_after ?? f.duration;
    if (after !== undefined) events.push([f.at + after, `revert ${f.name ?? `fault-${i}`}`]);
  });
  events.push([loadDurationMs(drill.load), 'load stops; every fault still applied is reverted; writes read back; residue check']);
  for (const [t, what] of events.sort((a, b) => a[0] - b[0])) lines.push(`  t=${(t / 1000).toFixed(1).padStart(6)}s  ${what}`);
  lines.push(...externalPlanLines(drill));
  lines.push('gates:');
  for (const g of drill.gates) lines.push(`  ${g.metric}${g.stat ? ` ${g.stat}` : ''} <= ${g.max} (${g.service}, ${g.phase}${g.fault !== undefined ? `, fault ${g.fault}` : ''})`);
  if (drill.abort.length) lines.push(`abort when: ${drill.abort.map((a) => `success ratio < ${a.success_ratio_below} for ${a.for} ms`).join('; ')}`);
  return lines.join('\n');
}
