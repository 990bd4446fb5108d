import type { RequestLog, ServiceName } from '../load/records';
import { SERVICES } from '../load/records';
import type { Conflict, ReadBack } from '../../model/figures/ledger';

export interface ReadBackTargets {
  /** Base URL per service through the front door: the site that is active now answers. */
  services: Record<ServiceName, string>;
  /** The active site's SAN admin, to list every key it holds (finds unexpected writes). */
  sanAdmin?: string;
}

export interface ReadBackResult {
  readBack: ReadBack[];
  unattemptedKeys: string[];
  conflicts: Conflict[];
  /** Keys whose read-back itself failed (network, 5xx): not judged, reported. */
  unreadable: string[];
}

interface LedgerEntry {
  key: string;
  seq: number;
  versions: number[];
  response?: { status?: number; body?: { meta?: { versionId?: string } } };
}

/**
 * After the load: every attempted write is looked up by its Idempotency-Key at the active site
 * (`GET /_ledger/:key`), every key the active SAN holds with this run's prefix is listed, and the
 * domain rules are re-checked on what the writes touched (a slot booked twice, a session overbooked).
 */
export async function readBack(log: RequestLog, targets: ReadBackTargets, runPrefix: string, concurrency = 16): Promise<ReadBackResult> {
  const writes: { key: string; service: ServiceName }[] = [];
  const seen = new Set<string>();
  for (const [i, key] of log.keys) {
    if (seen.has(key)) continue;
    seen.add(key);
    writes.push({ key, service: SERVICES[log.service[i]] });
  }
  const readBackList: ReadBack[] = [];
  const unreadable: string[] = [];
  const entries = new Map<string, LedgerEntry>();
  await pool(writes, concurrency, async ({ key, service }) => {
    const res = await get(`${targets.services[service]}/_ledger/${encodeURIComponent(key)}`);
    if (res.status === 404) readBackList.push({ key, present: false });
    else if (res.status === 200) {
      const entry = res.body as LedgerEntry;
      entries.set(key, entry);
      const version = Number(entry.response?.body?.meta?.versionId ?? entry.versions?.[entry.versions.length - 1] ?? 0);
      readBackList.push({ key, present: true, seq: entry.seq, version: version || undefined, appliedCount: 1 });
    } else unreadable.push(key);
  });

  let unattemptedKeys: string[] = [];
  if (targets.sanAdmin) {
    const res = await get(`${targets.sanAdmin}/keys`);
    if (res.status === 200) {
      unattemptedKeys = (res.body as { key: string }[]).map((k) => k.key).filter((k) => k.startsWith(runPrefix) && !seen.has(k));
    }
  }
  const conflicts = await domainConflicts(log, targets, entries, concurrency);
  return { readBack: readBackList, unattemptedKeys, conflicts, unreadable };
}

/** Slots booked more than once, sessions booked beyond their minutes, among what the run touched. */
async function domainConflicts(log: RequestLog, targets: ReadBackTargets, entries: Map<string, LedgerEntry>, concurrency: number): Promise<Conflict[]> {
  const slots = new Set<string>();
  const sessions = new Set<string>();
  for (const [i, key] of log.keys) {
    const op = log.opNames[log.op[i]];
    const body = (entries.get(key)?.response?.body ?? {}) as { slot?: { reference?: string }[]; session?: string };
    if (op === 'book_appointment' && body.slot?.[0]?.reference) slots.add(body.slot[0].reference.replace(/^Slot\//, ''));
    if (op === 'schedule_case' && typeof body.session === 'string') sessions.add(body.session.replace(/^Session\//, ''));
  }
  const conflicts: Conflict[] = [];
  await pool([...slots], concurrency, async (slot) => {
    const res = await get(`${targets.services.booking}/Appointment?slot=${encodeURIComponent(slot)}`);
    const booked = ((res.body as { entry?: { resource: { status: string; meta?: { tag?: { code: string }[] } } }[] }).entry ?? [])
      .map((e) => e.resource)
      .filter((a) => a.status === 'booked');
    if (booked.length > 1) {
      conflicts.push({ kind: 'slot-double-booked', id: slot, keys: booked.map((a) => a.meta?.tag?.[0]?.code ?? '?'), detail: `${booked.length} booked appointments` });
    }
  });
  await pool([...sessions], concurrency, async (session) => {
    const res = await get(`${targets.services.theatre}/Session/${encodeURIComponent(session)}`);
    const s = res.body as { minutes?: number; bookedMinutes?: number };
    if (res.status === 200 && (s.bookedMinutes ?? 0) > (s.minutes ?? Infinity)) {
      conflicts.push({ kind: 'session-overbooked', id: session, keys: [], detail: `${s.bookedMinutes} of ${s.minutes} minutes booked` });
    }
  });
  return conflicts;
}

async function get(url: string): Promise<{ status: number; body: unknown }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      const text = await res.text();
      if (res.status >= 500 && attempt < 2) throw new Error(`${res.status}`);
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    } catch (e) {
      if (attempt >= 2) return { status: 0, body: { error: (e as Error).message } };
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}
