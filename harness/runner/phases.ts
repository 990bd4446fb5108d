import { RUN_PHASES, type RunPhase, type RunPhaseName } from '../../model/run_phase';

/**
 * Runs the drill's phases and keeps one record of each (start, end, status, error), as Chaos
 * Toolkit journals a run: the result says how far a drill got, however it ended.
 */
export class PhaseJournal {
  private readonly records = new Map<RunPhaseName, RunPhase>();

  async run<T>(name: RunPhaseName, work: () => Promise<T> | T): Promise<T> {
    const startedAt = new Date();
    const t = performance.now();
    const record = (status: RunPhase['status'], error: string | null) =>
      this.records.set(name, { name, status, startedAt: startedAt.toISOString(), endedAt: new Date().toISOString(), durationMs: performance.now() - t, error });
    try {
      const value = await work();
      record('ok', null);
      return value;
    } catch (e) {
      record('failed', (e as Error).message);
      throw e;
    }
  }

  /** Every phase in order; one that never ran is `skipped`. */
  list(): RunPhase[] {
    return RUN_PHASES.map((name) => this.records.get(name) ?? { name, status: 'skipped', startedAt: null, endedAt: null, durationMs: null, error: null });
  }
}
