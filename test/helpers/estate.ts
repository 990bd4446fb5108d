import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEstate, type Estate } from '../../services/runtime';
import type { EstateConfigInput } from '../../services/estate/config';
import { listSlots } from '../../services/booking/catalogue';
import { testNhsNumber } from '../../services/common/nhs_number';

/** Fast failover settings for tests: detection in about 300 ms. */
export const FAST_FAILOVER = { heartbeat_ms: 100, detect_after: 3, promotion_delay_ms: 100, hold_down_ms: 600_000 };

export function startTestEstate(config: EstateConfigInput = {}): Promise<Estate> {
  return startEstate({ failover: FAST_FAILOVER, ...config }, { stateRoot: mkdtempSync(join(tmpdir(), 'blackstart-estate-')) });
}

export const slots = listSlots();

export interface Reply {
  status: number;
  site: string | null;
  body: Record<string, unknown>;
}

export async function call(url: string, init: { method?: string; body?: unknown; key?: string } = {}): Promise<Reply> {
  try {
    const res = await fetch(url, {
      method: init.method ?? (init.body ? 'POST' : 'GET'),
      headers: { 'content-type': 'application/json', ...(init.key ? { 'idempotency-key': init.key } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    return { status: res.status, site: res.headers.get('x-blackstart-site'), body: text ? JSON.parse(text) : {} };
  } catch (e) {
    return { status: 0, site: null, body: { error: (e as Error).message } };
  }
}

export const book = (bookingBase: string, slot: string, patientIndex: number, key: string) =>
  call(`${bookingBase}/Appointment`, { body: { slot, patient: testNhsNumber(patientIndex) }, key });

export async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (performance.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const json = async (url: string, init?: RequestInit) => (await fetch(url, init)).json() as Promise<Record<string, unknown>>;

export async function controllerEvents(estate: Estate): Promise<{ type: string; site?: string; t: number }[]> {
  return (await fetch(`${estate.endpoints.controller}/events`)).json() as Promise<{ type: string; site?: string; t: number }[]>;
}

export async function setProxy(estate: Estate, name: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${estate.endpoints.proxyApi}/proxies/${name}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`proxy ${name}: ${res.status} ${await res.text()}`);
}

export async function addToxic(estate: Estate, proxy: string, toxic: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${estate.endpoints.proxyApi}/proxies/${proxy}/toxics`, { method: 'POST', body: JSON.stringify(toxic) });
  if (!res.ok) throw new Error(`toxic on ${proxy}: ${res.status} ${await res.text()}`);
}
