import { failbackFault } from './failback';
import type { Fault } from './fault';
import { freezeFault } from './freeze';
import { killProcessFault } from './kill_process';
import { networkFault } from './network';
import { powerCutFault } from './power_cut';
import { powerFlapFault } from './power_flap';
import { aimOf, isSiteRole, type AtSite, type FaultSpec, type SiteTarget } from '../../model/faults';
import { storageCutFault } from './storage_cut';
import { targetedFault } from './targeted';

/**
 * A fault object for a spec; `id` must be unique within the run (it names toxics). A spec aimed at
 * a role (`site: active`, `component: standby-san`) gives a fault that picks its target when it is
 * applied (chaos/faults/targeted.ts).
 */
export function createFault(id: string, spec: FaultSpec): Fault {
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`fault id "${id}": use letters, digits, '.', '_' or '-' (it names toxics and URLs)`);
  return aimOf(spec) ? targetedFault(id, spec, concreteFault) : concreteFault(id, spec);
}

/** The fault of a spec that names what it strikes. */
function concreteFault(id: string, spec: FaultSpec): Fault {
  switch (spec.kind) {
    case 'power_cut':
      return powerCutFault(id, atSite(spec.spec));
    case 'power_flap':
      return powerFlapFault(id, atSite(spec.spec));
    case 'storage_cut':
      return storageCutFault(id, atSite(spec.spec));
    case 'network':
      return networkFault(id, spec.spec);
    case 'freeze':
      return freezeFault(id, spec.spec);
    case 'kill_process':
      return killProcessFault(id, spec.spec);
    case 'failback':
      return failbackFault(id, spec.spec);
  }
}

function atSite<T extends { site: SiteTarget }>(spec: T): AtSite<T> {
  if (isSiteRole(spec.site)) throw new Error(`site "${spec.site}" is a role: resolve it first`);
  return spec as AtSite<T>;
}

export type { Fault, FaultContext, RevertStep } from './fault';
export { faultContext, toxicName } from './fault';
