import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEstate } from '../../services/runtime';
import { ConfigError, loadEstateConfig } from '../../services/estate/config';
import { isAlive } from '../../services/runtime';
import { CLI, runNode } from '../helpers/drill';
import { blockedPorts } from '../helpers/net';

jest.setTimeout(60_000);

const run = (args: string[], cwd: string) => runNode([CLI, ...args], cwd);

describe('blackstart up / status / down', () => {
  it('up --json serves, status sees it, Ctrl-C stops every process it started', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-cli-'));
    const up = run(['up', '--json'], cwd);
    const deadline = Date.now() + 40_000;
    while (!up.out().includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const info = JSON.parse(up.out().split('\n')[0]) as { endpoints: { services: Record<string, string> } };
    const ready = await fetch(`${info.endpoints.services.booking}/health/ready`);
    expect(ready.status).toBe(200);

    const status = run(['status', '--json'], cwd);
    expect(await status.exited).toBe(0);
    const [estate] = JSON.parse(status.out()) as { components: Record<string, boolean>; controller: { primary: string } }[];
    expect(Object.keys(estate.components)).toHaveLength(11);
    expect(Object.values(estate.components).every(Boolean)).toBe(true);
    expect(estate.controller.primary).toBe('dc1');

    const pids = JSON.parse(
      require('node:fs').readFileSync(join(require('node:fs').readdirSync(join(cwd, '.blackstart/estates')).map((d: string) => join(cwd, '.blackstart/estates', d))[0], 'estate.json'), 'utf8'),
    ).pids as Record<string, number>;
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
    expect(Object.values(pids).filter(isAlive)).toEqual([]);
    const after = run(['status'], cwd);
    await after.exited;
    expect(after.out()).toContain('no estate running');
  });

  it('down stops an estate whose harness was killed', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-cli-'));
    const up = run(['up', '--json'], cwd);
    const deadline = Date.now() + 40_000;
    while (!up.out().includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    up.child.kill('SIGKILL');
    await up.exited;
    const down = run(['down'], cwd);
    expect(await down.exited).toBe(0);
    expect(down.out()).toMatch(/stopped \(killed .*dc1-san/);
  });
});

describe('estate records', () => {
  it('a corrupt record: status and down name the file and the field', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'blackstart-cli-'));
    const dir = join(cwd, '.blackstart', 'estates', 'estate-x');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'estate.json');
    writeFileSync(file, JSON.stringify({ id: 'estate-x', runtime: 'process', dataDir: dir, startedAt: 'now', harnessPid: 1, pids: {} }));
    for (const command of ['status', 'down']) {
      const r = run([command], cwd);
      expect(await r.exited).toBe(2);
      expect(r.err()).toContain(`${file}: invalid estate record: endpoints: `);
    }
  });
});

describe('estate configuration and start-up errors', () => {
  it('a bad estate file names the file, the field and the reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'blackstart-cfg-'));
    const file = join(dir, 'estate.yaml');
    writeFileSync(file, 'replication:\n  mode: semi-sync\nfailover:\n  heartbeat: 100\n');
    expect(() => loadEstateConfig(file)).toThrow(ConfigError);
    try {
      loadEstateConfig(file);
    } catch (e) {
      const message = (e as Error).message;
      expect(message).toContain(file);
      expect(message).toMatch(/replication\.mode: .*"sync"/);
      expect(message).toMatch(/failover: Unrecognized key.*heartbeat/);
    }
  });

  it('a component that cannot start fails the estate with its log tail, and nothing is left running', async () => {
    // Hold the port the dc1 SAN would take (base + 3): its start-up fails with EADDRINUSE.
    const { base, release } = await blockedPorts(3);
    const stateRoot = mkdtempSync(join(tmpdir(), 'blackstart-estate-'));
    try {
      const error = await startEstate({ ports: { base } }, { stateRoot }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/dc1-san exited during start-up/);
      expect((error as Error).message).toMatch(/EADDRINUSE/);
      // Every other component was stopped: their ports are free again.
      for (const offset of [0, 1, 2]) {
        await new Promise<void>((resolveProbe, reject) => {
          const s = net.connect(base + offset, '127.0.0.1');
          s.once('connect', () => (s.destroy(), reject(new Error(`port ${base + offset} still served`))));
          s.once('error', () => resolveProbe());
        });
      }
    } finally {
      release();
    }
  });
});
