import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findLeftovers, LABELS, removeLeftovers } from '../../services/runtime/docker/cleanup';
import { blockedPorts } from '../helpers/net';
import { CLI, runCli, runNode } from '../helpers/drill';
import { describeDocker, EMPTY, ensureImages, labelled, labelledByCli, startDockerTestEstate } from '../helpers/docker';
import { sideBySide } from '../helpers/side_by_side';

jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '..', '..');

const run = (args: string[], cwd: string) => runNode(args, cwd, { TESTCONTAINERS_RYUK_DISABLED: 'true' });

async function firstLine(p: ReturnType<typeof run>, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void p.exited.then(() => (exited = true));
  while (!p.out().includes('\n')) {
    if (exited || Date.now() > deadline) throw new Error(`no output (exited: ${exited}):\n${p.err()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return p.out().split('\n')[0];
}

describeDocker('docker runtime: nothing left behind', () => {
  beforeAll(() => ensureImages());

  async function failedStart(): Promise<void> {
    // Hold the port the dc1 SAN's admin would be published on (base + 5): its container cannot start.
    const { base, release } = await blockedPorts(5);
    const stateRoot = mkdtempSync(join(tmpdir(), 'blackstart-docker-'));
    try {
      const error = await startDockerTestEstate({ ports: { base } }, stateRoot).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/dc1-san did not start: .*(address already in use|port is already allocated)/s);
      expect(await labelled({ root: stateRoot })).toEqual(EMPTY);
    } finally {
      release();
    }
  }

  async function exitWithoutStop(): Promise<void> {
    const stateRoot = mkdtempSync(join(tmpdir(), 'blackstart-docker-'));
    const script = `
      const { startEstate } = require(${JSON.stringify(join(ROOT, 'dist', 'services', 'runtime'))});
      startEstate({ runtime: 'docker' }, { stateRoot: ${JSON.stringify(stateRoot)}, readyTimeoutMs: 60000 }).then((e) => {
        process.stdout.write(JSON.stringify({ id: e.id }) + '\\n');
        process.exit(3);
      }, (e) => { console.error(e); process.exit(1); });`;
    const child = run(['-e', script], stateRoot);
    const { id } = JSON.parse(await firstLine(child, 90_000)) as { id: string };
    expect(await child.exited).toBe(3);
    expect(child.err()).toContain(`estate ${id} was still running at exit: removed`);
    expect(labelledByCli(`${LABELS.estate}=${id}`)).toEqual(EMPTY);
    expect(await labelled({ root: stateRoot })).toEqual(EMPTY);
  }

  async function downAfterKill(): Promise<void> {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-cli-'));
    const up = run([CLI, 'up', '--runtime', 'docker', '--json'], cwd);
    try {
      const info = JSON.parse(await firstLine(up, 90_000)) as { id: string; runtime: string; endpoints: { services: Record<string, string> } };
      expect(info.runtime).toBe('docker');
      expect((await fetch(`${info.endpoints.services.booking}/health/ready`)).status).toBe(200);

      const status = run([CLI, 'status', '--json'], cwd);
      expect(await status.exited).toBe(0);
      const [described] = JSON.parse(status.out()) as { runtime: string; components: Record<string, boolean>; controller: { primary: string } }[];
      expect(described.runtime).toBe('docker');
      expect(described.controller.primary).toBe('dc1');
      expect(Object.values(described.components)).toEqual(Array(11).fill(true));

      up.child.kill('SIGKILL');
      await up.exited;
      const label = `${LABELS.estate}=${info.id}`;
      // SIGKILL: no exit handler ran, the estate is still there.
      expect(labelledByCli(label).containers).toHaveLength(11);

      const down = run([CLI, 'down'], cwd);
      expect(await down.exited).toBe(0);
      expect(down.out()).toMatch(new RegExp(`${info.id}: stopped \\(removed 11 containers, 2 volumes, 1 networks\\)`));
      expect(labelledByCli(label)).toEqual(EMPTY);
      expect(await labelled({ estate: info.id })).toEqual(EMPTY);
      const again = run([CLI, 'down'], cwd);
      await again.exited;
      expect(again.out()).toContain('no estate running');
    } finally {
      up.child.kill('SIGKILL');
      // Whatever failed above: nothing of this directory's estates stays.
      await run([CLI, 'down'], cwd).exited;
    }
  }

  async function restoreAfterKill(): Promise<void> {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-docker-restore-'));
    writeFileSync(
      join(cwd, 'held.yaml'),
      [
        'name: held-power-cut',
        'seed: 3',
        'estate:',
        '  runtime: docker',
        '  failover: { heartbeat_ms: 200, detect_after: 5, promotion_delay_ms: 300, hold_down_ms: 600000 }',
        'load: { rate: 10/s, duration: 60s, warmup: 1s, timeout: 2s }',
        'faults:',
        '  - { name: frozen, at: 1500ms, freeze: { component: dc2-theatre }, duration: 50s }',
        '  - { name: cut, at: 2s, power_cut: { site: dc1 }, restore_after: 50s }',
        'gates:',
        '  - { metric: lost_writes, max: 0 }',
        '',
      ].join('\n'),
    );
    const out = join(cwd, 'out');
    const drill = runCli(['drill', 'held.yaml', '--out', out], cwd, { TESTCONTAINERS_RYUK_DISABLED: 'true' });
    const root = join(out, 'estate');
    try {
      await drill.waitFor(/apply power cut at dc1/, 120_000);
      drill.child.kill('SIGKILL');
      await drill.exited;
      // The orphaned estate: its containers (dc1's killed), volumes and network are still there.
      const left = await labelled({ root });
      expect([left.containers.length, left.volumes.length, left.networks.length]).toEqual([11, 2, 1]);
      const theatre = (await findLeftovers({ root })).containers.find((c) => c.name.endsWith('-dc2-theatre'))!;
      expect(theatre.state).toBe('paused');
      const restore = runCli(['restore'], cwd);
      expect(await restore.exited).toBe(0);
      // The freeze is undone from its journaled step (unpause), then the orphaned estate is stopped.
      expect(restore.output()).toMatch(/reverted: 0-frozen freeze dc2-theatre\n {4}done: unpaused dc2-theatre/);
      expect(restore.output()).toMatch(/stopped estate estate-\S+ \(killed .*blackstart-estate-\S+-proxy, .*network blackstart-estate-/);
      expect(await labelled({ root })).toEqual(EMPTY);
    } finally {
      drill.child.kill('SIGKILL');
      await removeLeftovers({ root });
    }
  }

  // Two at a time, each with its own state root or directory (the suite's time: each starts an
  // estate of 11 containers, most of a case's time).
  const pairs = [sideBySide([failedStart, exitWithoutStop]), sideBySide([downAfterKill, restoreAfterKill])];
  it('a start that fails removes what it had started', () => pairs[0](0));
  it('a harness that exits without stopping its estate removes it on the way out', () => pairs[0](1));
  it('blackstart down removes what a SIGKILLed `blackstart up --runtime docker` left', () => pairs[1](0));
  it('blackstart restore removes the docker estate of a SIGKILLed drill', () => pairs[1](1));
});
