import type { Fault, FaultContext, RevertStep } from './fault';
import type { FreezeSpec } from '../../model/faults';

/**
 * A brown-out: the component stops being scheduled (SIGSTOP / docker pause) but keeps its
 * sockets open, so peers see a hang, not a refusal. On an estate that freezes through hooks
 * (runtime external), its freeze hooks with `${component}` (and `${site}`, `${fault}`), the
 * rollback journaled before the inject.
 */
export function freezeFault(id: string, spec: FreezeSpec): Fault {
  const hookVars = { component: spec.component, fault: id };
  return {
    id,
    spec: { kind: 'freeze', spec },
    describe: () => `freeze ${spec.component}`,
    // How another process undoes it, as the component's runtime says (empty when it is not
    // running now: apply will refuse, and there is nothing to undo).
    revertPlan: ({ estate }: FaultContext): RevertStep[] =>
      estate.hooks?.of('freeze') ? [estate.hooks.rollbackStep('freeze', hookVars)] : estate.component(spec.component).freezeUndo(),
    apply: async ({ estate }) => {
      if (estate.hooks?.of('freeze')) return estate.hooks.inject('freeze', hookVars);
      await estate.component(spec.component).freeze();
    },
    revert: async ({ estate }) => {
      if (estate.hooks?.of('freeze')) return estate.hooks.rollback('freeze', hookVars);
      await estate.component(spec.component).thaw();
    },
  };
}
