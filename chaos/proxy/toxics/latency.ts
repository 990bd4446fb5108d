import { z } from 'zod';
import { defineToxic, nonNegativeInt } from './toxic';

/** Each chunk is released at its read time + latency +/- uniform jitter; order is kept. */
export const latency = defineToxic({
  type: 'latency',
  attributeNames: ['latency', 'jitter'],
  schema: z.object({ latency: nonNegativeInt(), jitter: nonNegativeInt() }),
  async pipe(chunk, ctx) {
    const { latency: base, jitter } = ctx.attributes;
    const delay = base + (jitter > 0 ? Math.floor(Math.random() * (2 * jitter + 1)) - jitter : 0);
    const wait = chunk.readAt + delay - performance.now();
    if (wait > 0) await ctx.sleep(wait);
    await ctx.next(chunk);
  },
});
