import { Pool, type PoolClient } from 'pg';
import { StorageUnavailable, VersionConflict, type CommitRequest, type CommitResult, type SanStatus, type Storage, type StoredRecord } from '../san/storage';

/**
 * The apps' Storage on PostgreSQL (node-postgres), for estates whose data tier is real software:
 * PostgreSQL streaming replication under Patroni, reached through HAProxy (estates/
 * regional-patroni.yaml). The same semantics as the SAN: versioned documents in tables, a commit is
 * one transaction, compare-and-set on versions, idempotent by key with the first answer kept.
 *
 *   records(tbl, id, version, doc jsonb)        the documents
 *   idempotency(key, seq, versions, response)   one row per committed key, in the same transaction
 *   commit_seq                                  the commits' sequence numbers (x-blackstart-seq)
 *
 * Errors are the SAN client's: a connection that cannot be made, a server that is not (or no
 * longer) the primary ("cannot execute INSERT in a read-only transaction" is what a demoted or
 * recovering node says), a statement that times out: StorageUnavailable, retryable. A commit is
 * indeterminate when the connection was lost or timed out once the transaction had written
 * anything (its COMMIT may have been applied); a refusal before that is a certain failure.
 */

export interface PgStorageOptions {
  /** postgres://user:password@host:port/database (one host: node-postgres takes no multi-host strings; use HAProxy). */
  url: string;
  /** Every connect and statement is bounded by this (ms). Default 2000. */
  timeoutMs?: number;
  /** Reported as the SanStatus site. */
  site?: string;
  /** Pool size. Default 8. */
  max?: number;
  /**
   * Each site's PostgreSQL port (as the server itself sees it: inet_server_port()): a commit then
   * says which site's node took it (CommitResult.site), whichever node HAProxy sent it to, so the
   * split-brain check can tell a write the old primary acknowledged from one of the new.
   */
  nodes?: Record<string, number>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  tbl text NOT NULL,
  id text COLLATE "C" NOT NULL,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tbl, id)
);
CREATE TABLE IF NOT EXISTS idempotency (
  key text PRIMARY KEY,
  seq bigint NOT NULL,
  versions integer[] NOT NULL,
  response jsonb
);
CREATE SEQUENCE IF NOT EXISTS commit_seq;
`;

// SQLSTATEs that say "not here, not now": a read-only (standby or demoted) node, a server shutting
// down or starting, connection failures, a cancelled statement, a serialization failure or deadlock.
const UNAVAILABLE = /^(25006|57P0[1-4]|08...|53...|57014|40001|40P01|55P03|58...)$/;

type Phase = 'connect' | 'read' | 'write';

export class PgStorage implements Storage {
  private readonly pool: Pool;
  private readonly timeoutMs: number;
  private schema: Promise<void> | undefined;

  constructor(private readonly options: PgStorageOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.pool = new Pool({
      connectionString: options.url,
      max: options.max ?? 8,
      connectionTimeoutMillis: this.timeoutMs,
      // A client-side bound on every query, so a hung primary cannot hang the app. Not the server's
      // statement_timeout: a COMMIT cancelled while it waits for the synchronous standby is
      // committed locally and reported as a success (with a WARNING), which would acknowledge a
      // write the standby never had. Given up on the client side, it is indeterminate, as it is.
      query_timeout: this.timeoutMs,
      idleTimeoutMillis: 10_000,
      keepAlive: true,
      application_name: `blackstart-${options.site ?? 'app'}`,
    });
    // An idle client's connection dropped (a failover): the pool discards it; nothing to do.
    this.pool.on('error', () => {});
  }

  async status(): Promise<SanStatus> {
    const rows = await this.run('read', async (c) => {
      const r = await c.query<{ recovery: boolean; ro: string; timeline: number }>(
        `SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS ro, (SELECT timeline_id FROM pg_control_checkpoint()) AS timeline`,
      );
      return r.rows[0];
    });
    const role = rows.recovery || rows.ro === 'on' ? 'replica' : 'primary';
    const seq = role === 'primary' ? await this.lastSeq() : 0;
    // The timeline rises at each promotion: the epoch of the SAN's model.
    return { role, epoch: rows.timeline, site: this.options.site ?? '', seq };
  }

  private async lastSeq(): Promise<number> {
    await this.ensureSchema();
    return this.run('read', async (c) => Number((await c.query<{ s: string }>('SELECT last_value AS s FROM commit_seq')).rows[0].s));
  }

  async get<T>(table: string, id: string): Promise<StoredRecord<T> | undefined> {
    await this.ensureSchema();
    const r = await this.run('read', (c) => c.query<{ version: number; doc: T }>('SELECT version, doc FROM records WHERE tbl = $1 AND id = $2', [table, id]));
    return r.rows[0] ? { table, id, version: r.rows[0].version, doc: r.rows[0].doc } : undefined;
  }

  async list<T>(table: string, where?: { field: string; equals: string | number | boolean }): Promise<StoredRecord<T>[]> {
    await this.ensureSchema();
    const r = await this.run('read', (c) =>
      where
        ? c.query<{ id: string; version: number; doc: T }>('SELECT id, version, doc FROM records WHERE tbl = $1 AND doc -> $2 = $3::jsonb ORDER BY id', [
            table,
            where.field,
            JSON.stringify(where.equals),
          ])
        : c.query<{ id: string; version: number; doc: T }>('SELECT id, version, doc FROM records WHERE tbl = $1 ORDER BY id', [table]),
    );
    return r.rows.map((row) => ({ table, id: row.id, version: row.version, doc: row.doc }));
  }

  async lookupIdempotencyKey(key: string): Promise<CommitResult | undefined> {
    await this.ensureSchema();
    const r = await this.run('read', (c) => c.query('SELECT seq, versions, response FROM idempotency WHERE key = $1', [key]));
    return r.rows[0] ? replayOf(r.rows[0]) : undefined;
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    await this.ensureSchema();
    return this.run('write', async (c, wrote) => {
      await c.query('BEGIN');
      try {
        if (request.idempotencyKey) {
          // One commit per key at a time: a concurrent retry waits here, then finds the first.
          await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [request.idempotencyKey]);
          const prior = await c.query('SELECT seq, versions, response FROM idempotency WHERE key = $1', [request.idempotencyKey]);
          if (prior.rows[0]) {
            await c.query('ROLLBACK');
            return replayOf(prior.rows[0]);
          }
        }
        // Lock the records in one order (no deadlock between two commits), then compare.
        const sorted = [...request.writes].sort((a, b) => (a.table + '\0' + a.id < b.table + '\0' + b.id ? -1 : 1));
        const current = new Map<string, number>();
        for (const w of sorted) {
          const r = await c.query<{ version: number }>('SELECT version FROM records WHERE tbl = $1 AND id = $2 FOR UPDATE', [w.table, w.id]);
          current.set(`${w.table}\0${w.id}`, r.rows[0]?.version ?? 0);
        }
        for (const w of request.writes) {
          const actual = current.get(`${w.table}\0${w.id}`)!;
          if (w.expectVersion !== undefined && actual !== w.expectVersion) throw new VersionConflict(w.table, w.id, w.expectVersion, actual);
        }
        wrote();
        const versions: number[] = [];
        for (const w of request.writes) {
          // A record another commit creates meanwhile (no row to lock yet) makes the insert conflict: a lost compare-and-set.
          const r = await c.query<{ version: number }>(
            `INSERT INTO records (tbl, id, version, doc) VALUES ($1, $2, 1, $3::jsonb)
             ON CONFLICT (tbl, id) DO UPDATE SET version = records.version + 1, doc = EXCLUDED.doc
             WHERE records.version = $4
             RETURNING version`,
            [w.table, w.id, JSON.stringify(w.doc), current.get(`${w.table}\0${w.id}`)!],
          );
          if (r.rows.length === 0) {
            const now = await c.query<{ version: number }>('SELECT version FROM records WHERE tbl = $1 AND id = $2', [w.table, w.id]);
            throw new VersionConflict(w.table, w.id, w.expectVersion ?? current.get(`${w.table}\0${w.id}`)!, now.rows[0]?.version ?? 0);
          }
          versions.push(r.rows[0].version);
        }
        const next = (await c.query<{ s: string; port: number | null }>(`SELECT nextval('commit_seq') AS s, inet_server_port() AS port`)).rows[0];
        const seq = Number(next.s);
        if (request.idempotencyKey) {
          await c.query('INSERT INTO idempotency (key, seq, versions, response) VALUES ($1, $2, $3, $4::jsonb)', [
            request.idempotencyKey,
            seq,
            versions,
            JSON.stringify(request.response ?? null),
          ]);
        }
        await c.query('COMMIT');
        return { seq, versions, replayed: false, response: request.response, ...this.siteOf(next.port) };
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      }
    });
  }

  /** The site whose node listens on `port` (options.nodes), when known. */
  private siteOf(port: number | null): { site?: string } {
    const site = Object.entries(this.options.nodes ?? {}).find(([, p]) => p === port)?.[0];
    return site === undefined ? {} : { site };
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }

  /** The tables, created once per process (by whichever app gets there first: an advisory lock serialises them). */
  private ensureSchema(): Promise<void> {
    this.schema ??= this.run('write', async (c) => {
      await c.query('BEGIN');
      try {
        await c.query('SELECT pg_advisory_xact_lock(4242)');
        await c.query(SCHEMA);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      }
    }).catch((e) => {
      this.schema = undefined;
      throw e;
    });
    return this.schema;
  }

  /**
   * A pooled connection for `fn`, errors mapped to the Storage's: `wrote()` marks the point after
   * which a lost connection leaves the outcome unknown.
   */
  private async run<T>(phase: Phase, fn: (c: PoolClient, wrote: () => void) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw new StorageUnavailable(`PostgreSQL unreachable: ${(e as Error).message}`, false);
    }
    let wrote = false;
    let broken: Error | undefined;
    // A connection that drops while checked out is also reported as an event: the query's own error says it.
    const onError = (e: Error) => (broken ??= e);
    client.on('error', onError);
    try {
      return await fn(client, () => (wrote = phase === 'write'));
    } catch (e) {
      if (e instanceof VersionConflict) throw e;
      const err = e as Error & { code?: string };
      const sqlstate = typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined;
      if (sqlstate === undefined || UNAVAILABLE.test(sqlstate)) {
        // The connection is suspect (lost, timed out) or leads to a node that is not the primary
        // (a read-only refusal): never hand it out again.
        broken = err;
        // A read-only refusal comes before anything is written; a lost connection after a write may have committed.
        const indeterminate = wrote && (sqlstate === undefined || /^(57P0|08)/.test(sqlstate));
        throw new StorageUnavailable(`PostgreSQL: ${err.message}${sqlstate ? ` (${sqlstate})` : ''}`, indeterminate);
      }
      throw e;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

function replayOf(row: { seq: string | number; versions: number[]; response: unknown }): CommitResult {
  return { seq: Number(row.seq), versions: row.versions, replayed: true, response: row.response ?? undefined };
}
