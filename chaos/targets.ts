import { aimOf, nameAt, partRole, siteAt, specAt, standbyUnresolvable, type FaultSpec, type FaultTarget, type SiteRoles, type SiteTarget } from '../model/faults';
import { controllerClient } from '../services/controller/client';
import type { Estate } from '../services/runtime';
import { hasEndpoint } from '../model/estate_record';

/**
 * Targets by role, resolved (docs/ARCHITECTURE.md § 5): which site plays which role is what the
 * failover controller says at that moment (`GET /active`), not what the drill file assumed when
 * it was written. `active` is the site it names, `standby` the other of the estate's two serving
 * sites ('' where it has not two: a drill naming it is refused when read, model/faults.ts).
 */
export async function siteRoles(estate: Estate): Promise<SiteRoles & { epoch: number }> {
  if (!hasEndpoint(estate.endpoints.controller)) throw new Error('the estate has no failover controller to say which site is active (an external system: set estate.external.controller)');
  const now = await controllerClient(estate.endpoints.controller).active();
  const active = now.site;
  const serving = estate.servingSites;
  if (!serving.includes(active)) throw new Error(`the controller names "${active}" active: not a serving site of the estate (${serving.join(', ')})`);
  return { active, standby: serving.length === 2 ? serving.find((s) => s !== active)! : '', epoch: now.epoch };
}

/**
 * A spec aimed at a role made concrete: the spec to act on, and where it strikes as the journal
 * and result.json record it. Throws for a spec that names no role, and when the controller cannot
 * say which site is active (then nothing is struck).
 */
export async function resolveTarget(spec: FaultSpec, estate: Estate): Promise<{ spec: FaultSpec; target: FaultTarget }> {
  const aim = aimOf(spec);
  if (!aim) throw new Error(`a ${spec.kind} fault with fixed names has no role to resolve`);
  let roles: Awaited<ReturnType<typeof siteRoles>>;
  try {
    roles = await siteRoles(estate);
  } catch (e) {
    throw new Error(`cannot resolve ${aim.field}=${aim.role}: ${(e as Error).message}`);
  }
  const role = aim.field === 'site' ? aim.role : partRole(aim.role)?.role;
  if (role === 'standby' && !roles.standby) throw new Error(`cannot resolve ${aim.field}=${aim.role}: ${standbyUnresolvable(estate.servingSites)}`);
  const hit = aim.field === 'site' ? siteAt(aim.role as SiteTarget, roles) : nameAt(aim.role, roles);
  return { spec: specAt(spec, roles), target: { field: aim.field, role: aim.role, hit, active: roles.active, epoch: roles.epoch } };
}
