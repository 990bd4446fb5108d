import type { Estate } from '../../services/runtime';
import type { Drill } from '../drill/schema';
import { openPools, runLoad, warmConnections, warmPools, type LoadRun } from '../load/engine';
import type { Executor } from '../load/executors/executor';
import { constantArrivalRate } from '../load/executors/constant_arrival_rate';
import { rampingArrivalRate } from '../load/executors/ramping_arrival_rate';
import { PaperBacklog } from '../load/paper';
import type { RequestLog } from '../load/records';
import { clinicalWorkload } from '../load/workload';
import { DEFAULT_IDENTIFIER_SYSTEM, FHIR_OP_SERVICE, fhirMixSchema, fhirWorkload, type FhirMix, type FhirOpName } from '../load/fhir_workload';
import { SERVICES } from '../../model/estate';
import { hasEndpoint } from '../../model/estate_record';
import type { ServiceName } from '../load/records';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { exportK6 } from '../load/k6/export';
import { startK6Load } from '../load/k6/runner';
import { packageVersion } from '../paths';

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
  const targets = servedTargets(fhir?.bases ?? estate.endpoints.services, neededServices(drill));
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

/**
 * The drill's load run by k6 (`load.engine: k6`): the user's script (`load.script`, relative to the
 * drill file) unchanged, or the drill's load exported (`blackstart export k6`) into `<out>/k6-load.js`.
 * Resolves when k6's first point is read: the start of the load (harness/load/k6/runner.ts).
 */
export async function startK6DrillLoad(drill: Drill, estate: Estate, log: RequestLog, runId: string, o: { k6: string; outDir: string; file: string }): Promise<DrillLoad> {
  const userScript = drill.load.script !== undefined;
  let script: string;
  if (userScript) script = resolve(dirname(o.file), drill.load.script!);
  else {
    script = join(resolve(o.outDir), 'k6-load.js');
    writeFileSync(script, exportK6(drill, { file: o.file, version: packageVersion() }).script);
  }
  const { run } = await startK6Load({ k6: o.k6, script, userScript, targets: estate.endpoints.services, runId, outDir: o.outDir, log });
  const durationMs = drill.load.executor === 'ramping-arrival-rate' ? drill.load.stages!.reduce((a, st) => a + st.duration, 0) : drill.load.duration!;
  return { run, executor: { name: `k6 (${userScript ? `script ${drill.load.script}` : drill.load.executor})`, durationMs, next: () => undefined }, paper: undefined };
}

/** The services the drill's workload sends requests to (its mix's operations with a weight above 0). */
function neededServices(drill: Drill): ServiceName[] {
  if (drill.load.workload !== 'fhir') return [...SERVICES];
  const mix = fhirMixSchema.parse(drill.load.fhir?.mix ?? {});
  return [...new Set((Object.keys(mix) as FhirOpName[]).filter((op) => mix[op] > 0).map((op) => FHIR_OP_SERVICE[op]))];
}

/**
 * The targets of the services the workload needs; an estate that does not serve one of them (an
 * estate file's `entry`, an external system) is an error naming it before the load starts.
 */
function servedTargets(all: Record<ServiceName, string>, needed: ServiceName[]): Record<ServiceName, string> {
  const missing = needed.filter((s) => !hasEndpoint(all[s]));
  if (missing.length) {
    throw new Error(`the workload sends requests to ${missing.join(', ')}, which this estate does not serve: give those operations a weight of 0 (load.fhir.mix) or serve them`);
  }
  return Object.fromEntries(needed.map((s) => [s, all[s]])) as Record<ServiceName, string>;
}
