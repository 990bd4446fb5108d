import { z } from 'zod';

/**
 * The statistics a gate may name (`stat:` in a drill's gates) and the aggregate of repeated runs
 * reports (docs/ARCHITECTURE.md § 7.14). Kept apart from model/aggregate.ts so that the result of a
 * single run (model/result.ts) can name a gate's statistic without importing the aggregate.
 */
export const STATS = ['min', 'median', 'p90', 'max', 'mean'] as const;
export const statSchema = z.enum(STATS);
export type Stat = z.infer<typeof statSchema>;
