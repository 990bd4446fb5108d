import type { Estate } from '../../services/runtime';
import type { Drill } from '../drill/schema';
import { runLoad, type LoadRun } from '../load/engine';
import type { Executor } from '../load/executors/executor';
import { constantArrivalRate } from '../load/executors/constant_arrival_rate';
import { rampingArrivalRate } from '../load/executors/ramping_arrival_rate';
import { PaperBacklog } from '../load/paper';
import type { RequestLog } from '../load/records';
import { clinicalWorkload } from '../load/workload';

/** The drill's load started on the estate: open model, from the drill's seed (docs/ARCHITECTURE.md § 6). */
export interface DrillLoad {
  run: LoadRun;
  executor: Executor;
  /** The clerks' paper backlog, when the drill asks for it (load.paper). */
  paper: PaperBacklog | undefined;
}

export function startDrillLoad(drill: Drill, estate: Estate, log: RequestLog, runId: string): DrillLoad {
  const workload = clinicalWorkload({ seed: drill.seed, mix: drill.load.mix, runId });
  const paper = drill.load.paper ? new PaperBacklog({ log, bookingUrl: estate.endpoints.services.booking }) : undefined;
  const executor =
    drill.load.executor === 'ramping-arrival-rate'
      ? rampingArrivalRate(drill.load.rate, drill.load.stages!.map((s) => ({ target: s.target, durationMs: s.duration })))
      : constantArrivalRate(drill.load.rate, drill.load.duration!);
  const run = runLoad({
    executor,
    targets: estate.endpoints.services,
    workload: paper ? paper.wrap(workload) : workload,
    maxInFlight: drill.load.max_in_flight,
    timeoutMs: drill.load.timeout,
    log,
  });
  return { run, executor, paper };
}
