import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../services/estate/topology';
import { killTree } from '../../services/runtime/process/tree';

/**
 * PostgreSQL 15 and the Patroni stack for tests (Debian's packages: README "A real storage tier:
 * Patroni"). Where they are missing, the tests that need them skip with the reason in their name;
 * with CI=true a missing package fails instead (.ci/run installs them), as Docker does.
 */

export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const INSTALL = 'apt-get install -y --no-install-recommends postgresql-15 patroni etcd-server etcd-client python3-etcd haproxy';

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

function userExists(user: string): boolean {
  return spawnSync('id', ['-u', user]).status === 0;
}

/** What is missing for PostgreSQL tests: undefined when all is there. */
export function postgresMissing(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (!existsSync(join(PG_BIN, 'postgres')) || !existsSync(join(PG_BIN, 'initdb'))) return `no PostgreSQL 15 at ${PG_BIN} (${INSTALL})`;
  if (!userExists('postgres')) return 'no postgres user (the postgresql-15 package creates it)';
  if (process.getuid?.() !== 0) return 'not root: the test runs PostgreSQL as the postgres user';
  return undefined;
}

/** What is missing for the Patroni estate: undefined when all is there. */
export function patroniMissing(): string | undefined {
  const pg = postgresMissing();
  if (pg) return pg;
  const missing = ['patroni', 'etcd', 'haproxy', 'setpriv'].filter((c) => !which(c));
  return missing.length ? `missing ${missing.join(', ')} (${INSTALL})` : undefined;
}

/** `describe` that skips (reason in the name, and a warning) where `missing` says why, and fails under CI=true. */
export function describeNeeding(missing: string | undefined, name: string, fn: () => void): void {
  if (missing === undefined) return describe(name, fn);
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs its packages (CI=true: missing packages fail the run)', () => {
        throw new Error(`cannot run: ${missing}`);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": ${missing}`);
  describe.skip(`${name} [SKIPPED: ${missing}]`, fn);
}

export interface TestPostgres {
  port: number;
  url: string;
  /** Runs SQL as the superuser over the unix socket (psql). */
  psql(sql: string): string;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL on 127.0.0.1: initdb into a temp dir owned by postgres, started as
 * postgres (it refuses root), trust authentication on 127.0.0.1 only. stop() is bounded (SIGINT,
 * then SIGKILL after 5 s) and removes the directory.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'blackstart-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  chownSync(dir, uid, gid);
  chownSync(data, uid, gid);
  const asPostgres = { uid, gid, env: { ...process.env, LC_ALL: 'C.UTF-8' } };
  const init = spawnSync(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8'], { ...asPostgres, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const [port] = await freePorts('127.0.0.1', 1, [20000, 30000]);
  const child: ChildProcess = spawn(
    join(PG_BIN, 'postgres'),
    ['-D', data, '-c', `port=${port}`, '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off', '-c', 'max_wal_size=64MB'],
    { ...asPostgres, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const psql = (sql: string) => {
    const r = spawnSync(join(PG_BIN, 'psql'), ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-XAtqc', sql], { ...asPostgres, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
    return r.stdout.trim();
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = spawnSync(join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { encoding: 'utf8' });
    if (ready.status === 0) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`PostgreSQL did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    psql,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT'); // fast shutdown
        const timer = setTimeout(() => killTree(child.pid), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
