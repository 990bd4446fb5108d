import * as net from 'node:net';
import type { SanError, SanRequest } from './server';
import {
  StorageUnavailable,
  VersionConflict,
  type CommitRequest,
  type CommitResult,
  type SanStatus,
  type Storage,
  type StoredRecord,
} from './storage';
import { onMessages, send } from './wire';
import { withTimeout } from '../../lib/timeout';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; writes: boolean };
type RequestBody = SanRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * An app's connection to its site's SAN (through the proxy `SITE-san`). Every request is
 * bounded by `timeoutMs`: a hanging array fails the request, it never hangs the app's client.
 */
export class SanClient implements Storage {
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly target: { host: string; port: number },
    private readonly timeoutMs = 1000,
  ) {}

  async status(): Promise<SanStatus> {
    return (await this.request({ op: 'status' })) as SanStatus;
  }

  async get<T>(table: string, id: string): Promise<StoredRecord<T> | undefined> {
    return ((await this.request({ op: 'get', table, recordId: id })) as StoredRecord<T> | null) ?? undefined;
  }

  async list<T>(table: string, where?: { field: string; equals: string | number | boolean }): Promise<StoredRecord<T>[]> {
    return (await this.request({ op: 'list', table, where })) as StoredRecord<T>[];
  }

  async lookupIdempotencyKey(key: string): Promise<CommitResult | undefined> {
    return ((await this.request({ op: 'lookupKey', key })) as CommitResult | null) ?? undefined;
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    return (await this.request({ op: 'commit', request })) as CommitResult;
  }

  close(): void {
    this.socket?.destroy();
  }

  private async request(body: RequestBody): Promise<unknown> {
    const writes = body.op === 'commit';
    const started = performance.now();
    let socket: net.Socket;
    try {
      socket = await withTimeout(this.connection(), this.timeoutMs, `connect timed out after ${this.timeoutMs} ms`);
    } catch (e) {
      throw new StorageUnavailable(`SAN unreachable: ${(e as Error).message}`, false);
    }
    const remaining = Math.max(1, this.timeoutMs - (performance.now() - started));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        // Sent but unanswered: a write may or may not have been applied.
        reject(new StorageUnavailable(`SAN did not answer within ${this.timeoutMs} ms`, writes));
      }, remaining);
      this.pending.set(id, { resolve, reject, timer, writes });
      send(socket, { id, ...body });
    });
  }

  private connection(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect(this.target);
      socket.setNoDelay(true);
      socket.once('connect', () => {
        this.socket = socket;
        this.connecting = undefined;
        resolve(socket);
      });
      socket.once('error', (e) => {
        if (this.connecting) {
          this.connecting = undefined;
          reject(e);
        }
      });
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        if (this.connecting) {
          this.connecting = undefined;
          reject(new Error('connection closed'));
        }
        this.failPending('connection to SAN lost');
      });
      onMessages(socket, (m) => this.onReply(m as { id: number; ok: boolean; result?: unknown; error?: SanError }));
    });
    return this.connecting;
  }

  private failPending(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new StorageUnavailable(reason, p.writes));
    }
  }

  private onReply(m: { id: number; ok: boolean; result?: unknown; error?: SanError }): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) return p.resolve(m.result);
    const e = m.error!;
    if (e.kind === 'conflict') p.reject(new VersionConflict(e.table, e.recordId, e.expected, e.actual));
    else if (e.kind === 'unavailable') p.reject(new StorageUnavailable(e.message, e.indeterminate));
    else p.reject(new Error(e.message));
  }
}
