/**
 * The Docker daemon stops in the middle of a drill (issue 14): `npm run bench:docker-daemon-stop`,
 * run by hand. Not a test of `npm test`: it stops the machine's Docker daemon, taking every other
 * container on it down (in CI: those of the suite's other docker tests, were they ever to run at
 * once), and it must start the daemon again the way it was started (here: the same command line
 * as the running dockerd, or `systemctl start docker` where systemd runs it).
 *
 * 1. A drill on the docker runtime with faults of every kind that stays applied (a toxic, a link
 *    down, a frozen component, a power cut) runs until every fault is applied.
 * 2. The daemon is stopped (SIGTERM, as `systemctl stop docker`: it stops every container).
 * 3. The drill must end with exit 2 and a plain message (no stack trace), its journal holding
 *    what was applied.
 * 4. The daemon is started again; `blackstart restore` must leave no container, volume or network
 *    of the run (by the run's `blackstart.root` label).
 *
 * Prints each step with its timing and, last, one line `BENCH_DAEMON_STOP_JSON {...}`; exit 1 when
 * an expectation fails. BENCH_DAEMON_STOP_AFTER_MS (default 0): how long after the last fault is
 * applied the daemon is stopped.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '../chaos/journal';
import { buildImages } from '../services/runtime';
import { env, ROOT, runBench, sleep } from './lib';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const CLI = join(ROOT, 'bin', 'blackstart.js');
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
const out = (line: string) => process.stdout.write(line + '\n');

const DRILL = `name: daemon-stop
seed: 9
estate:
  runtime: docker
  failover: { heartbeat_ms: 200, detect_after: 5, promotion_delay_ms: 300, hold_down_ms: 600000 }
load: { rate: 20/s, duration: 60s, warmup: 1s, timeout: 2s }
faults:
  - { name: slow-link, at: 1s, network: { link: dc2-booking, toxic: latency, attributes: { latency: 200 } } }
  - { name: cut-link, at: 1500ms, network: { link: dc2-theatre, toxic: down } }
  - { name: frozen-app, at: 2s, freeze: { component: dc1-theatre } }
  - { name: dark-standby, at: 2500ms, power_cut: { site: dc2 }, restore_after: 50s }
gates:
  - { metric: lost_writes, max: 0 }
`;

const dockerUp = () => spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 10_000 }).status === 0;

interface Daemon {
  describe: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** How the daemon runs here, and how to stop and start it again the same way. */
function daemon(): Daemon {
  const systemd = spawnSync('systemctl', ['is-active', 'docker'], { encoding: 'utf8' });
  if (systemd.status === 0 && systemd.stdout.trim() === 'active') {
    return {
      describe: 'systemd unit docker',
      stop: async () => void execFileSync('systemctl', ['stop', 'docker.socket', 'docker'], { stdio: 'ignore' }),
      start: async () => void execFileSync('systemctl', ['start', 'docker'], { stdio: 'ignore' }),
    };
  }
  const pid = Number(execFileSync('pgrep', ['-o', '-x', 'dockerd'], { encoding: 'utf8' }).trim());
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const environ = Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  return {
    describe: `dockerd pid ${pid}: ${argv.join(' ')}`,
    stop: async () => {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 600 && existsSync(`/proc/${pid}`); i++) await sleep(100);
      if (existsSync(`/proc/${pid}`)) throw new Error(`dockerd (pid ${pid}) did not stop within 60 s`);
    },
    start: async () => {
      // As it was started (.ci/run: `dockerd >/var/log/blackstart-ci-dockerd.log 2>&1 &`): same command line and environment, detached.
      const logFile = openSync('/var/log/blackstart-dockerd-restarted.log', 'a');
      const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', logFile, logFile], env: environ });
      child.unref();
      log(`dockerd started again (pid ${child.pid}), output in /var/log/blackstart-dockerd-restarted.log`);
    },
  };
}

async function waitForDocker(ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (dockerUp()) return true;
    await sleep(500);
  }
  return false;
}

function labelled(root: string): string[] {
  const ls = (args: string[], field: string) =>
    spawnSync('docker', [...args, '--filter', `label=blackstart.root=${root}`, '--format', `{{.${field}}}`], { encoding: 'utf8', timeout: 15_000 }).stdout.split('\n').filter(Boolean);
  return [...ls(['ps', '-a'], 'Names').map((n) => `container ${n}`), ...ls(['volume', 'ls'], 'Name').map((n) => `volume ${n}`), ...ls(['network', 'ls'], 'Name').map((n) => `network ${n}`)];
}

function run(args: string[], cwd: string): { child: ReturnType<typeof spawn>; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  return { child, output: () => text, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
}

let restartNeeded: Daemon | undefined;

async function main(): Promise<void> {
  if (!dockerUp()) throw new Error('no Docker daemon answers: nothing to stop');
  const d = daemon();
  log(`daemon: ${d.describe}`);
  await buildImages({ root: ROOT, log: () => {} });
  const others = spawnSync('docker', ['ps', '--format', '{{.Names}}'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (others.length) log(`WARNING: ${others.length} other container(s) run on this daemon and will be stopped with it: ${others.slice(0, 5).join(', ')}`);

  const cwd = mkdtempSync(join(tmpdir(), 'blackstart-daemon-stop-'));
  writeFileSync(join(cwd, 'drill.yaml'), DRILL);
  const outDir = join(cwd, 'out');
  const root = join(outDir, 'estate');
  const drill = run(['drill', 'drill.yaml', '--out', outDir], cwd);
  const started = performance.now();
  while (!/faults: .*dark-standby/.test(drill.output())) {
    if (performance.now() - started > 120_000) throw new Error(`the drill did not apply its faults within 120 s:\n${drill.output().slice(-2000)}`);
    await sleep(100);
  }
  await sleep(env('BENCH_DAEMON_STOP_AFTER_MS', 1));
  log('every fault applied: stopping the Docker daemon');
  restartNeeded = d;
  const stopAt = performance.now();
  await d.stop();
  const stoppedMs = performance.now() - stopAt;
  log(`daemon stopped in ${stoppedMs.toFixed(0)} ms; waiting for the drill to end`);
  const exitCode = await Promise.race([drill.exited, sleep(300_000).then(() => 'timeout' as const)]);
  const drillEndMs = performance.now() - stopAt;
  const output = drill.output();
  log(`drill ended ${(drillEndMs / 1000).toFixed(1)} s after the daemon stopped: exit ${exitCode}`);
  const journal = existsSync(join(outDir, 'journal.jsonl')) ? readJournal(join(outDir, 'journal.jsonl')) : undefined;

  const restartAt = performance.now();
  await d.start();
  const back = await waitForDocker(120_000);
  restartNeeded = back ? undefined : d;
  const restartMs = performance.now() - restartAt;
  log(`daemon ${back ? 'answers again' : 'DID NOT come back'} after ${(restartMs / 1000).toFixed(1)} s`);
  const beforeRestore = back ? labelled(root) : [];
  const restore = run(['restore'], cwd);
  const restoreExit = await restore.exited;
  const left = back ? labelled(root) : ['(daemon not back: not checked)'];

  const errorLines = output.split('\n').filter((l) => /ERROR|blackstart:/.test(l));
  const stackTrace = /^\s+at .+:\d+:\d+\)?$/m.test(output);
  const checks = {
    'the drill ended with exit 2': exitCode === 2,
    'a plain message, no stack trace': errorLines.some((l) => /Docker daemon stopped answering/.test(l)) && !stackTrace,
    'the journal holds the 4 faults applied': journal?.faults.length === 4 && journal.faults.every((f) => f.history.some((h) => h.state === 'applied')),
    'the daemon came back': back,
    'restore exited 0': restoreExit === 0,
    'no container, volume or network of the run left': left.length === 0,
  };
  out('# The Docker daemon stops mid-drill');
  out(`daemon: ${d.describe}`);
  out(`stopped in ${stoppedMs.toFixed(0)} ms; the drill ended ${(drillEndMs / 1000).toFixed(1)} s later with exit ${exitCode}`);
  out('its error lines:');
  for (const l of errorLines) out(`  ${l}`);
  out(`journal: ${journal ? journal.faults.map((f) => `${f.id} ${f.history.map((h) => h.state).join('>')}`).join('; ') : 'none'}${journal?.ended ? ' (ended)' : ''}`);
  out(`daemon back after ${(restartMs / 1000).toFixed(1)} s; labelled with the run before restore: ${beforeRestore.length ? beforeRestore.join(', ') : 'nothing'}`);
  out(`blackstart restore: exit ${restoreExit}`);
  for (const l of restore.output().trim().split('\n')) out(`  ${l}`);
  out(`left after restore: ${left.length ? left.join(', ') : 'nothing'}`);
  for (const [what, ok] of Object.entries(checks)) out(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  out(`BENCH_DAEMON_STOP_JSON ${JSON.stringify({ stoppedMs, drillEndMs, exitCode, restartMs, restoreExit, left, errorLines, checks })}`);
  if (!Object.values(checks).every(Boolean)) process.exitCode = 1;
}

/** Whatever happens, a daemon this bench stopped is started again. */
function cleanup(): void {
  if (!restartNeeded || dockerUp()) return;
  const d = restartNeeded;
  restartNeeded = undefined;
  void d.start();
}

runBench('bench:docker-daemon-stop', main, cleanup, 15 * 60_000);
