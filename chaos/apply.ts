import type { Fault, FaultContext } from './faults/fault';
import { Journal } from './journal';

/**
 * Applying and reverting a fault with the journal discipline: the fault and its revert plan are
 * on disk before apply starts, and every outcome is written after. Both rethrow: the caller
 * decides what a failure means for the drill (a failed revert fails it). `onApplying` runs once the
 * journal is on disk, just before apply: the moment the fault is applied (t_fault).
 */
export async function applyFault(journal: Journal, fault: Fault, ctx: FaultContext, onApplying?: () => void): Promise<void> {
  journal.record(fault, ctx);
  onApplying?.();
  try {
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
