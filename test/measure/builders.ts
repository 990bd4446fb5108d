import { RequestLog, type Outcome, type RequestRecord, type ServiceName } from '../../harness/load/records';

/**
 * Synthetic request histories with known answers. Each builder returns plain records (as the load
 * engine would have recorded them); `logOf` merges them in schedule order into a RequestLog.
 * Times are ms; rates divide 1000 exactly in the tests (100 Hz = every 10 ms), so the expected
 * figures can be worked out by hand.
 */
export type Rec = Omit<RequestRecord, 'index'> & { key?: string };

export interface SteadyOptions {
  /** Scheduled times from + k * 1000 / rateHz, for all k with the time < to. */
  from: number;
  to: number;
  rateHz: number;
  service?: ServiceName;
  /** ms from the scheduled start to the end; a function of the scheduled time for shapes. */
  latency?: number | ((scheduled: number) => number);
  outcome?: Outcome;
  op?: string;
  site?: string;
  write?: boolean;
  /** When the request actually started, as a function of its scheduled time (default: on time). */
  startAt?: (scheduled: number) => number;
  /** Idempotency key of each write, from its scheduled time. */
  key?: (scheduled: number) => string;
}

export function steady(o: SteadyOptions): Rec[] {
  const period = 1000 / o.rateHz;
  const out: Rec[] = [];
  for (let k = 0; ; k++) {
    const scheduled = o.from + k * period;
    if (scheduled >= o.to) break;
    const outcome = o.outcome ?? 'ok';
    const latency = typeof o.latency === 'function' ? o.latency(scheduled) : (o.latency ?? 5);
    const dropped = outcome === 'dropped';
    out.push({
      scheduled,
      // A dropped request never started; it is dropped at its due time.
      start: dropped ? NaN : (o.startAt?.(scheduled) ?? scheduled),
      end: dropped ? scheduled : scheduled + latency,
      op: o.op ?? (o.write ? 'book' : 'lookup'),
      service: o.service ?? 'pas',
      outcome,
      status: outcome === 'ok' ? 200 : outcome === 'fail' ? 503 : 0,
      site: outcome === 'ok' || outcome === 'fail' ? (o.site ?? 'dc1') : '',
      write: o.write ?? false,
      ackVersion: 0,
      ackSeq: 0,
      key: o.key?.(scheduled),
    });
  }
  return out;
}

/** Requests that fail (by default fast refusals, 1 ms) over [from, to). */
export function outage(o: SteadyOptions): Rec[] {
  return steady({ latency: 1, ...o, outcome: o.outcome ?? 'fail' });
}

/** Requests due over [from, to) that all hang until `releaseAt`, then end with `outcome`. */
export function stall(o: SteadyOptions & { releaseAt: number }): Rec[] {
  return steady({ ...o, outcome: o.outcome ?? 'info', latency: (s) => o.releaseAt - s });
}

/** Steady load everywhere except [gapFrom, gapTo), where `during` supplies the records instead. */
export function around(o: SteadyOptions, gapFrom: number, gapTo: number, during: Rec[] = []): Rec[] {
  return [...steady({ ...o, to: gapFrom }), ...during, ...steady({ ...o, from: gapTo })];
}

export interface WriteOptions {
  key?: string;
  at: number;
  latency?: number;
  outcome?: Outcome;
  version?: number;
  seq?: number;
  site?: string;
  op?: string;
  service?: ServiceName;
}

/** One write request, due and started at `at`, ending `latency` ms later. */
export function write(o: WriteOptions): Rec {
  const outcome = o.outcome ?? 'ok';
  const dropped = outcome === 'dropped';
  return {
    scheduled: o.at,
    start: dropped ? NaN : o.at,
    end: o.at + (dropped ? 0 : (o.latency ?? 5)),
    op: o.op ?? 'book',
    service: o.service ?? 'booking',
    outcome,
    status: outcome === 'ok' ? 201 : outcome === 'fail' ? 409 : 0,
    site: outcome === 'ok' || outcome === 'fail' ? (o.site ?? 'dc1') : '',
    write: true,
    ackVersion: outcome === 'ok' ? (o.version ?? 1) : 0,
    ackSeq: outcome === 'ok' ? (o.seq ?? 0) : 0,
    key: o.key,
  };
}

/** A RequestLog of all the parts, in scheduled order (stable), with their write keys. */
export function logOf(...parts: Rec[][]): RequestLog {
  const all = parts.flat().sort((a, b) => a.scheduled - b.scheduled);
  return RequestLog.from(
    all,
    all.map((r) => r.key),
  );
}
