import { SERVICES, type Service } from '../../../model/estate';
import type { Drill } from '../../drill/schema';
import { constantArrivalRate } from '../executors/constant_arrival_rate';
import type { Executor } from '../executors/executor';
import { rampingArrivalRate } from '../executors/ramping_arrival_rate';
import { clinicalWorkload, mixSchema, type OpName } from '../workload';

/**
 * One request of the drill's clinical sequence, as a k6 script replays it:
 * [operation, method, path, JSON body or null, index of the request in the whole sequence (its
 * Idempotency-Key is `<run>-<index>`, as the built-in engine's) or -1 for a read, indexes of the
 * writes it needs acknowledged]. A cancellation's path names the booking it cancels as `@<index of the
 * booking>`: the id is the server's, known only once the booking was acknowledged. The writes a
 * request needs (the registration of its patient, the booking it cancels, the cancellation that
 * freed the slot it books) were acknowledged, on
 * k6's schedule, at least ACK_MARGIN_MS before the request is due; where it was not (a fault), the
 * reader leaves a read or a refused write out of the records, as the built-in engine would not
 * have sent it.
 */
export type SequenceEntry = [op: string, method: string, path: string, body: string | null, index: number, dependsOn: number[]];

/** How long after a write is due the sequence takes it as acknowledged (it may then be named). */
export const ACK_MARGIN_MS = 1000;

/** Which service each operation of the clinical mix goes to. */
const SERVICE_OF: Record<OpName, Service> = {
  lookup_patient: 'pas',
  register_patient: 'pas',
  admit_patient: 'pas',
  list_free_slots: 'booking',
  book_appointment: 'booking',
  cancel_appointment: 'booking',
  schedule_case: 'theatre',
};

/** One k6 scenario: the service's share of the drill's rate, as k6 takes it (iterations per timeUnit). */
export interface ScenarioRate {
  timeUnit: '1s' | '1m';
  unitMs: number;
  /** constant: the rate; ramping: the start rate; per timeUnit, whole. */
  rate: number;
  /** ramping: each stage's target per timeUnit. */
  targets: number[];
}

export interface ClinicalSequence {
  /** Requests in the sequence, all services together. */
  count: number;
  byService: Record<Service, SequenceEntry[]>;
  /** Per service with a share of the mix: its scenario's rates. */
  rates: Partial<Record<Service, ScenarioRate>>;
}

/** The drill's executor, as the built-in engine runs it. */
export function drillExecutor(load: Drill['load']): Executor {
  return load.executor === 'ramping-arrival-rate'
    ? rampingArrivalRate(load.rate, load.stages!.map((s) => ({ target: s.target, durationMs: s.duration })))
    : constantArrivalRate(load.rate, load.duration!);
}

/**
 * Each service's share of the clinical mix (by its operations' weights) of the drill's rate, in
 * whole iterations per second where every rate is whole, else per minute (rounded: within 1/120 of
 * a request per second).
 */
export function scenarioRates(drill: Drill): Partial<Record<Service, ScenarioRate>> {
  const mix = mixSchema.parse(drill.load.mix ?? {});
  const total = (Object.keys(mix) as OpName[]).reduce((a, op) => a + mix[op], 0);
  const out: Partial<Record<Service, ScenarioRate>> = {};
  for (const s of SERVICES) {
    const share = (Object.keys(mix) as OpName[]).filter((op) => SERVICE_OF[op] === s).reduce((a, op) => a + mix[op], 0) / total;
    if (share <= 0) continue;
    const perSecond = [drill.load.rate, ...(drill.load.stages ?? []).map((st) => st.target)].map((r) => r * share);
    const whole = perSecond.every((r) => Math.abs(r - Math.round(r)) < 1e-9);
    const [timeUnit, unitMs] = whole ? (['1s', 1000] as const) : (['1m', 60_000] as const);
    const scaled = perSecond.map((r) => Math.round((r * unitMs) / 1000));
    out[s] = { timeUnit, unitMs, rate: scaled[0], targets: scaled.slice(1) };
  }
  return out;
}

/** Due times (ms from the start) of a scenario's iterations, as k6's arrival-rate executors space them. */
function scenarioDueTimes(drill: Drill, r: ScenarioRate, max: number): number[] {
  const perSecond = (n: number) => (n * 1000) / r.unitMs;
  const exec =
    drill.load.executor === 'ramping-arrival-rate'
      ? rampingArrivalRate(perSecond(r.rate), drill.load.stages!.map((st, k) => ({ target: perSecond(r.targets[k]), durationMs: st.duration })))
      : r.rate > 0
        ? constantArrivalRate(perSecond(r.rate), drill.load.duration!)
        : undefined;
  const times: number[] = [];
  for (let t = exec?.next(); t !== undefined && times.length < max; t = exec!.next()) times.push(t);
  return times;
}

/**
 * The built-in engine's clinical workload, seeded as the drill, laid out on k6's schedule: one
 * scenario per service, iteration n of a scenario sending its service's n-th request. The workload
 * learns from answers (it names only patients it registered, cancels only bookings it made); k6's
 * VUs share no memory, so the sequence is fixed in advance and a write counts as acknowledged
 * ACK_MARGIN_MS after k6 is due to send it. Requests are drawn until every scenario has one for
 * each of its iterations.
 */
export function clinicalSequence(drill: Drill, maxRequests = 1_000_000): ClinicalSequence {
  const workload = clinicalWorkload({ seed: drill.seed, mix: drill.load.mix, runId: '' });
  const rates = scenarioRates(drill);
  const due = Object.fromEntries(SERVICES.map((s) => [s, rates[s] ? scenarioDueTimes(drill, rates[s]!, maxRequests) : []])) as Record<Service, number[]>;
  const byService = Object.fromEntries(SERVICES.map((s) => [s, [] as SequenceEntry[]])) as Record<Service, SequenceEntry[]>;
  const registeredAt = new Map<string, number>();
  const slotOf = new Map<number, string>();
  const cancels = new Map<number, string>();
  const freedBy = new Map<string, number>();
  const pending: { at: number; ack: () => void }[] = [];
  let count = 0;
  while (count < maxRequests) {
    // The earliest time the next request could be sent, whichever service it turns out to be for.
    const now = Math.min(...SERVICES.map((s) => due[s][byService[s].length] ?? Infinity));
    if (now === Infinity) break;
    pending.sort((a, b) => a.at - b.at);
    while (pending.length && pending[0].at <= now) pending.shift()!.ack();
    const i = count++;
    const op = workload.next(i);
    const at = due[op.service][byService[op.service].length];
    if (at === undefined) continue; // the service's scenario is full: the request is not sent
    const body = op.body as { nhsNumber?: string; patient?: string; slot?: string } | undefined;
    const patient = body?.patient ?? /^\/Patient\/(\d+)$/.exec(op.path)?.[1];
    const booking = /^\/Appointment\/@(\d+)\//.exec(op.path)?.[1];
    const dependsOn = [
      ...(booking !== undefined ? [Number(booking)] : []),
      ...(patient !== undefined && registeredAt.has(patient) ? [registeredAt.get(patient)!] : []),
      ...(body?.slot !== undefined && freedBy.has(body.slot) ? [freedBy.get(body.slot)!] : []),
    ];
    if (op.op === 'register_patient' && body?.nhsNumber) registeredAt.set(body.nhsNumber, i);
    if (op.op === 'book_appointment' && body?.slot) slotOf.set(i, body.slot);
    if (booking !== undefined && slotOf.has(Number(booking))) {
      const slot = slotOf.get(Number(booking))!;
      cancels.set(i, slot);
    }
    byService[op.service].push([op.op, op.method, op.path, op.body === undefined ? null : JSON.stringify(op.body), op.write ? i : -1, dependsOn]);
    // Acknowledged, as far as the sequence knows, a margin after k6 sends it: a booking's id stands
    // for its index until the server names it.
    const ack = () => {
      op.onOk?.(op.op === 'book_appointment' ? { id: `@${i}` } : {});
      op.onDone?.(0, 201);
      // A cancellation frees its slot: the next booking of it needs this cancellation.
      if (cancels.has(i)) freedBy.set(cancels.get(i)!, i);
    };
    if (op.write) pending.push({ at: at + ACK_MARGIN_MS, ack });
    else ack();
  }
  return { count: SERVICES.reduce((a, s) => a + byService[s].length, 0), byService, rates };
}
