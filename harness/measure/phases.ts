import { type FaultSpan, type PhaseName, type Range } from '../../model/figures/phases';
import { ALL } from './scope';

/**
 * The phases of one fault (model/figures/phases.ts): before = [run start, t_fault), during =
 * [t_fault, t_recovered), after = [t_recovered, run end). When the scope never recovered, during
 * runs to the end and after is empty. Phases of several faults are each relative to the whole run
 * (the brief's definition), so "before" of a second fault includes the first one.
 */

/** The phases of `fault` for one scope (a service name or 'all'). */
export function faultPhases(run: Range, fault: FaultSpan, scope: string = ALL): Record<PhaseName, Range> {
  const own = scope === ALL ? undefined : fault.tRecoveredByService?.[scope];
  const recovered = own !== undefined ? own : fault.tRecovered;
  const clamp = (t: number) => Math.min(run.to, Math.max(run.from, t));
  const tFault = clamp(fault.tFault);
  const tRecovered = recovered === null ? run.to : clamp(Math.max(recovered, fault.tFault));
  return {
    before: { from: run.from, to: tFault },
    during: { from: tFault, to: tRecovered },
    after: { from: tRecovered, to: run.to },
  };
}
