import { slowCloseAttributes } from '../../model/toxics';
import { defineToxic } from './toxic';

/** Data passes unchanged; when this direction reaches end of stream, the close waits `delay` ms. */
export const slowClose = defineToxic({
  ...slowCloseAttributes,
  pipe: (chunk, ctx) => ctx.next(chunk),
  async end(ctx) {
    await ctx.sleep(ctx.attributes.delay);
    await ctx.end();
  },
});
