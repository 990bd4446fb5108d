import { limitDataAttributes } from '../../model/toxics';
import { defineToxic } from './toxic';

/**
 * Forwards at most `bytes` per connection and direction, cutting the chunk that crosses the
 * limit, then ends the stream: what it forwarded still goes through the rest of the chain, and each
 * side closes (FIN) once its direction has drained, as Toxiproxy's stub.Close() does. The count
 * starts when the toxic is added and survives updates.
 */
export const limitData = defineToxic<{ bytes: number }, { sent: number; ended: boolean }>({
  ...limitDataAttributes,
  newState: () => ({ sent: 0, ended: false }),
  async pipe(chunk, ctx) {
    if (ctx.state.ended) return;
    const remaining = Math.max(0, ctx.attributes.bytes - ctx.state.sent);
    const data = chunk.data.length > remaining ? chunk.data.subarray(0, remaining) : chunk.data;
    if (data.length > 0) {
      ctx.state.sent += data.length;
      await ctx.next({ data, readAt: chunk.readAt });
    }
    if (ctx.attributes.bytes - ctx.state.sent <= 0) {
      ctx.state.ended = true;
      await ctx.end();
    }
  },
});
