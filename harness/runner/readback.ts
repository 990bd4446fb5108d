import type { ControllerEvent } from '../../model/controller';
import { hasEndpoint } from '../../model/estate_record';
import { controllerClient } from '../../services/controller/client';
import type { Estate } from '../../services/runtime';
import type { RequestLog, ServiceName } from '../load/records';
import type { Ledger } from '../../model/figures/ledger';
import { ledger } from '../verify/ledger';
import { readBack } from '../verify/readback';
import { describeFhirReadBack, fhirReadBack } from '../verify/fhir_readback';

/**
 * After the load: let the estate settle, then read every write back from the site that is active
 * now and judge it (the write ledger, docs/ARCHITECTURE.md § 7), with RPO measured from the faults that took
 * the primary away.
 */
export async function readBackPhase(
  estate: Estate,
  o: {
    log: RequestLog;
    runId: string;
    settleMs: number;
    appliedAt: number[];
    /** load.workload fhir: read back by FHIR identifier search on these bases instead of /_ledger (§ 7.9). */
    fhir?: { bases: Record<ServiceName, string>; identifierSystem: string };
  },
): Promise<{ events: ControllerEvent[]; ledger: Ledger }> {
  await settle(estate, o.settleMs);
  // An external system may have no controller blackstart can ask (the run notes it): no events, no active site.
  const controller = hasEndpoint(estate.endpoints.controller) ? controllerClient(estate.endpoints.controller) : undefined;
  // A controller that cannot answer leaves the figures without its events, not the drill without a ledger.
  const events = controller ? await controller.events().catch(() => []) : [];
  const active = controller ? await controller.active().then((a) => a.site, () => undefined) : undefined;
  const sanAdmin = active !== undefined ? estate.endpoints.sites[active]?.sanAdmin || undefined : undefined;
  const fhirBack = o.fhir ? await fhirReadBack(o.log, { ...o.fhir, runPrefix: o.runId }) : undefined;
  const back = fhirBack ?? (await readBack(o.log, { services: estate.endpoints.services, sanAdmin }, o.runId));
  const promotions = events.filter((e) => e.type === 'promote').map((e) => e.t - performance.timeOrigin);
  const judged = ledger(o.log, {
    readBack: back.readBack,
    unattemptedKeys: back.unattemptedKeys,
    conflicts: back.conflicts,
    tFault: o.appliedAt[0] ?? performance.now(),
    lossFaults: faultsFollowedBy(o.appliedAt, promotions),
  });
  return { events, ledger: fhirBack ? describeFhirReadBack(judged, fhirBack) : judged };
}

/**
 * The faults that took the primary away: those with a promotion between their application and the
 * next fault's. Where none was followed by one, every fault (RPO from the first after each write).
 */
export function faultsFollowedBy(appliedAt: number[], promotions: number[]): number[] {
  const sorted = [...appliedAt].sort((a, b) => a - b);
  const losing = sorted.filter((t, k) => promotions.some((p) => p >= t && p < (sorted[k + 1] ?? Infinity)));
  return losing.length ? losing : sorted;
}

/**
 * Waits `ms`, then up to 30 s more for every service the estate serves to answer ready through the
 * front door (at the estate's `readyPath`; an estate that has none is only waited for).
 */
async function settle(estate: Estate, ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  const path = estate.readyPath;
  if (path === null) return;
  const deadline = performance.now() + 30_000;
  for (const url of Object.values(estate.endpoints.services).filter(hasEndpoint)) {
    while (performance.now() < deadline) {
      const ok = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
