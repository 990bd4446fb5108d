import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readJournal } from '../../chaos/journal';
import { restoreAll } from '../../chaos/restore';
import { findEstateRecords, killEstate } from '../../services/runtime';
import { isDead, isPaused, proxyResidue } from './helpers';

jest.setTimeout(90_000);

const ROOT = resolve(__dirname, '..', '..');
const FIXTURE = join(__dirname, 'fixtures', 'killed_harness.ts');
const CLI = join(ROOT, 'bin', 'blackstart.js');

interface Ready {
  journal: string;
  proxyApi: string;
  dataDir: string;
  pids: Record<string, number>;
}

/** Runs the fixture harness in `cwd` until it prints READY; the caller SIGKILLs it. */
async function harnessWithFaults(cwd: string, ...args: string[]): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), FIXTURE, 'killed-run', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const ready = await new Promise<Ready>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`no READY within 60 s; stderr: ${stderr}`)), 60_000);
    child.stdout!.on('data', (d) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.startsWith('READY '));
      if (line) {
        clearTimeout(timer);
        resolveReady(JSON.parse(line.slice('READY '.length)) as Ready);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fixture exited (${code}) before READY; stderr: ${stderr}`));
    });
  });
  return { child, ready };
}

async function sigkill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Whatever a failed test left: the estate the fixture started in `cwd`. */
async function cleanUp(cwd: string): Promise<void> {
  for (const record of findEstateRecords(join(cwd, '.blackstart', 'estates'))) await killEstate(record);
}

describe('journal and restore after the harness is SIGKILLed', () => {
  const cwds: string[] = [];
  afterAll(() => Promise.all(cwds.map(cleanUp)));

  it('restoreAll removes the toxic, enables the proxy, thaws the process, then stops the orphaned estate', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-restore-'));
    cwds.push(cwd);
    const { child, ready } = await harnessWithFaults(cwd);
    await sigkill(child);

    // What the dead harness left behind.
    expect((await proxyResidue(ready.proxyApi)).sort()).toEqual(['dc2-san disabled', 'frontdoor: blackstart-latency']);
    expect(isPaused(ready.pids['dc2-theatre'])).toBe(true);
    expect(readJournal(ready.journal).faults.map((f) => [f.id, f.state])).toEqual([
      ['latency', 'applied'],
      ['refuse', 'applied'],
      ['frozen', 'applied'],
    ]);

    // First without stopping the estate, to see each revert on the live estate.
    const first = await restoreAll({ root: cwd, stopEstates: false });
    expect(first).toMatchObject({ undone: 3, failed: 0, left: 0, ok: true });
    expect(first.journals[0].faults.map((f) => [f.id, f.after, f.steps.map((s) => s.outcome)])).toEqual([
      ['frozen', 'reverted', ['done']],
      ['refuse', 'reverted', ['done']],
      ['latency', 'reverted', ['done']],
    ]);
    expect(await proxyResidue(ready.proxyApi)).toEqual([]);
    expect(isPaused(ready.pids['dc2-theatre'])).toBe(false);
    expect(readJournal(ready.journal).faults.every((f) => f.state === 'reverted')).toBe(true);

    // The harness is dead and never ended its journal: the next restore stops its estate.
    const second = await restoreAll({ root: cwd });
    expect(second).toMatchObject({ undone: 0, failed: 0, left: 0, estatesStopped: 1, ok: true });
    await waitFor(() => Object.values(ready.pids).every(isDead), 5000);
    expect(Object.entries(ready.pids).filter(([, pid]) => !isDead(pid))).toEqual([]);
    expect(readJournal(ready.journal).ended).toBe(true);

    // Nothing left: a third restore finds nothing to do.
    expect(await restoreAll({ root: cwd })).toMatchObject({ journals: [], ok: true });
  });

  it('`blackstart restore` in the directory undoes it all (a power cut too: it stops the estate), prints what it undid, exits 0', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-restore-cli-'));
    cwds.push(cwd);
    const { child, ready } = await harnessWithFaults(cwd, '--power-cut');
    await sigkill(child);
    expect(isPaused(ready.pids['dc2-theatre'])).toBe(true);
    expect(isDead(ready.pids['dc1-san'])).toBe(true);

    const cli = spawn(process.execPath, [CLI, 'restore'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    cli.stdout!.on('data', (d) => (out += d));
    cli.stderr!.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => cli.once('exit', r));
    expect({ code, err }).toEqual({ code: 0, err: '' });
    // The dark links first (eight toxics, the estate still runs), then the estate stopped.
    expect(out).toMatch(/reverted: blackout power cut at dc1\n( {4}done: removed toxic blackstart-blackout-dark-(up|down)stream from dc1-(pas|booking|theatre|san)\n){8} {4}done: stopped estate estate-\S+ \(killed .*dc2-san/);
    expect(out).toMatch(/reverted: latency network latency .*\n {4}done: removed toxic blackstart-latency from frontdoor/);
    expect(out).toMatch(/reverted: refuse storage refuse at dc2.*\n {4}done: enabled proxy dc2-san/);
    expect(out).toMatch(/reverted: frozen freeze dc2-theatre\n {4}done: thawed dc2-theatre/);
    expect(out).toMatch(/4 faults reverted, 1 estate stopped; nothing left applied/);
    await waitFor(() => Object.values(ready.pids).every(isDead), 5000);
    expect(Object.entries(ready.pids).filter(([, pid]) => !isDead(pid))).toEqual([]);
    expect(findEstateRecords(join(cwd, '.blackstart', 'estates'))).toEqual([]);
  });
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
