import { failbackFault } from './failback';
import type { Fault } from './fault';
import { freezeFault } from './freeze';
import { networkFault } from './network';
import { powerCutFault } from './power_cut';
import { powerFlapFault } from './power_flap';
import type { FaultSpec } from '../../model/faults';
import { storageCutFault } from './storage_cut';

/** A fault object for a resolved spec; `id` must be unique within the run (it names toxics). */
export function createFault(id: string, spec: FaultSpec): Fault {
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`fault id "${id}": use letters, digits, '.', '_' or '-' (it names toxics and URLs)`);
  switch (spec.kind) {
    case 'power_cut':
      return powerCutFault(id, spec.spec);
    case 'power_flap':
      return powerFlapFault(id, spec.spec);
    case 'storage_cut':
      return storageCutFault(id, spec.spec);
    case 'network':
      return networkFault(id, spec.spec);
    case 'freeze':
      return freezeFault(id, spec.spec);
    case 'failback':
      return failbackFault(id, spec.spec);
  }
}

export type { Fault, FaultContext, RevertStep } from './fault';
export { faultContext, toxicName } from './fault';
