import type { Fault } from './fault';
import { hasEndpoint } from '../../model/estate_record';
import type { FailbackSpec } from '../../model/faults';

/**
 * A planned switchover through the failover controller (`POST /failback`): fence the active
 * site, let the other catch up, promote it. Nothing to revert: it is an operation, scheduled and
 * measured like a fault so its own interruption is reported.
 */
export function failbackFault(id: string, spec: FailbackSpec): Fault {
  return {
    id,
    spec: { kind: 'failback', spec },
    describe: () => 'planned failback to the other site',
    revertPlan: () => [],
    apply: async ({ estate }) => {
      if (!hasEndpoint(estate.endpoints.controller)) throw new Error('failback needs the failover controller: the estate has none (estate.external.controller)');
      const res = await fetch(`${estate.endpoints.controller}/failback`, { method: 'POST', signal: AbortSignal.timeout(30_000) });
      const body = (await res.json()) as { ok?: boolean; detail?: string };
      if (!res.ok || !body.ok) throw new Error(`failback refused: ${body.detail ?? res.status}`);
    },
    revert: async () => {},
  };
}
