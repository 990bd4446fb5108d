import type { Toxiproxy } from 'toxiproxy-node-client';
import { estateRecordFile } from '../../model/estate_record';
import type { Estate } from '../../services/runtime';
import type { Fault, FaultContext, RevertStep } from './fault';
import { toxicName } from './fault';
import { addToxic, removeToxic } from './proxy_ops';
import type { AtSite, PowerCutSpec, Site } from '../../model/faults';

/**
 * What another process can do about a site left without power: stop the estate (it cannot
 * restart the site cold, see RevertStep 'stop-estate').
 */
export function stopEstatePlan(estate: Estate): RevertStep[] {
  return [{ type: 'stop-estate', estateId: estate.id, record: estateRecordFile(estate.dataDir) }];
}

/** A toxic of a site's power loss, on one of its links. */
export interface DarkLink {
  proxy: string;
  toxic: string;
  stream: 'upstream' | 'downstream';
}

/** In a power loss's toxic names (`blackstart-<fault>-dark-<stream>`), so a site left down on purpose can tell them from leftovers. */
export const DARK = 'dark';

/** How long a dark link holds a connection whose far end died: longer than any drill; lighting the link closes it. */
export const HOLD_MS = 24 * 3600 * 1000;

/**
 * A host that loses power sends nothing more: no FIN, no RST. A killed process's kernel closes its
 * connections at once and every client is told straight away, which a power cut never does. So
 * before the kill the site's links go dark: on each, the close coming back from the dead end is
 * held (`slow_close`, downstream) and what clients send is swallowed (`timeout` 0, upstream, so
 * nothing is written into the dead socket). A request already on a connection to the site then
 * waits for its own timeout, as it would in the data centre. A new connection is refused (the
 * proxy dials a dead port): at once on the process runtime; on docker mostly, but for up to about
 * a second after the cut a dial by name may wait instead, while a killed container's address is
 * gone and its name still resolves (README, bench:runtime: measured per request).
 */
export function darkLinks(faultId: string, estate: Estate, site: Site): DarkLink[] {
  // The links whose far end is at the site (Estate.siteLinks): not those the failover re-points.
  return estate.siteLinks(site).power.flatMap((proxy) =>
    (['downstream', 'upstream'] as const).map((stream) => ({ proxy, stream, toxic: toxicName(faultId, `${DARK}-${stream}`) })),
  );
}

export async function goDark(toxiproxy: Toxiproxy, links: DarkLink[]): Promise<void> {
  await Promise.all(
    links.map((l) =>
      l.stream === 'downstream'
        ? addToxic(toxiproxy, l.proxy, { name: l.toxic, type: 'slow_close', stream: l.stream, toxicity: 1, attributes: { delay: HOLD_MS } })
        : addToxic(toxiproxy, l.proxy, { name: l.toxic, type: 'timeout', stream: l.stream, toxicity: 1, attributes: { timeout: 0 } }),
    ),
  );
}

/** Idempotent: a toxic already gone is fine. */
export async function lightUp(toxiproxy: Toxiproxy, links: DarkLink[]): Promise<void> {
  await Promise.all(links.map((l) => removeToxic(toxiproxy, l.proxy, l.toxic)));
}

/**
 * The variables of a power hook (an estate that cuts power through hooks, runtime external):
 * `${site}` and `${fault}`.
 */
const powerVars = (site: Site, faultId: string) => ({ site, fault: faultId });

/**
 * The dark links' toxics removed (the estate may still be running), then the estate stopped. On an
 * estate that cuts power through hooks: its power_cut rollback hook, as the journal keeps it (the
 * system's links are not blackstart's to darken, nor its estate to stop).
 */
export function powerRevertPlan(estate: Estate, site: Site, faultId: string): RevertStep[] {
  if (estate.hooks?.of('power_cut')) return [estate.hooks.rollbackStep('power_cut', powerVars(site, faultId))];
  const proxyApi = estate.endpoints.proxyApi;
  return [...darkLinks(faultId, estate, site).map((l): RevertStep => ({ type: 'remove-toxic', proxyApi, proxy: l.proxy, toxic: l.toxic })), ...stopEstatePlan(estate)];
}

/**
 * Cuts the power: the links go dark first, then every component of the site is killed at once. On
 * an estate that cuts power through hooks, the power_cut inject hook (and its status probe).
 */
export async function cutPower(ctx: FaultContext, site: Site, faultId: string): Promise<void> {
  if (ctx.estate.hooks?.of('power_cut')) return ctx.estate.hooks.inject('power_cut', powerVars(site, faultId));
  await goDark(ctx.toxiproxy, darkLinks(faultId, ctx.estate, site));
  await ctx.estate.site(site).powerCut();
}

/**
 * Power back: the links first (a held connection then ends, its far end gone), then a cold start.
 * Through hooks: the power_cut rollback hook (and its rollback_status probe).
 */
export async function restorePower(ctx: FaultContext, site: Site, faultId: string): Promise<void> {
  if (ctx.estate.hooks?.of('power_cut')) return ctx.estate.hooks.rollback('power_cut', powerVars(site, faultId));
  await lightUp(ctx.toxiproxy, darkLinks(faultId, ctx.estate, site));
  await ctx.estate.site(site).restore();
}

/**
 * A power interruption: the site's links go dark and every component of the site is killed at
 * once, no shutdown, no flush; the revert lights the links and cold-starts each component (the
 * SAN first).
 */
export function powerCutFault(id: string, spec: AtSite<PowerCutSpec>): Fault {
  return {
    id,
    spec: { kind: 'power_cut', spec },
    describe: () => `power cut at ${spec.site}`,
    revertPlan: ({ estate }: FaultContext) => powerRevertPlan(estate, spec.site, id),
    apply: (ctx) => cutPower(ctx, spec.site, id),
    revert: (ctx) => restorePower(ctx, spec.site, id),
  };
}
