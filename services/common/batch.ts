import { z } from 'zod';
import type { Router } from './http';
import { HttpError, errorReply, operationOutcome } from './outcome';

/** A FHIR R4 `batch` Bundle as the apps take it: each entry a request (read-only here). */
const batchBundle = z.object({
  resourceType: z.literal('Bundle'),
  type: z.string(),
  entry: z
    .array(z.object({ request: z.object({ method: z.string(), url: z.string().min(1) }) }))
    .max(1000)
    .default([]),
});

/**
 * `POST /` with a `batch` Bundle: each entry's GET is run through the app's own routes, in order,
 * independently (an entry that fails does not fail the others), and answered in a `batch-response`
 * Bundle: `response.status`, the resource (a read or a search Bundle) or the entry's
 * OperationOutcome. Writes in a batch, and `transaction` Bundles, are not supported.
 */
export function addBatchRoute(router: Router): void {
  router.post('/', { body: batchBundle }, async ({ body, headers }) => {
    if (body.type !== 'batch') throw new HttpError(400, 'not-supported', `Bundle.type '${body.type}' is not supported: only batch (no transaction)`);
    const entry = [];
    for (const e of body.entry) {
      if (e.request.method.toUpperCase() !== 'GET') {
        const outcome = operationOutcome([{ severity: 'error', code: 'not-supported', diagnostics: `batch entries may only GET, not ${e.request.method}` }]);
        entry.push({ response: { status: '405', outcome } });
        continue;
      }
      const url = '/' + e.request.url.replace(/^\/+/, '');
      const reply = await router.dispatch('GET', url, { accept: headers.accept }).catch(errorReply);
      const etag = reply.headers?.ETag;
      entry.push(
        reply.status < 300
          ? { resource: reply.body, response: { status: String(reply.status), ...(etag ? { etag } : {}) } }
          : { response: { status: String(reply.status), outcome: reply.body } },
      );
    }
    return { status: 200, body: { resourceType: 'Bundle', type: 'batch-response', entry } };
  });
}
