import type { Estate } from '../../services/runtime';
import type { Drill } from '../drill/schema';
import { openPools, runLoad, warmConnections, warmPools, type LoadRun } from '../load/engine';
import type { Executor } from '../load/executors/executor';
import { constantArrivalRate } from '../load/executors/constant_arrival_rate';
import { rampingArrivalRate } from '../load/executors/ramping_arrival_rate';
import { PaperBacklog } from '../load/paper';
import type { RequestLog } from '../load/records';
import { clinicalWorkload } from '../load/workload';
import { DEFAULT_IDENTIFIER_SYSTEM, fhirWorkload, type FhirMix } from '../load/fhir_workload';
import type { ServiceName } from '../load/records';

/** The drill's load started on the estate: open model, from the drill's seed (docs/ARCHITECTURE.md § 6). */
export interface DrillLoad {
  run: LoadRun;
  executor: Executor;
  /** The clerks' paper backlog, when the drill asks for it (load.paper). */
  paper: PaperBacklog | undefined;
}

/**
 * Opens and warms the connection pools first (enough for 20 ms of the peak rate), so that the
 * drill's first second runs on schedule like the others, then starts the schedule.
 */
export async function startDrillLoad(drill: Drill, estate: Estate, log: RequestLog, runId: string): Promise<DrillLoad> {
  const fhir = drill.load.workload === 'fhir' ? fhirOptions(drill, estate) : undefined;
  const workload = fhir
    ? fhirWorkload({ seed: drill.seed, mix: fhir.mix, runId, identifierSystem: fhir.identifierSystem })
    : clinicalWorkload({ seed: drill.seed, mix: drill.load.mix, runId });
  const paper = drill.load.paper ? new PaperBacklog({ log, bookingUrl: estate.endpoints.services.booking }) : undefined;
  const executor =
    drill.load.executor === 'ramping-arrival-rate'
      ? rampingArrivalRate(drill.load.rate, drill.load.stages!.map((s) => ({ target: s.target, durationMs: s.duration })))
      : constantArrivalRate(drill.load.rate, drill.load.duration!);
  const targets = fhir?.bases ?? estate.endpoints.services;
  const pools = openPools(targets, drill.load.max_in_flight);
  const peak = Math.max(drill.load.rate, ...(drill.load.stages ?? []).map((s) => s.target));
  await warmPools(pools, warmConnections(peak, drill.load.max_in_flight));
  const run = runLoad({
    executor,
    targets,
    pools,
    workload: paper ? paper.wrap(workload) : workload,
    maxInFlight: drill.load.max_in_flight,
    timeoutMs: drill.load.timeout,
    log,
  });
  return { run, executor, paper };
}

/**
 * The FHIR workload's targets (`load.workload: fhir`): each service's FHIR base, the drill's
 * `load.fhir.base` where it names one, else the estate's endpoint (the mock app through the front door).
 */
export function fhirOptions(drill: Drill, estate: Estate): { bases: Record<ServiceName, string>; identifierSystem: string; mix?: Partial<FhirMix> } {
  const f = drill.load.fhir;
  return {
    bases: { ...estate.endpoints.services, ...f?.base },
    identifierSystem: f?.identifier_system ?? DEFAULT_IDENTIFIER_SYSTEM,
    mix: f?.mix,
  };
}
