import type { AddressInfo } from 'node:net';
import { createAppServer, type AppServerOptions, type Service } from '../../services/apps';
import { MemoryStorage } from '../../services/san/memory_storage';
import { StorageUnavailable, VersionConflict, type CommitRequest, type CommitResult, type Storage } from '../../services/san/storage';

export interface Res {
  status: number;
  headers: Headers;
  body: any;
}

export interface TestApp {
  url: string;
  get(path: string): Promise<Res>;
  post(path: string, body?: unknown, key?: string): Promise<Res>;
  close(): Promise<void>;
}

/** One app on 127.0.0.1, an ephemeral port, over real HTTP. */
export async function startApp(service: Service, storage: Storage = new MemoryStorage(), extra: Partial<AppServerOptions> = {}): Promise<TestApp> {
  const site = extra.site ?? 'dc1';
  const server = createAppServer({ service, site, storage, ...extra });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const request = async (method: string, path: string, body?: unknown, key?: string): Promise<Res> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key !== undefined) headers['idempotency-key'] = key;
    const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    // Every answer, whatever it is, must say which site gave it.
    if (res.headers.get('x-blackstart-site') !== site) throw new Error(`${method} ${path}: x-blackstart-site is ${res.headers.get('x-blackstart-site')}`);
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  return {
    url,
    get: (path) => request('GET', path),
    post: (path, body, key) => request('POST', path, body, key),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A MemoryStorage whose every call takes a few milliseconds, like a SAN over the network: concurrent
 * requests then read before any of them commits, so only compare-and-set can keep them apart.
 */
export class SlowStorage extends MemoryStorage {
  /** Commits refused by compare-and-set: proof that concurrent requests really did overlap. */
  conflicts = 0;
  constructor(private readonly delayMs = 5) {
    super();
  }
  override async get<T>(table: string, id: string) {
    await sleep(this.delayMs);
    return super.get<T>(table, id);
  }
  override async list<T>(table: string, where?: { field: string; equals: string | number | boolean }) {
    await sleep(this.delayMs);
    return super.list<T>(table, where);
  }
  override async lookupIdempotencyKey(key: string) {
    await sleep(this.delayMs);
    return super.lookupIdempotencyKey(key);
  }
  override async commit(request: CommitRequest): Promise<CommitResult> {
    await sleep(this.delayMs);
    try {
      return await super.commit(request);
    } catch (err) {
      if (err instanceof VersionConflict) this.conflicts++;
      throw err;
    }
  }
}

/** A SAN whose next commit is applied but whose acknowledgement is lost: the app cannot know it happened. */
export class LostAckStorage extends MemoryStorage {
  loseNextAck = false;
  override async commit(request: CommitRequest): Promise<CommitResult> {
    const result = await super.commit(request);
    if (this.loseNextAck) {
      this.loseNextAck = false;
      throw new StorageUnavailable('SAN timed out after the commit was sent', true);
    }
    return result;
  }
}

/** How many commits the storage has applied. */
export const seqOf = async (storage: Storage) => (await storage.status()).seq;

/** A MemoryStorage whose every call first waits `delayMs()` (e.g. a seeded jitter), so concurrent requests interleave differently call by call. */
export class JitterStorage extends MemoryStorage {
  constructor(private readonly delayMs: () => number) {
    super();
  }
  override async get<T>(table: string, id: string) {
    await sleep(this.delayMs());
    return super.get<T>(table, id);
  }
  override async list<T>(table: string, where?: { field: string; equals: string | number | boolean }) {
    await sleep(this.delayMs());
    return super.list<T>(table, where);
  }
  override async commit(request: CommitRequest): Promise<CommitResult> {
    await sleep(this.delayMs());
    return super.commit(request);
  }
}
