import { noopAttributes } from '../../model/toxics';
import { defineToxic } from './toxic';

/** Passes everything through; a real Toxiproxy type, useful to test the chain itself. */
export const noop = defineToxic<Record<string, never>>({
  ...noopAttributes,
  pipe: (chunk, ctx) => ctx.next(chunk),
});
