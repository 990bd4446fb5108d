/**
 * Every request of a run, recorded column-wise in typed arrays so a long drill stays small
 * (about 60 bytes a request). Times are ms on the harness's monotonic clock (performance.now()),
 * relative to nothing: measurement works on differences and on fault timestamps of the same clock.
 */

import { OUTCOMES, type Outcome } from '../../model/outcomes';
import { SERVICES, type Service } from '../../model/estate';

export { OUTCOMES, SERVICES, type Outcome };
export const enum OutcomeCode {
  Ok = 0,
  Fail = 1,
  Info = 2,
  Dropped = 3,
}

export type ServiceName = Service;

export interface RequestRecord {
  index: number;
  /** When the request was due to start (the schedule), ms. */
  scheduled: number;
  /** When it actually started; NaN for dropped. */
  start: number;
  /** When it ended (response, error or timeout); for dropped, the moment it was dropped. */
  end: number;
  op: string;
  service: ServiceName;
  outcome: Outcome;
  /** HTTP status, 0 when there was none. */
  status: number;
  site: string;
  write: boolean;
  /** For writes: the acknowledged version and SAN sequence number (0 when not acknowledged). */
  ackVersion: number;
  ackSeq: number;
}

export class RequestLog {
  private cap: number;
  length = 0;
  scheduled: Float64Array;
  start: Float64Array;
  end: Float64Array;
  op: Uint8Array;
  service: Uint8Array;
  outcome: Uint8Array;
  status: Uint16Array;
  site: Uint8Array;
  write: Uint8Array;
  ackVersion: Uint32Array;
  ackSeq: Uint32Array;
  /** Operation names by code, in order of first use. */
  readonly opNames: string[] = [];
  private readonly opCodes = new Map<string, number>();
  /**
   * Serving sites (`x-blackstart-site`) by code, in order of first use; code 0 is none (no answer,
   * or a site past the 255th distinct name, which a misbehaving server could send).
   */
  readonly siteNames: string[] = [''];
  private readonly siteCodes = new Map<string, number>([['', 0]]);
  /** Idempotency keys and acknowledged ids of writes, by request index. */
  readonly keys = new Map<number, string>();
  readonly ackIds = new Map<number, string>();

  constructor(initialCapacity = 1024) {
    this.cap = initialCapacity;
    this.scheduled = new Float64Array(this.cap);
    this.start = new Float64Array(this.cap);
    this.end = new Float64Array(this.cap);
    this.op = new Uint8Array(this.cap);
    this.service = new Uint8Array(this.cap);
    this.outcome = new Uint8Array(this.cap);
    this.status = new Uint16Array(this.cap);
    this.site = new Uint8Array(this.cap);
    this.write = new Uint8Array(this.cap);
    this.ackVersion = new Uint32Array(this.cap);
    this.ackSeq = new Uint32Array(this.cap);
  }

  /** Reserves a row for a request due at `scheduled`; returns its index. */
  add(scheduled: number, op: string, service: ServiceName, write: boolean, key?: string): number {
    if (this.length === this.cap) this.grow();
    const i = this.length++;
    this.scheduled[i] = scheduled;
    this.start[i] = NaN;
    this.end[i] = NaN;
    this.op[i] = this.opCode(op);
    this.service[i] = SERVICES.indexOf(service);
    this.outcome[i] = OutcomeCode.Dropped;
    this.write[i] = write ? 1 : 0;
    if (key) this.keys.set(i, key);
    return i;
  }

  started(i: number, at: number): void {
    this.start[i] = at;
  }

  finished(i: number, at: number, outcome: OutcomeCode, status = 0, site = '', ack?: { id?: string; version?: number; seq?: number }): void {
    this.end[i] = at;
    this.outcome[i] = outcome;
    this.status[i] = status;
    this.site[i] = this.siteCode(site);
    if (ack) {
      this.ackVersion[i] = ack.version ?? 0;
      this.ackSeq[i] = ack.seq ?? 0;
      if (ack.id) this.ackIds.set(i, ack.id);
    }
  }

  dropped(i: number, at: number): void {
    this.end[i] = at;
    this.outcome[i] = OutcomeCode.Dropped;
  }

  get(i: number): RequestRecord {
    return {
      index: i,
      scheduled: this.scheduled[i],
      start: this.start[i],
      end: this.end[i],
      op: this.opNames[this.op[i]],
      service: SERVICES[this.service[i]],
      outcome: OUTCOMES[this.outcome[i]],
      status: this.status[i],
      site: this.siteOf(i),
      write: this.write[i] === 1,
      ackVersion: this.ackVersion[i],
      ackSeq: this.ackSeq[i],
    };
  }

  *records(): IterableIterator<RequestRecord> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  /** Builds a log from plain records: tests and k6 imports use this. */
  static from(records: readonly Omit<RequestRecord, 'index'>[], keys?: (string | undefined)[]): RequestLog {
    const log = new RequestLog(Math.max(16, records.length));
    records.forEach((r, n) => {
      const i = log.add(r.scheduled, r.op, r.service, r.write, keys?.[n]);
      log.started(i, r.start);
      const code = OUTCOMES.indexOf(r.outcome) as OutcomeCode;
      log.finished(i, r.end, code, r.status, r.site, r.write ? { version: r.ackVersion, seq: r.ackSeq } : undefined);
    });
    return log;
  }

  /** Bytes held by the columns (the maps of keys are counted apart by the benchmark). */
  get byteSize(): number {
    return this.cap * (8 * 3 + 1 * 5 + 2 + 4 * 2);
  }

  /** The site that served request i ('' when unknown). */
  siteOf(i: number): string {
    return this.siteNames[this.site[i]];
  }

  private siteCode(site: string): number {
    let code = this.siteCodes.get(site);
    if (code === undefined) {
      if (this.siteNames.length > 255) return 0;
      code = this.siteNames.length;
      this.siteNames.push(site);
      this.siteCodes.set(site, code);
    }
    return code;
  }

  private opCode(op: string): number {
    let code = this.opCodes.get(op);
    if (code === undefined) {
      code = this.opNames.length;
      this.opNames.push(op);
      this.opCodes.set(op, code);
    }
    return code;
  }

  private grow(): void {
    this.cap *= 2;
    const grow = <T extends Float64Array | Uint8Array | Uint16Array | Uint32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(this.cap);
      b.set(a);
      return b;
    };
    this.scheduled = grow(this.scheduled);
    this.start = grow(this.start);
    this.end = grow(this.end);
    this.op = grow(this.op);
    this.service = grow(this.service);
    this.outcome = grow(this.outcome);
    this.status = grow(this.status);
    this.site = grow(this.site);
    this.write = grow(this.write);
    this.ackVersion = grow(this.ackVersion);
    this.ackSeq = grow(this.ackSeq);
  }
}
