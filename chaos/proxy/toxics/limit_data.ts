import { z } from 'zod';
import { defineToxic, nonNegativeInt } from './toxic';

/**
 * Forwards at most `bytes` per connection and direction, cutting the chunk that crosses the
 * limit, then closes the connection. The count starts when the toxic is added and survives updates.
 */
export const limitData = defineToxic<{ bytes: number }, { sent: number }>({
  type: 'limit_data',
  attributeNames: ['bytes'],
  schema: z.object({ bytes: nonNegativeInt() }),
  newState: () => ({ sent: 0 }),
  async pipe(chunk, ctx) {
    const remaining = Math.max(0, ctx.attributes.bytes - ctx.state.sent);
    const data = chunk.data.length > remaining ? chunk.data.subarray(0, remaining) : chunk.data;
    if (data.length > 0) {
      ctx.state.sent += data.length;
      await ctx.next({ data, readAt: chunk.readAt });
    }
    if (ctx.attributes.bytes - ctx.state.sent <= 0) ctx.close('fin');
  },
});
