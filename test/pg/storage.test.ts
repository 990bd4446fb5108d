import { Client } from 'pg';
import { PgStorage } from '../../services/pg/storage';
import { StorageUnavailable, VersionConflict } from '../../services/san/storage';
import { testNhsNumber } from '../../services/common/nhs_number';
import { freePorts } from '../../services/estate/topology';
import { describeNeeding, postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres';
import { startApp } from '../services/helpers';

jest.setTimeout(60_000);

/**
 * The apps' Storage on a real PostgreSQL 15 (services/pg/storage.ts): the SAN's semantics (versions,
 * compare-and-set, idempotency keys, atomic commits) and its errors (unreachable, read-only).
 */
describeNeeding(postgresMissing(), 'PgStorage on PostgreSQL 15', () => {
  let pg: TestPostgres;
  let storage: PgStorage;
  beforeAll(async () => {
    pg = await startPostgres();
    storage = new PgStorage({ url: pg.url, site: 'dc1', timeoutMs: 3000 });
  });
  afterAll(async () => {
    await storage?.close();
    await pg?.stop();
  });

  it('commits versioned records atomically, compare-and-set, and replays a key without writing twice', async () => {
    const first = await storage.commit({
      writes: [
        { table: 't', id: 'a', doc: { n: 1, kind: 'x' }, expectVersion: 0 },
        { table: 't', id: 'b', doc: { n: 2, kind: 'y' }, expectVersion: 0 },
      ],
      idempotencyKey: 'k1',
      response: { status: 201, body: 'first' },
    });
    expect(first).toMatchObject({ versions: [1, 1], replayed: false });
    expect(first.seq).toBeGreaterThan(0);
    expect(await storage.get('t', 'a')).toEqual({ table: 't', id: 'a', version: 1, doc: { n: 1, kind: 'x' } });
    expect((await storage.list('t')).map((r) => r.id)).toEqual(['a', 'b']);
    expect((await storage.list('t', { field: 'kind', equals: 'y' })).map((r) => r.id)).toEqual(['b']);
    expect(await storage.list('t', { field: 'n', equals: 1 })).toHaveLength(1);

    // The same key again: nothing written, the first answer and sequence number.
    const again = await storage.commit({ writes: [{ table: 't', id: 'a', doc: { n: 99 }, expectVersion: 1 }], idempotencyKey: 'k1', response: 'second' });
    expect(again).toEqual({ seq: first.seq, versions: [1, 1], replayed: true, response: { status: 201, body: 'first' } });
    expect((await storage.get('t', 'a'))!.version).toBe(1);
    expect(await storage.lookupIdempotencyKey('k1')).toEqual(again);
    expect(await storage.lookupIdempotencyKey('nope')).toBeUndefined();

    // A stale version is refused, and the commit applies nothing (atomic).
    await expect(
      storage.commit({
        writes: [
          { table: 't', id: 'c', doc: {}, expectVersion: 0 },
          { table: 't', id: 'a', doc: {}, expectVersion: 0 },
        ],
        idempotencyKey: 'k2',
      }),
    ).rejects.toEqual(new VersionConflict('t', 'a', 0, 1));
    expect(await storage.get('t', 'c')).toBeUndefined();
    expect(await storage.lookupIdempotencyKey('k2')).toBeUndefined();
    const next = await storage.commit({ writes: [{ table: 't', id: 'a', doc: { n: 3 }, expectVersion: 1 }], idempotencyKey: 'k3' });
    expect(next.versions).toEqual([2]);
    expect(next.seq).toBeGreaterThan(first.seq);
    expect(await storage.status()).toMatchObject({ role: 'primary', site: 'dc1', seq: next.seq, epoch: 1 });
    // No nodes given: a commit does not say which site took it (the app's own is reported).
    expect(next.site).toBeUndefined();
  });

  it('says which site’s node took a commit, by the port the server listens on (behind HAProxy, either site’s)', async () => {
    const s = new PgStorage({ url: pg.url, timeoutMs: 3000, nodes: { dc1: pg.port + 1, dc2: pg.port } });
    try {
      const r = await s.commit({ writes: [{ table: 't', id: 'where', doc: {}, expectVersion: 0 }], idempotencyKey: 'where-1' });
      expect(r.site).toBe('dc2');
    } finally {
      await s.close();
    }
  });

  it('lets exactly one of many concurrent compare-and-set writes to one record through', async () => {
    const writers = Array.from({ length: 8 }, (_, i) => storage.commit({ writes: [{ table: 'race', id: 'r', doc: { i }, expectVersion: 0 }], idempotencyKey: `race-${i}` }));
    const settled = await Promise.allSettled(writers);
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    expect(settled.filter((s) => s.status === 'rejected').every((s) => (s as PromiseRejectedResult).reason instanceof VersionConflict)).toBe(true);
    // Concurrent retries of one key: one commit, the others replay it.
    const same = await Promise.all(Array.from({ length: 5 }, () => storage.commit({ writes: [{ table: 'race', id: 'k' }].map((w) => ({ ...w, doc: {} })), idempotencyKey: 'same' })));
    expect(same.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(same.map((r) => r.seq)).size).toBe(1);
    expect((await storage.get('race', 'k'))!.version).toBe(1);
  });

  it('a read-only server (what a demoted primary is) refuses with a retryable, certain failure; so does one that cannot be reached', async () => {
    const ro = new PgStorage({ url: `${pg.url}?options=-c%20default_transaction_read_only%3Don`, timeoutMs: 2000 });
    try {
      expect((await ro.status()).role).toBe('replica');
      const err = await ro.commit({ writes: [{ table: 't', id: 'ro', doc: {}, expectVersion: 0 }], idempotencyKey: 'ro-1' }).catch((e) => e);
      expect(err).toBeInstanceOf(StorageUnavailable);
      expect(err.message).toMatch(/read-only transaction/);
      expect(err.indeterminate).toBe(false);
    } finally {
      await ro.close();
    }
    const [port] = await freePorts('127.0.0.1', 1, [20000, 30000]);
    const gone = new PgStorage({ url: `postgres://postgres@127.0.0.1:${port}/postgres`, timeoutMs: 1000 });
    try {
      const err = await gone.commit({ writes: [{ table: 't', id: 'x', doc: {} }] }).catch((e) => e);
      expect(err).toBeInstanceOf(StorageUnavailable);
      expect(err.indeterminate).toBe(false);
      await expect(gone.status()).rejects.toBeInstanceOf(StorageUnavailable);
    } finally {
      await gone.close();
    }
  });

  it('a connection lost after the commit wrote is indeterminate', async () => {
    const s = new PgStorage({ url: pg.url, timeoutMs: 5000 });
    const other = new Client({ connectionString: pg.url });
    await other.connect();
    try {
      await s.get('t', 'a'); // the schema exists
      // Another session holds the key uncommitted: our commit writes its record, then waits on the key's index entry.
      await other.query('BEGIN');
      await other.query(`INSERT INTO idempotency (key, seq, versions) VALUES ('lost-1', 0, '{}')`);
      const commit = s.commit({ writes: [{ table: 't', id: 'lost', doc: {}, expectVersion: 0 }], idempotencyKey: 'lost-1' }).catch((e) => e);
      for (let i = 0; i < 50; i++) {
        const waiting = await other.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'blackstart-app' AND wait_event_type = 'Lock'`);
        if (waiting.rows.length > 0) {
          await other.query('SELECT pg_terminate_backend($1)', [waiting.rows[0].pid]);
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const err = await commit;
      expect(err).toBeInstanceOf(StorageUnavailable);
      expect(err.indeterminate).toBe(true);
      await other.query('ROLLBACK');
      // It had not committed: the record is not there.
      expect(await storage.get('t', 'lost')).toBeUndefined();
    } finally {
      await other.end();
      await s.close();
    }
  });

  it('serves an app (PAS) on PostgreSQL: a registration, its replay, and readiness', async () => {
    const app = await startApp('pas', storage);
    try {
      const nhs = testNhsNumber(7);
      const body = { nhsNumber: nhs, name: { family: 'Jones', given: ['Ann'] }, birthDate: '1960-03-01', gender: 'female' };
      const res = await app.post('/Patient', body, 'pas-1');
      expect(res.status).toBe(201);
      const seq = res.headers.get('x-blackstart-seq');
      const replay = await app.post('/Patient', body, 'pas-1');
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.headers.get('x-blackstart-seq')).toBe(seq);
      expect((await app.get(`/Patient/${nhs}`)).body).toEqual(res.body);
      expect((await app.get('/health/ready')).status).toBe(200);
      expect((await app.get('/_ledger/pas-1')).body).toMatchObject({ key: 'pas-1', seq: Number(seq) });
    } finally {
      await app.close();
    }
  });
});
