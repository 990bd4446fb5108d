import type { ToxicAttributes } from '../../model/toxics';

/**
 * The longest wait a timer can make (2^31 - 1 ms, 24.8 days). Node fires a longer one after 1 ms,
 * so a toxic's longer wait is forever: it ends only when interrupted.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A piece of one direction of a connection, stamped with the time it was read (ms, monotonic). */
export interface Chunk {
  data: Buffer;
  readAt: number;
}

export type CloseMode = 'fin' | 'rst';

/**
 * What a toxic sees of one direction of one connection. A new context is made each time the
 * toxic's stage (re)starts: at connect, and whenever the chain of its direction changes.
 */
export interface ToxicContext<A, S> {
  /** The toxic's attributes; updates through the API are visible here at once. */
  readonly attributes: A;
  /** Per-connection, per-direction state that survives attribute updates. */
  readonly state: S;
  /** Aborted when this stage is interrupted (its chain changed, or the connection closed). */
  readonly signal: AbortSignal;
  /** True when the toxic was already on the proxy when the connection was accepted. */
  readonly presentAtConnect: boolean;
  /** Hand a chunk to the next stage; resolves when it has been taken (backpressure). */
  next(chunk: Chunk): Promise<void>;
  /** Pass end-of-stream on to the next stage. */
  end(): Promise<void>;
  /** Close the whole connection: FIN after flushing, or RST. */
  close(mode: CloseMode): void;
  /** Sleep, cut short when the stage is interrupted. Resolves true when it slept in full. */
  sleep(ms: number): Promise<boolean>;
}

/**
 * One toxic type: its type name, attribute names and schema (model/toxics.ts, shared with the
 * drill file) and a transform over one direction of a connection. Optional hooks are used only
 * by the toxics that need them.
 */
export interface ToxicType<A extends Record<string, number> = Record<string, number>, S = undefined> extends ToxicAttributes<A> {
  newState?(): S;
  /** The stage starts (at connect or after a chain change). */
  start?(ctx: ToxicContext<A, S>): void;
  /** The stage stops (chain change, connection closed). */
  stop?(ctx: ToxicContext<A, S>): void;
  pipe(chunk: Chunk, ctx: ToxicContext<A, S>): Promise<void> | void;
  /** End of stream reached this stage; the default passes it on. */
  end?(ctx: ToxicContext<A, S>): Promise<void> | void;
  /** The toxic was removed while this connection was live and the toxic applied to it. */
  removed?(ctx: ToxicContext<A, S>): void;
}

export function defineToxic<A extends Record<string, number>, S = undefined>(
  t: ToxicType<A, S>,
): ToxicType<A, S> {
  return t;
}
