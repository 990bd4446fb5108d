import { join } from 'node:path';
import type { Estate } from '../../services/runtime';
import type { Fault, FaultContext, RevertStep } from './fault';
import type { PowerCutSpec } from './specs';

/**
 * What another process can do about a site left without power: stop the estate (it cannot
 * restart the site cold, see RevertStep 'stop-estate').
 */
export function stopEstatePlan(estate: Estate): RevertStep[] {
  return [{ type: 'stop-estate', estateId: estate.id, record: join(estate.dataDir, 'estate.json') }];
}

/**
 * A power interruption: every component of the site killed at once, no shutdown, no flush; the
 * revert is a cold start of each of them (the SAN first).
 */
export function powerCutFault(id: string, spec: PowerCutSpec): Fault {
  return {
    id,
    spec: { kind: 'power_cut', spec },
    describe: () => `power cut at ${spec.site}`,
    revertPlan: ({ estate }: FaultContext) => stopEstatePlan(estate),
    apply: async ({ estate }) => {
      // Synchronous: the kills go out back to back, nothing awaited in between.
      await estate.site(spec.site).powerCut();
    },
    revert: async ({ estate }) => {
      await estate.site(spec.site).restore();
    },
  };
}
