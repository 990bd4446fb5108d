import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { VersionConflict, type CommitRequest, type CommitResult, type SanRole, type StoredRecord } from './storage';

/** One committed write as it travels to the replica: enough to apply it exactly. */
export interface LogEntry {
  seq: number;
  epoch: number;
  /** Commit time, unix ms with sub-ms precision (performance.timeOrigin + now). */
  ts: number;
  writes: { table: string; id: string; version: number; doc: unknown }[];
  key?: string;
  response?: unknown;
}

/**
 * The array's durable store: SQLite with synchronous=FULL. Records are versioned; every commit
 * gets the next sequence number and a log entry that replication ships.
 */
export class SanDb {
  private readonly db: Database.Database;
  private readonly stmt;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS records (tbl TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tbl, id));
      CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, epoch INTEGER NOT NULL, ts REAL NOT NULL, entry TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS idem (key TEXT PRIMARY KEY, seq INTEGER NOT NULL, versions TEXT NOT NULL, response TEXT);
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
    `);
    this.stmt = {
      get: this.db.prepare('SELECT version, doc FROM records WHERE tbl = ? AND id = ?'),
      list: this.db.prepare('SELECT id, version, doc FROM records WHERE tbl = ? ORDER BY id'),
      put: this.db.prepare('INSERT INTO records (tbl, id, version, doc) VALUES (?, ?, ?, ?) ON CONFLICT(tbl, id) DO UPDATE SET version = excluded.version, doc = excluded.doc'),
      idem: this.db.prepare('SELECT seq, versions, response FROM idem WHERE key = ?'),
      putIdem: this.db.prepare('INSERT OR REPLACE INTO idem (key, seq, versions, response) VALUES (?, ?, ?, ?)'),
      append: this.db.prepare('INSERT INTO log (seq, epoch, ts, entry) VALUES (?, ?, ?, ?)'),
      since: this.db.prepare('SELECT entry FROM log WHERE seq > ? ORDER BY seq LIMIT ?'),
      logAt: this.db.prepare('SELECT epoch FROM log WHERE seq = ?'),
      minLog: this.db.prepare('SELECT MIN(seq) AS s FROM log'),
      meta: this.db.prepare('SELECT v FROM meta WHERE k = ?'),
      setMeta: this.db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)'),
      keys: this.db.prepare('SELECT key, seq FROM idem ORDER BY seq'),
    };
  }

  close(): void {
    this.db.close();
  }

  getMeta(k: string): string | undefined {
    return (this.stmt.meta.get(k) as { v: string } | undefined)?.v;
  }

  setMeta(k: string, v: string | number): void {
    this.stmt.setMeta.run(k, String(v));
  }

  get role(): SanRole {
    return (this.getMeta('role') as SanRole | undefined) ?? 'fenced';
  }

  get epoch(): number {
    return Number(this.getMeta('epoch') ?? 0);
  }

  /** Last committed sequence number (log entries may start later after a snapshot). */
  get seq(): number {
    return Number(this.getMeta('seq') ?? 0);
  }

  /** Epoch of the entry at `seq`, when the log still holds it (or the snapshot ended there). */
  epochAt(seq: number): number | undefined {
    if (seq === 0) return 0;
    const row = this.stmt.logAt.get(seq) as { epoch: number } | undefined;
    if (row) return row.epoch;
    if (seq === Number(this.getMeta('base_seq') ?? -1)) return Number(this.getMeta('base_epoch'));
    return undefined;
  }

  /** First sequence number the log can replay from (entries after it are all present). */
  get logBase(): number {
    return Number(this.getMeta('base_seq') ?? 0);
  }

  get<T>(table: string, id: string): StoredRecord<T> | undefined {
    const row = this.stmt.get.get(table, id) as { version: number; doc: string } | undefined;
    return row ? { table, id, version: row.version, doc: JSON.parse(row.doc) } : undefined;
  }

  list<T>(table: string, where?: { field: string; equals: unknown }): StoredRecord<T>[] {
    const rows = this.stmt.list.all(table) as { id: string; version: number; doc: string }[];
    const out: StoredRecord<T>[] = [];
    for (const r of rows) {
      const doc = JSON.parse(r.doc);
      if (where && doc?.[where.field] !== where.equals) continue;
      out.push({ table, id: r.id, version: r.version, doc });
    }
    return out;
  }

  lookupKey(key: string): CommitResult | undefined {
    const row = this.stmt.idem.get(key) as { seq: number; versions: string; response: string | null } | undefined;
    if (!row) return undefined;
    return { seq: row.seq, versions: JSON.parse(row.versions), replayed: true, response: row.response ? JSON.parse(row.response) : undefined };
  }

  keys(): { key: string; seq: number }[] {
    return this.stmt.keys.all() as { key: string; seq: number }[];
  }

  /** Applies an app's commit atomically: replay by key, compare-and-set, versions, log. */
  commit(request: CommitRequest, epoch: number): { result: CommitResult; entry?: LogEntry } {
    return this.db.transaction(() => {
      if (request.idempotencyKey) {
        const prior = this.lookupKey(request.idempotencyKey);
        if (prior) return { result: prior };
      }
      const writes = request.writes.map((w) => {
        const current = this.get(w.table, w.id)?.version ?? 0;
        if (w.expectVersion !== undefined && w.expectVersion !== current) {
          throw new VersionConflict(w.table, w.id, w.expectVersion, current);
        }
        return { table: w.table, id: w.id, version: current + 1, doc: w.doc };
      });
      const entry: LogEntry = {
        seq: this.seq + 1,
        epoch,
        ts: performance.timeOrigin + performance.now(),
        writes,
        key: request.idempotencyKey,
        response: request.response,
      };
      this.apply(entry);
      return { result: { seq: entry.seq, versions: writes.map((w) => w.version), replayed: false, response: request.response }, entry };
    })();
  }

  /** Applies a replicated entry (idempotent: an entry at or below the current seq is skipped). */
  applyReplicated(entry: LogEntry): void {
    this.db.transaction(() => {
      if (entry.seq <= this.seq) return;
      if (entry.seq !== this.seq + 1) throw new Error(`replication gap: have ${this.seq}, got ${entry.seq}`);
      this.apply(entry);
    })();
  }

  private apply(entry: LogEntry): void {
    for (const w of entry.writes) this.stmt.put.run(w.table, w.id, w.version, JSON.stringify(w.doc));
    if (entry.key) {
      this.stmt.putIdem.run(entry.key, entry.seq, JSON.stringify(entry.writes.map((w) => w.version)), entry.response === undefined ? null : JSON.stringify(entry.response));
    }
    this.stmt.append.run(entry.seq, entry.epoch, entry.ts, JSON.stringify(entry));
    this.setMeta('seq', entry.seq);
  }

  entriesAfter(seq: number, limit = 500): LogEntry[] {
    return (this.stmt.since.all(seq, limit) as { entry: string }[]).map((r) => JSON.parse(r.entry));
  }

  /** Everything needed to rebuild a diverged replica. */
  snapshot(): Snapshot {
    return {
      seq: this.seq,
      epoch: this.epochAt(this.seq) ?? this.epoch,
      records: this.db.prepare('SELECT tbl, id, version, doc FROM records').all() as Snapshot['records'],
      idem: this.db.prepare('SELECT key, seq, versions, response FROM idem').all() as Snapshot['idem'],
    };
  }

  /** Replaces all data with a snapshot from the primary: the local divergent tail is discarded. */
  loadSnapshot(s: Snapshot): void {
    this.db.transaction(() => {
      this.db.exec('DELETE FROM records; DELETE FROM idem; DELETE FROM log;');
      const put = this.db.prepare('INSERT INTO records (tbl, id, version, doc) VALUES (?, ?, ?, ?)');
      for (const r of s.records) put.run(r.tbl, r.id, r.version, r.doc);
      const idem = this.db.prepare('INSERT INTO idem (key, seq, versions, response) VALUES (?, ?, ?, ?)');
      for (const k of s.idem) idem.run(k.key, k.seq, k.versions, k.response);
      this.setMeta('seq', s.seq);
      this.setMeta('base_seq', s.seq);
      this.setMeta('base_epoch', s.epoch);
    })();
  }
}

export interface Snapshot {
  seq: number;
  epoch: number;
  records: { tbl: string; id: string; version: number; doc: string }[];
  idem: { key: string; seq: number; versions: string; response: string | null }[];
}
