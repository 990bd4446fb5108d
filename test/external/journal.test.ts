import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { applyFault, revertFault } from '../../chaos/apply';
import { createFault, faultContext } from '../../chaos/faults';
import { Journal, readJournal } from '../../chaos/journal';
import { restoreAll } from '../../chaos/restore';
import { checkResidue } from '../../chaos/residue';
import { findEstateRecords, isAlive, killEstate } from '../../services/runtime';
import { externalEstate, TOKEN_VAR } from './helpers';

jest.setTimeout(60_000);

/**
 * A hooked fault and the rollback journal: the rollback hook is on disk before the inject runs,
 * as a template (no secret in it); every way out runs it; and after the harness is SIGKILLed,
 * `blackstart restore` runs it from the journal.
 */

const ROOT = resolve(__dirname, '..', '..');
const FIXTURE = join(__dirname, 'fixtures', 'external_harness.ts');
const SECRET = 'tok-3f9a-not-in-the-journal';

const hooksLog = (dir: string) => (existsSync(join(dir, 'hooks.log')) ? readFileSync(join(dir, 'hooks.log'), 'utf8').trim().split('\n') : []);

describe('hooked faults and the journal', () => {
  const env = process.env[TOKEN_VAR];
  beforeAll(() => void (process.env[TOKEN_VAR] = SECRET));
  afterAll(() => void (env === undefined ? delete process.env[TOKEN_VAR] : (process.env[TOKEN_VAR] = env)));

  it('the rollback hook is journaled (a template, no secret) before the inject runs; revert runs it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blackstart-ext-journal-'));
    const path = join(dir, 'journal.jsonl');
    const estate = await externalEstate(dir, path);
    try {
      expect(estate.runtime).toBe('external');
      expect(estate.components.map((c) => c.name)).toEqual(['proxy']);
      const ctx = faultContext(estate);
      const journal = Journal.open({ runId: 'ext', path, root: dir });
      const fault = createFault('blackout', { kind: 'power_cut', spec: { site: 'dc1' } });
      expect(fault.revertPlan(ctx)).toEqual([
        expect.objectContaining({ type: 'hook', fault: 'power_cut', source: 'estate.external.hooks.power_cut.rollback', vars: expect.objectContaining({ site: 'dc1', fault: 'blackout', dir }), allowed_hosts: ['127.0.0.1'] }),
      ]);
      await applyFault(journal, fault, ctx);
      // What the journal held when the inject ran: the fault with its rollback hook.
      const atInject = readFileSync(join(dir, 'journal-at-inject'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(atInject.map((l) => l.type)).toEqual(['journal', 'fault']);
      expect(atInject[1].revertPlan[0]).toMatchObject({ type: 'hook', hook: { command: { env: { TOKEN: `\${env:${TOKEN_VAR}}` } } } });
      await revertFault(journal, fault, ctx);
      journal.close();
      expect(hooksLog(dir)).toEqual(['inject power_cut dc1', `rollback power_cut dc1 token=${SECRET}`]);
      expect(readJournal(path).faults.map((f) => f.state)).toEqual(['reverted']);
      expect(readFileSync(path, 'utf8')).not.toContain(SECRET);
      // The system is not blackstart's to check; its own proxy is clean.
      expect(await checkResidue(ctx)).toEqual([]);
    } finally {
      await estate.stop();
    }
  });

  it('a power flap runs the power_cut hooks at each cut and restore', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blackstart-ext-flap-'));
    const path = join(dir, 'journal.jsonl');
    const estate = await externalEstate(dir, path);
    try {
      const ctx = faultContext(estate);
      const journal = Journal.open({ runId: 'ext-flap', path, root: dir });
      const flap = createFault('flap', { kind: 'power_flap', spec: { site: 'dc2', times: 2, every: 400 } });
      expect(flap.revertPlan(ctx).map((s) => s.type)).toEqual(['hook']);
      await applyFault(journal, flap, ctx);
      await revertFault(journal, flap, ctx);
      journal.close();
      const rollback = `rollback power_cut dc2 token=${SECRET}`;
      // Two cycles, then the revert's own rollback (idempotent: the site is already back).
      expect(hooksLog(dir)).toEqual(['inject power_cut dc2', rollback, 'inject power_cut dc2', rollback, rollback]);
    } finally {
      await estate.stop();
    }
  });

  it('an inject that fails still leaves its rollback to run (a failed apply is reverted)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blackstart-ext-failed-'));
    const estate = await externalEstate(dir, join(dir, 'no-journal-yet'));
    try {
      const ctx = faultContext(estate);
      const journal = Journal.open({ runId: 'ext-failed', path: join(dir, 'journal.jsonl'), root: dir });
      // The inject copies a journal that does not exist: `cp` fails, the hook exits 1.
      const fault = createFault('blackout', { kind: 'power_cut', spec: { site: 'dc2' } });
      await expect(applyFault(journal, fault, ctx)).rejects.toThrow(/estate.external.hooks.power_cut.inject: sh exited 1 \(expected 0\): cp: .*no-journal-yet/);
      await revertFault(journal, fault, ctx);
      journal.close();
      expect(hooksLog(dir)).toEqual([`rollback power_cut dc2 token=${SECRET}`]);
      expect(readJournal(join(dir, 'journal.jsonl')).faults.map((f) => f.history.map((h) => h.state))).toEqual([['applying', 'apply-failed', 'reverted']]);
    } finally {
      await estate.stop();
    }
  });
});

describe('restore after the harness is SIGKILLed runs the rollback hooks', () => {
  const cwds: string[] = [];
  afterAll(async () => {
    for (const cwd of cwds) for (const r of findEstateRecords(join(cwd, '.blackstart', 'estates'))) await killEstate(r);
  });

  async function killedHarness(cwd: string): Promise<{ journal: string; proxyPid: number }> {
    mkdirSync(join(cwd, 'run'), { recursive: true });
    const child: ChildProcess = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), FIXTURE], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), [TOKEN_VAR]: SECRET },
    });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const ready = await new Promise<{ journal: string; proxyPid: number }>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no READY within 40 s: ${stderr}`)), 40_000);
      child.stdout!.on('data', (d) => {
        stdout += d;
        const line = stdout.split('\n').find((l) => l.startsWith('READY '));
        if (line) {
          clearTimeout(timer);
          ok(JSON.parse(line.slice(6)));
        }
      });
      child.once('exit', (code) => fail(new Error(`fixture exited ${code}: ${stderr}`)));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    return ready;
  }

  it('`blackstart restore`: without the secret in its environment the hook is refused (nothing runs); with it, every rollback runs, latest first, and the proxy is stopped', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-ext-restore-'));
    cwds.push(cwd);
    const ready = await killedHarness(cwd);
    expect(hooksLog(cwd)).toEqual(['inject power_cut dc1', `inject storage_cut dc2-hang token=${SECRET}`]);
    expect(readJournal(ready.journal).faults.map((f) => [f.id, f.state])).toEqual([
      ['blackout', 'applied'],
      ['san-hang', 'applied'],
    ]);
    expect(readFileSync(ready.journal, 'utf8')).not.toContain(SECRET);
    expect(isAlive(ready.proxyPid)).toBe(true);

    const env = { ...process.env };
    delete env[TOKEN_VAR];
    const noSecret = spawnCli(['restore'], cwd, env);
    expect(await noSecret.exited).toBe(1);
    expect(noSecret.output()).toContain(`REVERT FAILED: san-hang`);
    expect(noSecret.output()).toMatch(
      new RegExp(`FAILED: run estate.external.hooks.storage_cut.rollback: .*: estate.external.hooks.storage_cut.rollback.command.env.TOKEN: environment variable ${TOKEN_VAR} is not set`),
    );
    expect(hooksLog(cwd)).toHaveLength(2);
    // The orphaned proxy is stopped all the same; the hooks are still owed.
    expect(noSecret.output()).toMatch(/estate estate-\S+: stopped \(killed proxy \(pid \d+\)\)\n0 faults reverted, 1 estate stopped; 2 reverts failed/);

    const restore = spawnCli(['restore'], cwd, { ...env, [TOKEN_VAR]: SECRET });
    expect(await restore.exited).toBe(0);
    const out = restore.output();
    expect(out).toMatch(/reverted: san-hang .*\n {4}done: ran estate.external.hooks.storage_cut.rollback \(.*TOKEN=\$\{env:BLACKSTART_TEST_TOKEN\}.*\): exit 0/);
    expect(out).toMatch(/reverted: blackout .*\n {4}done: ran estate.external.hooks.power_cut.rollback/);
    expect(out).not.toContain(SECRET);
    expect(hooksLog(cwd).slice(2)).toEqual([`rollback storage_cut dc2-hang token=${SECRET}`, `rollback power_cut dc1 token=${SECRET}`]);
    await waitFor(() => !isAlive(ready.proxyPid), 5000);
    expect(isAlive(ready.proxyPid)).toBe(false);
    const after = readJournal(ready.journal);
    expect([after.faults.map((f) => f.state), after.ended]).toEqual([['reverted', 'reverted'], true]);
    expect(await restoreAll({ root: cwd })).toMatchObject({ journals: [], ok: true });
  });
});

/** The CLI with exactly this environment (test/helpers/drill runCli adds to the test's own: it could not leave a variable out). */
function spawnCli(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'blackstart.js'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return { exited: new Promise<number | null>((r) => child.on('exit', r)), output: () => output };
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
