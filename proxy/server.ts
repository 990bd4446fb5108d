import { readFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createApi } from './api';
import { ProxyCollection } from './collection';
import { ApiError } from './errors';
import { configEntry, describeIssue } from './schemas';

/** How long one API request's headers and body may take to arrive. */
export const API_REQUEST_TIMEOUT_MS = 30_000;
/** Open connections to the API at most. */
export const API_MAX_CONNECTIONS = 1000;

export interface ProxyServerOptions {
  host?: string;
  port?: number;
  /** Path of a JSON file in /populate format; each entry may carry `toxics` to apply. */
  config?: string;
  log?: (line: string) => void;
}

export interface ProxyServer {
  /** Base URL of the API, e.g. http://127.0.0.1:8474 */
  readonly url: string;
  readonly port: number;
  readonly collection: ProxyCollection;
  close(): Promise<void>;
}

/** Starts the Toxiproxy-compatible server: the API on 127.0.0.1:8474 unless told otherwise. */
export async function startProxyServer(options: ProxyServerOptions = {}): Promise<ProxyServer> {
  const collection = new ProxyCollection();
  const log = options.log ?? (() => {});
  if (options.config) await applyConfig(collection, options.config, log);
  const handle = createApi(collection);
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      log(`api error: ${(err as Error).message}`);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  // A request whose headers or body never finish is answered 408 and closed (Node's defaults: 60 s
  // and 300 s); an API body of at most 1 MiB takes milliseconds. Beyond API_MAX_CONNECTIONS open API
  // connections a new one is closed at once: the descriptors are the proxies' links'.
  server.headersTimeout = API_REQUEST_TIMEOUT_MS;
  server.requestTimeout = API_REQUEST_TIMEOUT_MS;
  server.maxConnections = API_MAX_CONNECTIONS;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 8474 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    collection,
    close: async () => {
      collection.stopAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Applies a `--config` file. Unlike Toxiproxy (which logs and runs on), a config that cannot be
 * read or validated is refused: a drill must not start with half its links missing.
 */
export async function applyConfig(collection: ProxyCollection, file: string, log: (line: string) => void): Promise<void> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const result = z.array(configEntry).safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${file}: [${issue.path.join('.')}] ${describeIssue(issue)}`);
  }
  try {
    const outcome = await collection.populate(result.data, { applyToxics: true });
    if (outcome.error) throw outcome.error;
    log(`config ${file}: ${outcome.proxies.length} proxies`);
  } catch (err) {
    const where = err instanceof ApiError ? `${err.status} ` : '';
    throw new Error(`${file}: ${where}${(err as Error).message}`);
  }
}
