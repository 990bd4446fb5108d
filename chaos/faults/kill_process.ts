import type { KillProcessSpec } from '../../model/faults';
import type { Fault, FaultContext, RevertStep } from './fault';
import { stopEstatePlan } from './power_cut';

/**
 * One named process of a component killed (SIGKILL), the rest of it left running: Patroni dying
 * while its postmaster goes on serving. What the component does about it is its own business (a
 * supervisor may restart what died); the revert starts again what died where nothing else did
 * (`reviveProcess`: the component where its top process died, on docker the container's command
 * inside it where the container outlived the process): Patroni started again finds its postmaster
 * running and takes it over. Another process cannot start a component of this estate, so the journaled
 * rollback is the power cut's: stop the estate (every process, the ones left running included).
 */
export function killProcessFault(id: string, spec: KillProcessSpec): Fault {
  return {
    id,
    spec: { kind: 'kill_process', spec },
    describe: () => `kill ${spec.process} of ${spec.component}`,
    revertPlan: ({ estate }: FaultContext): RevertStep[] => stopEstatePlan(estate),
    apply: async ({ estate }) => {
      const component = estate.component(spec.component);
      if (!component.killProcess || !component.reviveProcess) throw new Error(`${spec.component}: its runtime cannot kill one of its processes (the process and docker runtimes can)`);
      await component.killProcess(spec.process);
    },
    revert: async ({ estate }) => {
      await estate.component(spec.component).reviveProcess?.(spec.process);
    },
  };
}
