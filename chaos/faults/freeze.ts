import type { Fault, FaultContext, RevertStep } from './fault';
import type { FreezeSpec } from '../../model/faults';

/**
 * A brown-out: the component stops being scheduled (SIGSTOP / docker pause) but keeps its
 * sockets open, so peers see a hang, not a refusal.
 */
export function freezeFault(id: string, spec: FreezeSpec): Fault {
  return {
    id,
    spec: { kind: 'freeze', spec },
    describe: () => `freeze ${spec.component}`,
    // How another process undoes it, as the component's runtime says (empty when it is not
    // running now: apply will refuse, and there is nothing to undo).
    revertPlan: ({ estate }: FaultContext): RevertStep[] => estate.component(spec.component).freezeUndo(),
    apply: async ({ estate }) => {
      await estate.component(spec.component).freeze();
    },
    revert: async ({ estate }) => {
      await estate.component(spec.component).thaw();
    },
  };
}
