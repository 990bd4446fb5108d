import type { ICreateToxicBody, Proxy as ClientProxy, Toxiproxy } from 'toxiproxy-node-client';
import { withTimeout } from '../../lib/timeout';

/**
 * The proxy changes faults make, only through toxiproxy-node-client so that the same code drives
 * the embedded server and a real Toxiproxy. Removal and enabling tolerate "already so": reverts
 * must be repeatable.
 */

/** The client reports HTTP errors only as a message ("Request failed with status code 404"). */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof ProxyApiError) return err.status;
  const m = /status code (\d{3})/.exec((err as Error)?.message ?? '');
  return m ? Number(m[1]) : undefined;
}

/** A proxy API call failed: `status` is the HTTP status, undefined when the API did not answer. */
export class ProxyApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/** Every call here is bounded: the client sets no timeout of its own. */
export const PROXY_API_TIMEOUT_MS = 10_000;

export async function getProxy(toxiproxy: Toxiproxy, name: string): Promise<ClientProxy> {
  try {
    return await within(PROXY_API_TIMEOUT_MS, `GET ${toxiproxy.host}/proxies/${name}`, toxiproxy.get(name));
  } catch (e) {
    const status = httpStatusOf(e);
    if (status === 404) throw new ProxyApiError(`no proxy named ${name} on ${toxiproxy.host}`, 404);
    throw new ProxyApiError(`proxy ${name} on ${toxiproxy.host}: ${(e as Error).message}`, status);
  }
}

export async function addToxic<T>(toxiproxy: Toxiproxy, proxyName: string, body: ICreateToxicBody<T>): Promise<void> {
  const proxy = await getProxy(toxiproxy, proxyName);
  try {
    await within(PROXY_API_TIMEOUT_MS, `POST ${proxy.getPath()}/toxics`, proxy.addToxic(body));
  } catch (e) {
    throw new ProxyApiError(`adding ${body.type} toxic ${body.name} to ${proxyName}: ${(e as Error).message}`, httpStatusOf(e));
  }
}

/** Removes a toxic; false when it was not there (never added, already removed, no such proxy). */
export async function removeToxic(toxiproxy: Toxiproxy, proxyName: string, toxic: string): Promise<boolean> {
  const proxy = await getProxy(toxiproxy, proxyName).catch(absentAs(undefined));
  if (!proxy) return false;
  try {
    await within(PROXY_API_TIMEOUT_MS, `DELETE ${proxy.getPath()}/toxics/${toxic}`, proxy.getToxic(toxic).then((t) => t.remove()));
    return true;
  } catch (e) {
    if (httpStatusOf(e) === 404) return false;
    throw new ProxyApiError(`removing toxic ${toxic} from ${proxyName}: ${(e as Error).message}`, httpStatusOf(e));
  }
}

/**
 * Enables or disables a proxy; returns whether it changed. Only `enabled` is sent (Toxiproxy
 * keeps unsent fields): sending back listen/upstream as read would race the failover controller,
 * which re-points the heartbeat and replication proxies during a promotion.
 */
export async function setEnabled(toxiproxy: Toxiproxy, proxyName: string, enabled: boolean): Promise<boolean> {
  // A proxy that does not exist is not left disabled: enabling it is done already.
  const proxy = await getProxy(toxiproxy, proxyName).catch(enabled ? absentAs(undefined) : rethrow);
  if (!proxy || proxy.enabled === enabled) return false;
  try {
    await within(PROXY_API_TIMEOUT_MS, `POST ${proxy.getPath()}`, proxy.update({ enabled } as Parameters<ClientProxy['update']>[0]));
    return true;
  } catch (e) {
    throw new ProxyApiError(`${enabled ? 'enabling' : 'disabling'} proxy ${proxyName}: ${(e as Error).message}`, httpStatusOf(e));
  }
}

export interface ProxyState {
  name: string;
  enabled: boolean;
  toxics: { name: string; type: string; stream: string; attributes: unknown }[];
}

/**
 * Every proxy with its toxics. The client's Proxy objects drop the toxics list, so this reads
 * GET /proxies through the client's own HTTP client.
 */
export async function listProxies(toxiproxy: Toxiproxy): Promise<ProxyState[]> {
  const res = await within(PROXY_API_TIMEOUT_MS, `GET ${toxiproxy.host}/proxies`, toxiproxy.getApi().get<Record<string, ProxyState>>(`${toxiproxy.host}/proxies`));
  return Object.values(res.data ?? {}).map((p) => ({ name: p.name, enabled: p.enabled, toxics: p.toxics ?? [] }));
}

/**
 * A proxy server that is paused (or a host that drops packets) would otherwise hold a revert, a
 * restore or a residue check forever.
 */
export function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  return withTimeout(work, ms, () => new ProxyApiError(`${what}: no answer within ${ms} ms`, undefined));
}

const absentAs =
  <T>(value: T) =>
  (e: unknown): T => {
    if (httpStatusOf(e) === 404) return value;
    throw e;
  };
const rethrow = (e: unknown): never => {
  throw e;
};
