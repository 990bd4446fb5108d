import { latencyAttributes } from '../../model/toxics';
import { defineToxic } from './toxic';

/** Each chunk is released at its read time + latency +/- uniform jitter; order is kept. */
export const latency = defineToxic({
  ...latencyAttributes,
  async pipe(chunk, ctx) {
    const { latency: base, jitter } = ctx.attributes;
    const delay = base + (jitter > 0 ? Math.floor(Math.random() * (2 * jitter + 1)) - jitter : 0);
    const wait = chunk.readAt + delay - performance.now();
    if (wait > 0) await ctx.sleep(wait);
    // Stamp the chunk with its due time, as Toxiproxy advances the timestamp by the sleep, so a
    // following latency toxic adds its delay instead of counting from the original read.
    await ctx.next({ data: chunk.data, readAt: chunk.readAt + Math.max(0, delay) });
  },
});
