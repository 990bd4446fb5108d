import type { Fault, FaultContext, RevertStep } from './fault';
import type { FreezeSpec } from './specs';

/**
 * A brown-out: the component stops being scheduled (SIGSTOP / docker pause) but keeps its
 * sockets open, so peers see a hang, not a refusal.
 */
export function freezeFault(id: string, spec: FreezeSpec): Fault {
  return {
    id,
    spec: { kind: 'freeze', spec },
    describe: () => `freeze ${spec.component}`,
    revertPlan: ({ estate }: FaultContext): RevertStep[] => {
      const component = estate.component(spec.component);
      // Not running now (no id): apply will refuse, and there is nothing another process could undo.
      if (estate.runtime === 'docker') return component.id ? [{ type: 'unpause', container: component.id, component: spec.component }] : [];
      // Refusing here (before apply) beats a journal that could not undo the freeze.
      if (estate.runtime !== 'process') throw new Error(`freeze ${spec.component}: no journaled revert for the ${estate.runtime} runtime`);
      const pid = Number(component.id);
      // Not running now: apply will refuse, and there is nothing another process could thaw.
      return Number.isInteger(pid) && pid > 0 ? [{ type: 'thaw', pid, component: spec.component }] : [];
    },
    apply: async ({ estate }) => {
      await estate.component(spec.component).freeze();
    },
    revert: async ({ estate }) => {
      await estate.component(spec.component).thaw();
    },
  };
}
