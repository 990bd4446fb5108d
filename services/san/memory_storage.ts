import { StorageUnavailable, VersionConflict } from './storage';
import type { CommitRequest, CommitResult, SanRole, SanStatus, Storage, StoredRecord } from './storage';

/** An in-memory Storage with the SAN's semantics, for unit tests of the apps. */
export class MemoryStorage implements Storage {
  private readonly records = new Map<string, StoredRecord>();
  private readonly keys = new Map<string, CommitResult>();
  private seq = 0;
  /** Tests set these to play a replica, a fenced SAN, or one that cannot be reached. */
  role: SanRole = 'primary';
  reachable = true;

  constructor(readonly site = 'dc1') {}

  async status(): Promise<SanStatus> {
    this.check();
    return { role: this.role, epoch: 1, site: this.site, seq: this.seq };
  }

  private check(): void {
    if (!this.reachable) throw new StorageUnavailable('SAN unreachable', false);
  }

  async get<T>(table: string, id: string): Promise<StoredRecord<T> | undefined> {
    this.check();
    const r = this.records.get(`${table}/${id}`);
    return r ? (structuredClone(r) as StoredRecord<T>) : undefined;
  }

  async list<T>(table: string, where?: { field: string; equals: string | number | boolean }): Promise<StoredRecord<T>[]> {
    this.check();
    return [...this.records.values()]
      .filter((r) => r.table === table && (!where || (r.doc as Record<string, unknown>)?.[where.field] === where.equals))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r) => structuredClone(r) as StoredRecord<T>);
  }

  async lookupIdempotencyKey(key: string): Promise<CommitResult | undefined> {
    this.check();
    const r = this.keys.get(key);
    return r ? { ...r, replayed: true } : undefined;
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    this.check();
    if (this.role !== 'primary') throw new StorageUnavailable(`SAN is ${this.role}: writes refused`, false);
    if (request.idempotencyKey) {
      const prior = await this.lookupIdempotencyKey(request.idempotencyKey);
      if (prior) return prior;
    }
    for (const w of request.writes) {
      if (w.expectVersion === undefined) continue;
      const actual = this.records.get(`${w.table}/${w.id}`)?.version ?? 0;
      if (actual !== w.expectVersion) throw new VersionConflict(w.table, w.id, w.expectVersion, actual);
    }
    const seq = ++this.seq;
    const versions = request.writes.map((w) => {
      const key = `${w.table}/${w.id}`;
      const version = (this.records.get(key)?.version ?? 0) + 1;
      this.records.set(key, { table: w.table, id: w.id, version, doc: structuredClone(w.doc) });
      return version;
    });
    const result: CommitResult = { seq, versions, replayed: false, response: request.response };
    if (request.idempotencyKey) this.keys.set(request.idempotencyKey, result);
    return result;
  }
}
