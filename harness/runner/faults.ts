import { applyFault, revertFault } from '../../chaos/apply';
import { createFault, type Fault, type FaultContext } from '../../chaos/faults';
import type { Journal } from '../../chaos/journal';
import { faultSpecOf } from '../drill/load';
import { faultName, type DrillFault } from '../drill/schema';

/** One fault of the drill as it happened: when it was applied and reverted, and what failed. */
export interface ScheduledFault {
  index: number;
  name: string;
  fault: Fault;
  plannedAtMs: number;
  /** Harness clock (performance.now()); null until applied. */
  appliedAt: number | null;
  revertedAt: number | null;
  error: string | null;
  revertError: string | null;
}

/**
 * The drill's faults on the load's clock: each applied at `t0 + at` through chaos/apply (journaled
 * before it is applied), and reverted after its `duration` / `restore_after`, or by `revertAll`.
 */
export class FaultSchedule {
  readonly faults: ScheduledFault[];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly applying = new Map<ScheduledFault, Promise<void>>();
  private readonly reverting = new Map<ScheduledFault, Promise<void>>();
  private cancelled = false;

  constructor(
    private readonly specs: DrillFault[],
    private readonly ctx: FaultContext,
    private readonly journal: Journal,
    private readonly print: (line: string) => void,
    private t0 = performance.now(),
  ) {
    this.faults = specs.map((f, index) => ({
      index,
      name: faultName(f, index),
      fault: createFault(`${index}-${faultName(f, index)}`, faultSpecOf(f)),
      plannedAtMs: f.at,
      appliedAt: null,
      revertedAt: null,
      error: null,
      revertError: null,
    }));
  }

  /** Arms every fault's timer, relative to `t0` (the start of the load). */
  start(t0: number): void {
    this.t0 = t0;
    for (const f of this.faults) {
      const spec = this.specs[f.index];
      this.timers.push(
        setTimeout(() => {
          const applying = this.apply(f).then(() => {
            const after = spec.restore_after ?? spec.duration;
            if (after !== undefined && !this.cancelled) this.timers.push(setTimeout(() => void this.revert(f), after));
          });
          this.applying.set(f, applying);
        }, Math.max(0, t0 + spec.at - performance.now())),
      );
    }
  }

  /** No fault applied or reverted on schedule from now on (the drill is stopping). */
  cancel(): void {
    this.cancelled = true;
    this.timers.forEach(clearTimeout);
  }

  /** Every applied fault still in place reverted, last first; one still applying is reverted once its apply returns. */
  async revertAll(): Promise<void> {
    this.cancel();
    for (const f of [...this.faults].reverse()) {
      await this.applying.get(f)?.catch(() => {});
      await this.revert(f);
    }
  }

  applied(): ScheduledFault[] {
    return this.faults.filter((f) => f.appliedAt !== null);
  }

  /** "faults: a, b" for the progress line; '' when none is active. */
  describeActive(): string {
    const active = this.faults.filter((f) => f.appliedAt !== null && f.revertedAt === null).map((f) => f.name);
    return active.length ? `faults: ${active.join(', ')}` : '';
  }

  private at(t: number): string {
    return `t=${((t - this.t0) / 1000).toFixed(1)}s`;
  }

  private async apply(f: ScheduledFault): Promise<void> {
    const applying = () => {
      f.appliedAt = performance.now();
      this.print(`${this.at(f.appliedAt)} apply ${f.fault.describe()}`);
    };
    try {
      await applyFault(this.journal, f.fault, this.ctx, applying);
    } catch (e) {
      f.error = (e as Error).message;
      this.print(`fault ${f.name} failed to apply: ${f.error}`);
    }
  }

  /**
   * A revert once started is one promise, which `revertAll` awaits too: a power restore still
   * starting the site's components when the load ends (a docker node's crash recovery takes
   * seconds) must finish before the read-back, the residue check and the estate's stop, which would
   * otherwise stop the components it is starting ("the estate was stopped").
   */
  private revert(f: ScheduledFault): Promise<void> {
    const running = this.reverting.get(f);
    if (running) return running;
    if (f.appliedAt === null || f.revertedAt !== null) return Promise.resolve();
    const reverting = this.revertNow(f);
    this.reverting.set(f, reverting);
    return reverting;
  }

  private async revertNow(f: ScheduledFault): Promise<void> {
    f.revertedAt = performance.now();
    try {
      await revertFault(this.journal, f.fault, this.ctx);
      this.print(`${this.at(f.revertedAt)} revert ${f.name}`);
    } catch (e) {
      f.revertError = (e as Error).message;
      this.print(`fault ${f.name} failed to revert: ${f.revertError}`);
    }
  }
}
