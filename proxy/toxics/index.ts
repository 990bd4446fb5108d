import type { ToxicType } from './toxic';
import { bandwidth } from './bandwidth';
import { latency } from './latency';
import { limitData } from './limit_data';
import { noop } from './noop';
import { resetPeer } from './reset_peer';
import { slicer } from './slicer';
import { slowClose } from './slow_close';
import { timeout } from './timeout';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyToxicType = ToxicType<any, any>;

/** Toxic types by the name the API uses; adding a toxic means its attributes in model/toxics.ts, one file and one line here. */
export const toxicTypes: ReadonlyMap<string, AnyToxicType> = new Map(
  [latency, bandwidth, slowClose, timeout, resetPeer, slicer, limitData, noop].map((t) => [t.type, t as AnyToxicType]),
);

export type { Chunk, ToxicContext, ToxicType, CloseMode } from './toxic';
export { MAX_TIMER_MS } from './toxic';
