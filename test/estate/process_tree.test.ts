import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../services/estate/topology';
import { killProcesses, processState } from '../../services/runtime/process/records';
import { ProcessComponent } from '../../services/runtime/process/runtime';
import { COMPONENT_MARK, processTree } from '../../services/runtime/process/tree';

/**
 * A component's whole process tree is what a power cut kills and a freeze stops: a process that
 * calls setsid (as PostgreSQL's postmaster and backends do under Patroni) is outside its parent's
 * process group, so one pid or one group would miss it.
 */

// The component: a TCP server (its health check) that starts `setsid sleep` and writes the
// grandchild's pid; it ignores SIGTERM when asked to, as a slow-stopping etcd did.
const SCRIPT = `
const { spawn } = require('node:child_process');
const net = require('node:net');
const fs = require('node:fs');
const [port, pidFile, ignoreTerm] = process.argv.slice(1);
// A shell starts \`setsid sleep\` in the background: the sleep is a grandchild, in a session of its own.
spawn('sh', ['-c', 'setsid sleep 1000 & echo $! > "$0"; wait', pidFile], { stdio: 'ignore' });
const wait = () => {
  if (!fs.existsSync(pidFile) || !fs.readFileSync(pidFile, 'utf8').trim()) return setTimeout(wait, 10);
  net.createServer(() => {}).listen(Number(port), '127.0.0.1');
};
wait();
if (ignoreTerm === 'yes') process.on('SIGTERM', () => {});
`;

const alive = (pid: number) => {
  const s = processState(pid);
  return s !== undefined && s !== 'Z';
};

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a component is its whole process tree (process runtime)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'blackstart-tree-'));
  const script = join(dir, 'component.js');
  writeFileSync(script, SCRIPT);
  let n = 0;

  async function component(ignoreTerm = false, mark?: string): Promise<{ c: ProcessComponent; top: number; grandchild: number }> {
    const [port] = await freePorts('127.0.0.1', 1, [20000, 30000]);
    const pidFile = join(dir, `gc-${++n}`);
    const c = new ProcessComponent(
      `tree-${n}`,
      undefined,
      () => ({
        command: process.execPath,
        args: ['-e', SCRIPT, String(port), pidFile, ignoreTerm ? 'yes' : 'no'],
        env: mark ? { ...process.env, [COMPONENT_MARK]: mark } : undefined,
        health: { tcp: { host: '127.0.0.1', port } },
        graceMs: 500,
      }),
      join(dir, `tree-${n}.log`),
      () => {},
    );
    await c.start(10_000);
    await until(() => existsSync(pidFile));
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    const top = Number(c.id);
    // The grandchild is in a session of its own, yet in the component's tree.
    const session = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[3];
    expect(session(grandchild)).not.toBe(session(top));
    expect(processTree(top)).toContain(grandchild);
    return { c, top, grandchild };
  }

  it('freeze stops and thaw continues every process of the tree; a power cut kills them all', async () => {
    const { c, top, grandchild } = await component();
    expect(processTree(top)).toHaveLength(3);
    c.freeze();
    // A stop signal is delivered asynchronously: both stop, the grandchild in its own session too.
    await until(() => processState(top) === 'T' && processState(grandchild) === 'T');
    c.thaw();
    await until(() => processState(top) !== 'T' && processState(grandchild) !== 'T');
    c.kill();
    await until(() => !alive(top) && !alive(grandchild));
    expect(c.running).toBe(false);
  });

  it('terminate sends the stop signal to the top, then kills what is left of the tree after the grace', async () => {
    const { c, top, grandchild } = await component(true);
    const started = Date.now();
    await c.terminate();
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    await until(() => !alive(top) && !alive(grandchild));
  });

  it('blackstart down kills the recorded pid with its tree, and re-parented processes by their mark', async () => {
    const a = await component(false, 'estate-x/a');
    const b = await component(false, 'estate-x/b');
    // b's top dies alone: its grandchild is re-parented, out of any recorded tree, but carries the mark.
    process.kill(b.top, 'SIGKILL');
    await until(() => !alive(b.top));
    expect(alive(b.grandchild)).toBe(true);
    const killed = killProcesses({ id: 'estate-x', pids: { a: a.top, b: b.top } } as never);
    // a: its top with its tree; b's re-parented processes, found by their mark.
    const said = killed.join('; ');
    expect(said).toContain(`a (pid ${a.top} and `);
    expect(said).toMatch(new RegExp(`more process(es)? of the estate \\(pids .*\\b${b.grandchild}\\b`));
    await until(() => !alive(a.top) && !alive(a.grandchild) && !alive(b.grandchild));
  });
});
