import { z } from 'zod';
import { defineToxic } from './toxic';

/** Passes everything through; a real Toxiproxy type, useful to test the chain itself. */
export const noop = defineToxic<Record<string, never>>({
  type: 'noop',
  attributeNames: [],
  schema: z.object({}) as unknown as z.ZodType<Record<string, never>>,
  pipe: (chunk, ctx) => ctx.next(chunk),
});
