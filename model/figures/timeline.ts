/** The timeline figure: per-service buckets of outcomes, throughput and latency percentiles, for the charts (docs/ARCHITECTURE.md § Figures). */
import { z } from 'zod';
import { figureMetaSchema } from './figure';

/**
 * The bucketed timeline (docs/ARCHITECTURE.md § 7): what each service saw, bucket by bucket, for the charts and
 * for reading a drill by eye. Counts go by SCHEDULED time: a request belongs to the moment it was
 * due, so requests due during an outage show there even if they ended (or were dropped) later.
 */
export const bucketSchema = z.object({
  /** Bucket start (ms, harness clock); the bucket is [t, t + its width). */
  t: z.number(),
  /** Requests due in the bucket that actually started (ok + fail + info). */
  started: z.number().int(),
  ok: z.number().int(),
  fail: z.number().int(),
  info: z.number().int(),
  dropped: z.number().int(),
  /** ok / (ok + fail + info + dropped); null when nothing was due. */
  successRatio: z.number().nullable(),
  /** ok responses whose END falls in the bucket, per second of the bucket. */
  throughput: z.number(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
});
export type Bucket = z.infer<typeof bucketSchema>;

export const timelineSchema = figureMetaSchema.extend({
  t0: z.number(),
  t1: z.number(),
  bucketMs: z.number(),
  byService: z.record(z.string(), z.array(bucketSchema)),
  all: z.array(bucketSchema),
});
export type Timeline = z.infer<typeof timelineSchema>;
