import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

const ms = (d: number) => z.number().int().min(0).default(d);

/** The estate's configuration (estate.yaml, or the `estate` block of a drill). Unknown keys are errors. */
export const estateConfigSchema = z
  .object({
    runtime: z.enum(['process', 'docker', 'external']).default('process'),
    host: z.string().default('127.0.0.1'),
    ports: z
      .object({
        /** Fixed ports from this base (the layout in topology.ts); omitted: free ports are picked. */
        base: z.number().int().min(1024).max(65000).optional(),
      })
      .strict()
      .default({}),
    /** Where the SANs keep their data and components their logs; default .blackstart/estates/<id>. */
    data_dir: z.string().optional(),
    replication: z
      .object({
        mode: z.enum(['sync', 'async']).default('sync'),
        on_peer_unreachable: z.enum(['block', 'async']).default('async'),
        sync_timeout_ms: ms(500),
      })
      .strict()
      .default({ mode: 'sync', on_peer_unreachable: 'async', sync_timeout_ms: 500 }),
    failover: z
      .object({
        heartbeat_ms: z.number().int().min(10).default(200),
        detect_after: z.number().int().min(1).default(5),
        promotion_delay_ms: ms(500),
        promotion: z.enum(['auto', 'manual', 'broken']).default('auto'),
        hold_down_ms: ms(30_000),
      })
      .strict()
      .default({ heartbeat_ms: 200, detect_after: 5, promotion_delay_ms: 500, promotion: 'auto', hold_down_ms: 30_000 }),
    san: z
      .object({
        /** Apps give up on the SAN after this: a hanging array is a 503, never a hung client. */
        timeout_ms: z.number().int().min(1).default(1000),
      })
      .strict()
      .default({ timeout_ms: 1000 }),
    frontdoor: z
      .object({ upstream_timeout_ms: z.number().int().min(1).default(5000) })
      .strict()
      .default({ upstream_timeout_ms: 5000 }),
  })
  .strict();

export type EstateConfig = z.infer<typeof estateConfigSchema>;
export type EstateConfigInput = z.input<typeof estateConfigSchema>;

/** Thrown for a bad estate file: names the file and each field with its reason. */
export class ConfigError extends Error {}

export function parseEstateConfig(input: unknown, source = 'estate config'): EstateConfig {
  const result = estateConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new ConfigError(`${source}: invalid estate configuration\n${lines.join('\n')}`);
}

export function loadEstateConfig(file: string): EstateConfig {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${file}: ${(e as Error).message}`);
  }
  return parseEstateConfig(raw, file);
}
