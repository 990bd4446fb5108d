import { slicerAttributes } from '../../model/toxics';
import { defineToxic } from './toxic';

type SlicerAttributes = { average_size: number; size_variation: number; delay: number };

/**
 * Splits each chunk near its midpoint (+/- a random size_variation), recursively, until every
 * piece is within size_variation of average_size; waits `delay` microseconds after each piece.
 */
export const slicer = defineToxic<SlicerAttributes>({
  ...slicerAttributes,
  async pipe(chunk, ctx) {
    const { average_size, size_variation, delay } = ctx.attributes;
    const cuts = sliceOffsets(0, chunk.data.length, average_size, size_variation);
    let interrupted = false;
    for (let i = 0; i + 1 < cuts.length; i++) {
      if (interrupted) {
        // Interrupted mid-chunk: the rest goes on whole, nothing is dropped.
        await ctx.next({ data: chunk.data.subarray(cuts[i]), readAt: chunk.readAt });
        return;
      }
      await ctx.next({ data: chunk.data.subarray(cuts[i], cuts[i + 1]), readAt: chunk.readAt });
      if (delay > 0) interrupted = !(await ctx.sleep(delay / 1000));
    }
  },
});

/** Offsets [0, a, b, ..., size] of the pieces; exported for tests. */
export function sliceOffsets(start: number, end: number, average: number, variation: number): number[] {
  const out = [start];
  const split = (from: number, to: number): void => {
    if (to - from - average <= variation || to - from <= 1) {
      out.push(to);
      return;
    }
    const jitter = variation > 0 ? Math.floor(Math.random() * (2 * variation)) - variation : 0;
    const mid = Math.min(to - 1, Math.max(from + 1, from + Math.floor((to - from) / 2) + jitter));
    split(from, mid);
    split(mid, to);
  };
  if (end > start) split(start, end);
  return out;
}
