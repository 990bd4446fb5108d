import type { SanStatus, Storage } from '../san/storage';
import type { Router } from './http';
import { HttpError, notFound } from './outcome';
import { withTimeout } from '../../lib/timeout';

export interface ProbeOptions {
  site: string;
  storage: Storage;
  /** A SAN that hangs must make the app unready, not hang the probe: the failover controller is waiting. */
  readyTimeoutMs?: number;
}

/** Liveness, readiness, and the verification API's view of the idempotency ledger. */
export function addProbeRoutes(router: Router, { site, storage, readyTimeoutMs = 2_000 }: ProbeOptions): void {
  router.get('/health/live', {}, async () => ({ status: 200, body: { status: 'live', site } }));

  router.get('/health/ready', {}, async () => {
    let san: SanStatus;
    try {
      san = await withTimeout(storage.status(), readyTimeoutMs, `SAN did not answer within ${readyTimeoutMs} ms`);
    } catch (err) {
      throw notReady(`SAN unreachable: ${(err as Error).message}`);
    }
    if (san.role !== 'primary') throw notReady(`SAN is ${san.role} (epoch ${san.epoch}), not primary: site ${site} is not active`);
    return { status: 200, body: { status: 'ready', site, san } };
  });

  router.get('/_ledger/:key', {}, async ({ params }) => {
    const result = await storage.lookupIdempotencyKey(params.key);
    if (!result) throw notFound(`no write with Idempotency-Key '${params.key}'`);
    return { status: 200, body: { key: params.key, seq: result.seq, versions: result.versions, response: result.response } };
  });
}

const notReady = (reason: string) => new HttpError(503, 'transient', `not ready: ${reason}`);
