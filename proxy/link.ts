import type { Socket } from 'node:net';
import { MAX_TIMER_MS, type AnyToxicType } from './toxics';
import type { Chunk, CloseMode, ToxicContext } from './toxics';

export type StreamName = 'upstream' | 'downstream';

/** A toxic as configured on a proxy: the API owns these; connections read them live. */
export interface ToxicRecord {
  name: string;
  type: string;
  stream: StreamName;
  toxicity: number;
  attributes: Record<string, number>;
  behaviour: AnyToxicType;
}

/** Per-proxy byte counters, shared by its connections. */
export interface Counters {
  received: Record<StreamName, number>;
  sent: Record<StreamName, number>;
}

/** Chunks a direction may hold in its toxic chain before it stops reading its source. */
const MAX_QUEUED_CHUNKS = 1024;
const END = Symbol('end');
type QueueItem = Chunk | typeof END;

/** The active stages of one generation of a chain, each with the context it was started with. */
interface ChainRun {
  stages: Stage[];
  contexts: ToxicContext<Record<string, number>, unknown>[];
}

/** One toxic's stage on one direction of one connection. */
interface Stage {
  record: ToxicRecord;
  state: unknown;
  active: boolean;
  presentAtConnect: boolean;
  ctx?: ToxicContext<Record<string, number>, unknown>;
}

/**
 * One direction of a proxied connection: reads its source, runs each chunk through the toxic
 * chain of its stream in order, writes to its destination. With no toxic active it writes
 * straight through (the fast path); otherwise chunks queue and a pump runs them one by one,
 * each toxic awaiting its own timing, so order and backpressure are kept.
 */
class Direction {
  private stages = new Map<ToxicRecord, Stage>();
  private chain: ChainRun = { stages: [], contexts: [] };
  private queue: QueueItem[] = [];
  private pumping = false;
  private interrupt = new AbortController();
  private ended = false;
  private pausedForQueue = false;
  private pausedForDrain = false;

  constructor(
    private readonly link: Link,
    readonly stream: StreamName,
    private readonly source: Socket,
    private readonly dest: Socket,
    private readonly counters: Counters,
  ) {}

  attach(toxics: readonly ToxicRecord[]): void {
    for (const record of toxics) {
      this.stages.set(record, { record, state: record.behaviour.newState?.(), active: false, presentAtConnect: true });
    }
    this.restartChain(toxics);
    this.source.on('data', (data: Buffer) => this.onData(data));
    this.source.on('end', () => this.onEnd());
  }

  /** The chain of this stream changed: interrupt the running stages and start the new chain. */
  update(toxics: readonly ToxicRecord[]): void {
    const present = new Set(toxics);
    for (const [record, stage] of this.stages) {
      if (present.has(record)) continue;
      this.stages.delete(record);
      if (stage.active && stage.ctx) record.behaviour.removed?.(stage.ctx);
    }
    for (const record of toxics) {
      if (!this.stages.has(record)) {
        this.stages.set(record, { record, state: record.behaviour.newState?.(), active: false, presentAtConnect: false });
      }
    }
    this.restartChain(toxics);
  }

  onData(data: Buffer): void {
    this.counters.received[this.stream] += data.length;
    if (!this.pumping && this.chain.stages.length === 0) {
      this.write(data);
      return;
    }
    this.queue.push({ data, readAt: performance.now() });
    if (this.queue.length >= MAX_QUEUED_CHUNKS && !this.pausedForQueue) {
      this.pausedForQueue = true;
      this.source.pause();
    }
    if (!this.pumping) void this.pump();
  }

  onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.pumping && this.chain.stages.length === 0) {
      this.finish();
      return;
    }
    this.queue.push(END);
    if (!this.pumping) void this.pump();
  }

  stop(): void {
    this.interrupt.abort();
    this.stopChain();
    this.chain = { stages: [], contexts: [] };
    this.queue = [];
  }

  private stopChain(): void {
    this.chain.stages.forEach((stage, i) => stage.record.behaviour.stop?.(this.chain.contexts[i]));
  }

  private restartChain(toxics: readonly ToxicRecord[]): void {
    this.stopChain();
    this.interrupt.abort();
    if (this.link.closed) return;
    this.interrupt = new AbortController();
    const chain: ChainRun = { stages: [], contexts: [] };
    for (const record of toxics) {
      const stage = this.stages.get(record)!;
      // Toxicity is drawn per connection and direction each time the chain starts.
      stage.active = Math.random() < record.toxicity;
      if (stage.active) chain.stages.push(stage);
    }
    this.chain = chain;
    chain.stages.forEach((stage, i) => {
      stage.ctx = this.contextFor(chain, i, this.interrupt.signal);
      chain.contexts.push(stage.ctx);
      stage.record.behaviour.start?.(stage.ctx);
    });
    if (this.queue.length > 0 && !this.pumping) void this.pump();
  }

  private contextFor(chain: ChainRun, index: number, signal: AbortSignal): ToxicContext<Record<string, number>, unknown> {
    const stage = chain.stages[index];
    const link = this.link;
    return {
      get attributes() {
        return stage.record.attributes;
      },
      get state() {
        return stage.state;
      },
      signal,
      presentAtConnect: stage.presentAtConnect,
      next: (chunk) => this.runFrom(chain, index + 1, chunk),
      end: () => this.endFrom(chain, index + 1),
      close: (mode: CloseMode) => link.close(mode),
      sleep: (ms) => interruptibleSleep(ms, signal, link.closedSignal),
    };
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.link.closed) {
        const item = this.queue.shift()!;
        const chain = this.chain;
        if (item === END) await this.endFrom(chain, 0);
        else await this.runFrom(chain, 0, item);
        if (this.pausedForQueue && this.queue.length < MAX_QUEUED_CHUNKS / 2) {
          this.pausedForQueue = false;
          this.resumeSource();
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private runFrom(chain: ChainRun, index: number, chunk: Chunk): Promise<void> {
    if (this.link.closed) return Promise.resolve();
    if (index >= chain.stages.length) return this.writeAsync(chunk.data);
    return Promise.resolve(chain.stages[index].record.behaviour.pipe(chunk, chain.contexts[index]));
  }

  private endFrom(chain: ChainRun, index: number): Promise<void> {
    if (this.link.closed) return Promise.resolve();
    if (index >= chain.stages.length) {
      this.finish();
      return Promise.resolve();
    }
    const hook = chain.stages[index].record.behaviour.end;
    return Promise.resolve(hook ? hook(chain.contexts[index]) : this.endFrom(chain, index + 1));
  }

  private write(data: Buffer): boolean {
    if (this.dest.destroyed || this.dest.writableEnded) return true;
    this.counters.sent[this.stream] += data.length;
    const ok = this.dest.write(data);
    if (!ok && !this.pausedForDrain) {
      this.pausedForDrain = true;
      this.source.pause();
      this.dest.once('drain', () => {
        this.pausedForDrain = false;
        this.resumeSource();
      });
    }
    return ok;
  }

  private writeAsync(data: Buffer): Promise<void> {
    if (this.write(data) || this.dest.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.dest.off('drain', done);
        this.dest.off('close', done);
        resolve();
      };
      this.dest.once('drain', done);
      this.dest.once('close', done);
    });
  }

  private resumeSource(): void {
    if (!this.pausedForQueue && !this.pausedForDrain && !this.source.destroyed) this.source.resume();
  }

  /** End of stream has passed the whole chain: Toxiproxy does not half-close, it closes. */
  private finish(): void {
    this.link.finishDirection(this);
  }
}

/** A proxied connection: a client socket, an upstream socket, and a direction each way. */
export class Link {
  private readonly closer = new AbortController();
  private readonly up: Direction;
  private readonly down: Direction;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    counters: Counters,
    toxics: Record<StreamName, readonly ToxicRecord[]>,
    private readonly onClosed: (link: Link) => void,
  ) {
    this.up = new Direction(this, 'upstream', client, upstream, counters);
    this.down = new Direction(this, 'downstream', upstream, client, counters);
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 15_000);
      // A reset or error from one side is the end of that side's stream.
      socket.on('error', () => (socket === client ? this.up : this.down).onEnd());
      socket.on('close', () => this.onSocketClose());
    }
    this.up.attach(toxics.upstream);
    this.down.attach(toxics.downstream);
  }

  get closed(): boolean {
    return this.closer.signal.aborted;
  }

  get closedSignal(): AbortSignal {
    return this.closer.signal;
  }

  update(stream: StreamName, toxics: readonly ToxicRecord[]): void {
    if (this.closed) return;
    (stream === 'upstream' ? this.up : this.down).update(toxics);
  }

  /**
   * A direction delivered its end of stream: close its destination fully, which in turn ends the
   * other direction once it has drained what it holds.
   */
  finishDirection(direction: Direction): void {
    const [dest, other] = direction === this.up ? [this.upstream, this.down] : [this.client, this.up];
    endThenDestroy(dest);
    other.onEnd();
  }

  /** Close both sides: a FIN after pending writes, or an immediate RST. */
  close(mode: CloseMode): void {
    if (this.closed) return;
    this.closer.abort();
    this.up.stop();
    this.down.stop();
    for (const socket of [this.client, this.upstream]) {
      if (mode === 'rst' && !socket.destroyed) socket.resetAndDestroy();
      else endThenDestroy(socket);
    }
    this.onClosed(this);
  }

  /** Drop both sockets now (proxy disabled or deleted). */
  destroy(): void {
    if (this.closed) return;
    this.closer.abort();
    this.up.stop();
    this.down.stop();
    this.client.destroy();
    this.upstream.destroy();
    this.onClosed(this);
  }

  private onSocketClose(): void {
    if (this.client.destroyed && this.upstream.destroyed && !this.closed) {
      this.closer.abort();
      this.up.stop();
      this.down.stop();
      this.onClosed(this);
    }
  }
}

function endThenDestroy(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded) return;
  socket.end(() => socket.destroy());
  // A peer that never reads must not keep the socket forever.
  setTimeout(() => socket.destroy(), 10_000).unref();
}

/** Sleep that ends early, returning false, when either signal aborts; beyond MAX_TIMER_MS it only ends so. */
export function interruptibleSleep(ms: number, ...signals: AbortSignal[]): Promise<boolean> {
  if (signals.some((s) => s.aborted)) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => finish(false);
    const timer = ms <= MAX_TIMER_MS ? setTimeout(() => finish(true), ms) : undefined;
    function finish(full: boolean) {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', onAbort);
      resolve(full);
    }
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
  });
}
