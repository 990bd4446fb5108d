/**
 * What an app needs of its site's SAN. The SAN server implements it over TCP (through the proxy
 * `dcN-san`); tests use the in-memory implementation. Records are versioned documents in tables;
 * a commit is atomic, compare-and-set on versions, and idempotent by key.
 */

export interface StoredRecord<T = unknown> {
  table: string;
  id: string;
  /** 1 for the first write of the record, +1 per write. */
  version: number;
  doc: T;
}

export interface RecordWrite {
  table: string;
  id: string;
  doc: unknown;
  /**
   * Compare-and-set: the version the record must have now for the commit to go through;
   * 0 means it must not exist yet. Omitted: no check.
   */
  expectVersion?: number;
}

export interface CommitRequest {
  writes: RecordWrite[];
  /** The client's Idempotency-Key: a second commit with the same key applies nothing. */
  idempotencyKey?: string;
  /** What the app answered for this write; returned as-is to a retry with the same key. */
  response?: unknown;
}

export interface CommitResult {
  /** The SAN's sequence number of this commit (of the first commit, for a replay). */
  seq: number;
  /** The new version of each written record, in request order. */
  versions: number[];
  /** True when the key had been seen: nothing was written, `response` is the first answer. */
  replayed: boolean;
  response?: unknown;
  /** The site whose storage took the commit, where the storage can tell (PostgreSQL behind HAProxy); the app's own otherwise. */
  site?: string;
}

export type SanRole = 'primary' | 'replica' | 'fenced';

export interface SanStatus {
  /** Only a primary takes app writes; a replica applies replication; fenced takes nothing. */
  role: SanRole;
  /** Incremented at each promotion; writes of an older epoch are refused. */
  epoch: number;
  site: string;
  /** Sequence number of the last committed write. */
  seq: number;
}

export interface Storage {
  /** Reachability and role of the SAN: an app is ready only when this answers `primary`. */
  status(): Promise<SanStatus>;
  get<T = unknown>(table: string, id: string): Promise<StoredRecord<T> | undefined>;
  /** Every record of a table, optionally those whose top-level `field` equals `equals`. */
  list<T = unknown>(table: string, where?: { field: string; equals: string | number | boolean }): Promise<StoredRecord<T>[]>;
  /** The stored response of an earlier commit with this key, if any. */
  lookupIdempotencyKey(key: string): Promise<CommitResult | undefined>;
  /** Throws VersionConflict when an expectVersion does not hold; StorageUnavailable when the SAN cannot be reached or refuses writes. */
  commit(request: CommitRequest): Promise<CommitResult>;
}

/** A compare-and-set failed: someone else wrote the record first (maps to HTTP 409). */
export class VersionConflict extends Error {
  constructor(
    readonly table: string,
    readonly id: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${table}/${id}: expected version ${expected}, found ${actual}`);
  }
}

/**
 * The SAN could not be reached in time, or refused (not active, fenced). `indeterminate` is true
 * when a commit may have been applied (timed out after sending), false when it certainly was not.
 * Maps to HTTP 503.
 */
export class StorageUnavailable extends Error {
  constructor(
    message: string,
    readonly indeterminate: boolean,
  ) {
    super(message);
  }
}
