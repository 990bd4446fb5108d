import { z } from 'zod';
import { defineToxic, nonNegativeInt } from './toxic';

/** Data passes unchanged; when this direction reaches end of stream, the close waits `delay` ms. */
export const slowClose = defineToxic({
  type: 'slow_close',
  attributeNames: ['delay'],
  schema: z.object({ delay: nonNegativeInt() }),
  pipe: (chunk, ctx) => ctx.next(chunk),
  async end(ctx) {
    await ctx.sleep(ctx.attributes.delay);
    await ctx.end();
  },
});
