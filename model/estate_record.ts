import { join } from 'node:path';
import { z } from 'zod';
import { SERVICES, siteName } from './estate';

/**
 * What a runtime leaves on disk for another process: the estate record that `blackstart
 * down/status/restore` read to find an estate after the fact (`<dataDir>/estate.json`), and how a
 * frozen component is undone from the rollback journal. Both are read back by a process that did
 * not write them, so they are schemas: a corrupt record is an error naming the file and the field.
 */

const byService = z.record(z.enum(SERVICES), z.string());

/**
 * The estate's endpoints as the harness reaches them. An external system (runtime external) has
 * no front door admin, no app or SAN admin blackstart knows of unless its block names them, and
 * maybe no controller: those are '' (`hasEndpoint`).
 */
export const estateEndpointsSchema = z.object({
  /** The Toxiproxy API every link is configured through. */
  proxyApi: z.string(),
  controller: z.string(),
  /** The front door's own admin (not proxied). */
  frontdoorAdmin: z.string(),
  /** What clients use: the front door through its proxy, one base URL per service. */
  services: byService,
  /** Per serving site (the estate's names). */
  sites: z.record(siteName, z.object({ sanAdmin: z.string(), apps: byService })),
});
export type EstateEndpoints = z.infer<typeof estateEndpointsSchema>;

/** Whether an endpoint exists: '' is one an external system does not have (or did not name). */
export const hasEndpoint = (url: string | undefined): url is string => typeof url === 'string' && url !== '';

/** What serves the proxies: the embedded Toxiproxy-compatible server, or the real Toxiproxy (docker, where its image is present). */
export const proxyServerSchema = z.object({ kind: z.enum(['embedded', 'toxiproxy']), image: z.string().optional() });
export type ProxyServer = z.infer<typeof proxyServerSchema>;

/** The fields of every runtime's record. */
const recordBase = z.object({
  id: z.string(),
  dataDir: z.string(),
  startedAt: z.string(),
  /** The harness that started the estate: `down` and `restore` leave it to a live one. */
  harnessPid: z.number().int(),
  endpoints: estateEndpointsSchema,
  /** Component name -> OS pid; empty on the docker runtime. */
  pids: z.record(z.string(), z.number().int().optional()),
});

export const processEstateRecordSchema = recordBase.extend({ runtime: z.literal('process') });

export const dockerEstateRecordSchema = recordBase.extend({
  runtime: z.literal('docker'),
  /** The state directory the estate's record is under (its objects carry it as a label). */
  root: z.string(),
  network: z.string(),
  volumes: z.array(z.string()),
  /** Component name -> container name. */
  containers: z.record(z.string(), z.string()),
  proxyServer: proxyServerSchema,
});

/**
 * An external system's estate (runtime external): blackstart started only its embedded proxy
 * (`pids.proxy`); the system's own components are endpoints it never runs, so stopping the estate
 * stops the proxy and nothing else.
 */
export const externalEstateRecordSchema = recordBase.extend({ runtime: z.literal('external') });

/** A record of any runtime (`runtime` tells them apart). */
export const estateRecordSchema = z.discriminatedUnion('runtime', [processEstateRecordSchema, dockerEstateRecordSchema, externalEstateRecordSchema]);

export type ProcessEstateRecord = z.infer<typeof processEstateRecordSchema>;
export type DockerEstateRecord = z.infer<typeof dockerEstateRecordSchema>;
export type ExternalEstateRecord = z.infer<typeof externalEstateRecordSchema>;
export type EstateRecord = z.infer<typeof estateRecordSchema>;

/** The record's file name in the estate's data directory. */
export const ESTATE_RECORD_FILE = 'estate.json';

export const estateRecordFile = (dataDir: string): string => join(dataDir, ESTATE_RECORD_FILE);

/** A record that is not JSON or not a record: names the file and each field with its reason. */
export class EstateRecordError extends Error {}

/** The record in `text`, read from `file` (named in the error). */
export function parseEstateRecord(text: string, file: string): EstateRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new EstateRecordError(`${file}: invalid estate record: not JSON (${(e as Error).message})`);
  }
  const result = estateRecordSchema.safeParse(raw);
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new EstateRecordError(`${file}: invalid estate record: ${fields.join('; ')}`);
}

/**
 * How another process undoes a freeze (a journaled revert step): SIGCONT the pid the component had
 * (process runtime), or unpause its container by id (docker runtime).
 */
export const thawStepSchema = z
  .object({
    type: z.literal('thaw'),
    pid: z.number().int().positive(),
    component: z.string(),
    /** The component's mark (BLACKSTART_COMPONENT): its processes no longer under pid (a re-parented postmaster) are thawed by it. */
    mark: z.string().optional(),
  })
  .strict();
export const unpauseStepSchema = z.object({ type: z.literal('unpause'), container: z.string().min(1), component: z.string() }).strict();
export const freezeUndoSchema = z.discriminatedUnion('type', [thawStepSchema, unpauseStepSchema]);
export type FreezeUndo = z.infer<typeof freezeUndoSchema>;
