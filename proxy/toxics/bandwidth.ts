import { bandwidthAttributes } from '../../model/toxics';
import { defineToxic } from './toxic';

const SLICE_MS = 100;

/**
 * Limits throughput to `rate` KB/s (1 KB = 1000 B). Each chunk waits len/rate ms, carrying the
 * timer error over to the next chunk; chunks larger than 100 ms worth are sent a slice per 100 ms.
 * Rate 0 stalls the stream until the toxic changes.
 */
export const bandwidth = defineToxic<{ rate: number }, { debt: number }>({
  ...bandwidthAttributes,
  newState: () => ({ debt: 0 }),
  // Like Toxiproxy's Pipe restarting with a zero sleep: debt run up at an old rate (or cut short
  // by an interruption) must not delay the stream once the chain restarts.
  start(ctx) {
    ctx.state.debt = 0;
  },
  async pipe(chunk, ctx) {
    const rate = ctx.attributes.rate;
    if (rate <= 0) {
      await ctx.sleep(Number.POSITIVE_INFINITY);
      return ctx.next(chunk);
    }
    let data = chunk.data;
    ctx.state.debt += data.length / rate;
    const sliceBytes = rate * SLICE_MS;
    while (data.length > sliceBytes) {
      if (!(await ctx.sleep(SLICE_MS))) break;
      await ctx.next({ data: data.subarray(0, sliceBytes), readAt: chunk.readAt });
      data = data.subarray(sliceBytes);
      ctx.state.debt -= SLICE_MS;
    }
    const started = performance.now();
    await ctx.sleep(ctx.state.debt);
    ctx.state.debt -= performance.now() - started;
    await ctx.next({ data, readAt: chunk.readAt });
  },
});
