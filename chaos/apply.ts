import type { Fault, FaultContext } from './faults/fault';
import { Journal } from './journal';

/**
 * Applying and reverting a fault with the journal discipline: the fault and its revert plan are
 * on disk before apply starts, and every outcome is written after. Both rethrow: the caller
 * decides what a failure means for the drill (a failed revert fails it). `onApplying` runs once the
 * journal is on disk, just before apply: the moment the fault is applied (t_fault).
 *
 * A fault aimed at a role (`site: active`) is resolved first, so that its journal line holds the
 * concrete target and the revert plan for it: resolve, journal, apply. A resolution that fails
 * (the controller did not answer) is journaled with an empty plan, nothing struck, and the apply
 * counts as failed.
 */
export async function applyFault(journal: Journal, fault: Fault, ctx: FaultContext, onApplying?: () => void): Promise<void> {
  let unresolved: { error: unknown } | undefined;
  await fault.resolve?.(ctx).catch((error: unknown) => (unresolved = { error }));
  journal.record(fault, ctx);
  onApplying?.();
  try {
    if (unresolved) throw unresolved.error;
    await fault.apply(ctx);
  } catch (e) {
    journal.mark(fault.id, 'apply-failed', e);
    throw e;
  }
  journal.mark(fault.id, 'applied');
}

export async function revertFault(journal: Journal, fault: Fault, ctx: FaultContext): Promise<void> {
  try {
    await fault.revert(ctx);
  } catch (e) {
    journal.mark(fault.id, 'revert-failed', e);
    throw e;
  }
  journal.mark(fault.id, 'reverted');
}
