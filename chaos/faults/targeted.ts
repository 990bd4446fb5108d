import { aimOf, type FaultSpec, type FaultTarget } from '../../model/faults';
import { resolveTarget } from '../targets';
import type { Fault, FaultContext } from './fault';

/**
 * A fault aimed at a role (`site: active`, `component: standby-san`; model/faults.ts): until it is
 * applied it strikes nothing and plans nothing. `resolve` (chaos/apply.ts calls it just before the
 * journal line) asks the controller which site is active and builds the fault of the concrete spec
 * with `concrete`; from then on describe, the revert plan, apply and revert are that fault's. So a
 * revert undoes what the apply struck even if the roles changed in between, and a power flap
 * strikes the same site at every cut (it is resolved once, before its first).
 */
export function targetedFault(id: string, spec: FaultSpec, concrete: (id: string, spec: FaultSpec) => Fault): Fault {
  const aim = aimOf(spec);
  if (!aim) throw new Error(`fault ${id}: a ${spec.kind} with fixed names is not aimed at a role`);
  let struck: { fault: Fault; target: FaultTarget } | undefined;
  // Each application resolves afresh (revert the last one first): a failed resolution strikes nothing.
  const resolve = async (ctx: FaultContext) => {
    struck = undefined;
    const { spec: at, target } = await resolveTarget(spec, ctx.estate);
    struck = { fault: concrete(id, at), target };
  };
  return {
    id,
    spec,
    describe: () =>
      struck ? `${struck.fault.describe()} (${aim.field}: ${aim.role})` : `${spec.kind} at ${aim.field}=${aim.role} (resolved when applied)`,
    resolve,
    resolved: () => (struck ? { spec: struck.fault.spec, target: struck.target } : null),
    // Nothing struck yet, nothing to undo.
    revertPlan: (ctx) => struck?.fault.revertPlan(ctx) ?? [],
    apply: async (ctx) => {
      // Applied without chaos/apply (no journal): resolved here, at the same moment.
      if (!struck) await resolve(ctx);
      await struck!.fault.apply(ctx);
    },
    revert: async (ctx) => {
      await struck?.fault.revert(ctx);
    },
  };
}
