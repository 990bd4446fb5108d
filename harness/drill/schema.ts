import { z } from 'zod';
import { estateConfigSchema } from '../../services/estate/config';
import { FAULT_KINDS, failbackSpec, freezeSpec, killProcessSpec, networkSpec, powerCutSpec, powerFlapSpec, storageCutSpec } from '../../model/faults';
import { duration, rate } from '../../model/units';
import { statSchema } from '../../model/stat';
import { mixSchema } from '../load/workload';
import { fhirLoadSchema } from '../load/fhir_workload';

/** A drill file (YAML): what to stand up, what load, which faults when, and the gates. */

const loadSchema = z
  .object({
    executor: z.enum(['constant-arrival-rate', 'ramping-arrival-rate']).default('constant-arrival-rate'),
    /** constant-arrival-rate: the rate; ramping: the starting rate. */
    rate: rate(),
    /** constant-arrival-rate: how long the load runs. */
    duration: duration().optional(),
    /** ramping-arrival-rate: each stage ramps linearly to its target. */
    stages: z.array(z.object({ target: rate(), duration: duration() }).strict()).optional(),
    /** Load before the baseline is measured (connections, caches). */
    warmup: duration().default(2000),
    max_in_flight: z.number().int().min(1).max(10_000).default(256),
    timeout: duration().default(5000),
    mix: mixSchema.partial().optional(),
    /** Clerks book on paper while booking is unreachable, and key the backlog in after. */
    paper: z.boolean().default(false),
    /** clinical: the mock apps' own routes (default); fhir: standard FHIR R4 requests, read back by identifier search (README, "A standard FHIR R4 workload"). */
    workload: z.enum(['clinical', 'fhir']).default('clinical'),
    /** workload fhir: identifier system, base URL per service, mix. */
    fhir: fhirLoadSchema.optional(),
    /** builtin: blackstart's own open-model engine (default); k6: k6 runs the load and blackstart reads its points (README, "k6"). */
    engine: z.enum(['builtin', 'k6']).default('builtin'),
    /** engine k6: the user's own k6 script (relative to the drill file), run unchanged; default the drill's load exported (`blackstart export k6`). */
    script: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((l, ctx) => {
    if (l.workload === 'fhir' && l.mix !== undefined) ctx.addIssue({ code: 'custom', path: ['mix'], message: 'the fhir workload has its own mix: use fhir.mix' });
    if (l.workload === 'fhir' && l.paper) ctx.addIssue({ code: 'custom', path: ['paper'], message: 'paper mode needs workload: clinical' });
    if (l.workload !== 'fhir' && l.fhir !== undefined) ctx.addIssue({ code: 'custom', path: ['fhir'], message: 'fhir applies to workload: fhir only' });
    if (l.script !== undefined && l.engine !== 'k6') ctx.addIssue({ code: 'custom', path: ['script'], message: 'script needs engine: k6' });
    if (l.engine === 'k6' && l.paper) ctx.addIssue({ code: 'custom', path: ['paper'], message: 'paper mode needs the built-in engine (engine: builtin)' });
    if (l.engine === 'k6' && l.workload === 'fhir' && l.script === undefined) ctx.addIssue({ code: 'custom', path: ['workload'], message: 'engine k6 exports the clinical workload only: give your own script (script: FILE) for fhir' });
    if (l.executor === 'constant-arrival-rate' && l.duration === undefined) {
      ctx.addIssue({ code: 'custom', path: ['duration'], message: 'constant-arrival-rate needs a duration' });
    }
    if (l.executor === 'ramping-arrival-rate' && !l.stages?.length) {
      ctx.addIssue({ code: 'custom', path: ['stages'], message: 'ramping-arrival-rate needs at least one stage' });
    }
  });

const faultSchema = z
  .object({
    /** Offset from the start of the load. */
    at: duration(),
    name: z.string().min(1).optional(),
    power_cut: powerCutSpec.optional(),
    power_flap: powerFlapSpec.optional(),
    storage_cut: storageCutSpec.optional(),
    network: networkSpec.optional(),
    freeze: freezeSpec.optional(),
    /** One named process of a component killed (SIGKILL); `duration`: when the component is started again. */
    kill_process: killProcessSpec.optional(),
    /** A planned switchover to the other site (zero lost writes expected); its interruption is measured like a fault's. */
    failback: failbackSpec.optional(),
    /** How long the fault stays before it is reverted; omitted: until the load ends. */
    duration: duration().optional(),
    /** power_cut: when power comes back (cold restart); omitted: down until the load ends. */
    restore_after: duration().optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const kinds = FAULT_KINDS.filter((k) => f[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `each fault needs exactly one of ${FAULT_KINDS.join(', ')} (found ${kinds.length ? kinds.join(', ') : 'none'})` });
    }
    if (f.restore_after !== undefined && f.power_cut === undefined) {
      ctx.addIssue({ code: 'custom', path: ['restore_after'], message: 'restore_after applies to power_cut only; use duration' });
    }
    if (f.power_cut !== undefined && f.duration !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['duration'], message: 'a power_cut ends with restore_after, not duration' });
    }
  });

export const GATE_METRICS = ['rto_ms', 'time_to_first_success_ms', 'lost_writes', 'error_rate', 'p99_ms', 'backlog_drain_ms', 'split_brain_writes'] as const;
export type GateMetric = (typeof GATE_METRICS)[number];

const gateSchema = z
  .object({
    metric: z.enum(GATE_METRICS),
    /** The gate passes when the figure is at most this. */
    max: z.number().min(0),
    /** A service, or all services together (default). */
    service: z.enum(['pas', 'booking', 'theatre', 'all']).default('all'),
    /** error_rate and p99_ms: before, during or after each fault, or the whole run (default). */
    phase: z.enum(['before', 'during', 'after', 'run']).default('run'),
    /** rto_ms / time_to_first_success_ms / phases: one fault (by name or index from 0); default every fault. */
    fault: z.union([z.string(), z.number().int().min(0)]).optional(),
    /** With --repeat/--rates: judge this statistic of the per-run values on the aggregate, not each run (docs/ARCHITECTURE.md § 7.14). */
    stat: statSchema.optional(),
  })
  .strict();
export type Gate = z.infer<typeof gateSchema>;

export const drillSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, ".", "_" or "-"'),
    description: z.string().default(''),
    seed: z.number().int().default(1),
    estate: estateConfigSchema.default(estateConfigSchema.parse({})),
    load: loadSchema,
    faults: z.array(faultSchema).default([]),
    recovery: z
      .object({
        windows: z.number().int().min(1).default(5),
        window: duration().default(1000),
        success_ratio: z.number().min(0).max(1).default(0.99),
        p95_factor: z.number().min(1).default(3),
        /** A fixed latency ceiling for healthy windows instead of p95_factor x the baseline p95. */
        max_p95: duration().optional(),
      })
      .strict()
      .default({ windows: 5, window: 1000, success_ratio: 0.99, p95_factor: 3 }),
    /** Safety stops: when one trips, the drill stops early, reverts every fault and reports `aborted`. */
    abort: z
      .array(z.object({ success_ratio_below: z.number().min(0).max(1), for: duration() }).strict())
      .default([]),
    gates: z.array(gateSchema).default([]),
    /** After the load: how long to wait for the estate to settle before reading writes back. */
    settle: duration().default(2000),
    /** Run the drill at each offered rate, `repeat` times each (docs/ARCHITECTURE.md § 7.14); --rates and --repeat replace these. */
    sweep: z
      .object({ rates: z.array(rate()).min(1).max(20), repeat: z.number().int().min(1).max(100).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const loadMs = loadDurationMs(d.load);
    d.faults.forEach((f, i) => {
      if (f.at >= loadMs) ctx.addIssue({ code: 'custom', path: ['faults', i, 'at'], message: `at ${f.at} ms is not within the load (${loadMs} ms)` });
      if (f.at < d.load.warmup) ctx.addIssue({ code: 'custom', path: ['faults', i, 'at'], message: `at ${f.at} ms is inside the warm-up (${d.load.warmup} ms): there would be no baseline` });
    });
    const names = d.faults.map((f, i) => faultName(f, i));
    // Gates, figures and reports find a fault by its name: two of one name would show one's figures for both.
    names.forEach((name, j) => {
      const first = names.indexOf(name);
      if (first < j) ctx.addIssue({ code: 'custom', path: d.faults[j].name === undefined ? ['faults', j] : ['faults', j, 'name'], message: `the name "${name}" is fault ${first}'s too: each fault needs its own (gates, figures and reports find a fault by its name)` });
    });
    d.gates.forEach((g, i) => {
      if (typeof g.fault === 'string' && !names.includes(g.fault)) ctx.addIssue({ code: 'custom', path: ['gates', i, 'fault'], message: `no fault named "${g.fault}" (faults: ${names.join(', ') || 'none'})` });
      if (typeof g.fault === 'number' && g.fault >= d.faults.length) ctx.addIssue({ code: 'custom', path: ['gates', i, 'fault'], message: `no fault ${g.fault}: the drill has ${d.faults.length}` });
      if (g.metric === 'backlog_drain_ms' && !d.load.paper) ctx.addIssue({ code: 'custom', path: ['gates', i, 'metric'], message: 'backlog_drain_ms needs load.paper: true' });
      if (g.metric === 'rto_ms') for (const message of unrecoverable(d, g.fault, loadMs)) ctx.addIssue({ code: 'custom', path: ['gates', i], message });
    });
  });

/**
 * An RTO gate on a fault that could never be judged recovered: recovery needs `windows` x `window`
 * of service after the fault, within its episode, which ends where the next fault in time begins
 * or the load ends (docs/ARCHITECTURE.md § 7.4). Faults planned for one instant follow the file's
 * order, so all but the last of them have no episode: a gate must name the last.
 */
function unrecoverable(d: Pick<Drill, 'faults' | 'recovery'>, fault: string | number | undefined, loadMs: number): string[] {
  const inTime = inTimeOrder(d.faults.map((f, index) => ({ f, index })), ({ f }) => f.at);
  const needs = d.recovery.windows * d.recovery.window;
  return inTime.flatMap(({ f, index: i }, k) => {
    if (fault !== undefined && fault !== i && fault !== faultName(f, i)) return [];
    const next = inTime[k + 1];
    const until = next ? next.f.at : loadMs;
    if (until - f.at >= needs) return [];
    const bound = next ? `before fault ${faultName(next.f, next.index)} (at ${next.f.at} ms)` : `before the load ends (${loadMs} ms)`;
    return [
      `rto_ms judges fault ${faultName(f, i)} (at ${f.at} ms), and only ${until - f.at} ms of load follow it ${bound}: recovery needs ${d.recovery.windows} windows of ${d.recovery.window} ms ` +
        `(${needs} ms) of service after the fault, so it could never be judged recovered. ${next ? 'Name a later fault in the gate, space the faults further apart' : 'Lengthen load.duration, apply the fault earlier'}, or shorten recovery.windows or recovery.window`,
    ];
  });
}

export type Drill = z.infer<typeof drillSchema>;
export type DrillFault = Drill['faults'][number];

export function loadDurationMs(load: z.infer<typeof loadSchema>): number {
  if (load.executor === 'ramping-arrival-rate') return (load.stages ?? []).reduce((s, st) => s + st.duration, 0);
  return load.duration ?? 0;
}

export const faultName = (f: DrillFault, i: number) => f.name ?? `fault-${i}`;

/**
 * Faults in the order they strike: by planned time, those of one instant in the file's order (the
 * order they are scheduled in). A fault's recovery episode runs to the next of them
 * (docs/ARCHITECTURE.md § 7.4): validation and measurement both take the order from here.
 */
export function inTimeOrder<T extends { index: number }>(faults: readonly T[], at: (f: T) => number): T[] {
  return [...faults].sort((a, b) => at(a) - at(b) || a.index - b.index);
}
