import { SERVICES, type Service } from '../../../model/estate';
import { classify, classifyError } from '../classify';
import type { LiveStats } from '../live';
import { OutcomeCode, type RequestLog } from '../records';
import { versionNumber } from '../version';

/**
 * Reads k6's `--out json` output (NDJSON: `Metric` and `Point` lines, k6's
 * internal/output/json/wrapper.go) into blackstart's request records, so every figure is computed
 * from them exactly as from the built-in engine's (docs/ARCHITECTURE.md § 6, "k6").
 *
 * One record per `http_req_duration` point. k6 stamps a request's points with the time its
 * response ended (tracer.go: `Trail.EndTime`); `http_req_duration` is sending + waiting +
 * receiving and `http_req_blocked` the time from asking for a connection to having one (dial and
 * TLS included), so the request started at `time − blocked − duration`. k6 does not report when an
 * arrival-rate iteration was *due*: its executors start an iteration on its tick or drop it
 * (`dropped_iterations`), never late, so the start stands for the scheduled time. Latency is then
 * end − start, to the resolution of k6's own scheduler and the script's work before its request
 * (sub-ms for the exported script); a VU that was busy shows as a dropped iteration, not as delay,
 * as in the built-in engine. Each `dropped_iterations` point is a dropped record at its time.
 *
 * Outcome, as `harness/load/classify.ts`: by status; a 5xx is judged by `x-blackstart-indeterminate`
 * where the exported script reported it (the `blackstart_response` point), else a write is
 * indeterminate and a read a failure; no response: k6's error_code 1212 (connection refused) is a
 * failure, any other error (1050 timeout, 1220 reset, ...) indeterminate.
 */

export interface K6Point {
  metric: string;
  /** Unix ms, with the fraction k6 wrote (µs and below). */
  time: number;
  /** As k6 wrote it: points of one request share it exactly. */
  rawTime: string;
  value: number;
  tags: Record<string, string>;
  metadata: Record<string, string>;
}

/** `2021-02-24T13:37:10.123456789+02:00` (Go's RFC 3339 with nanoseconds) as unix ms with its fraction. */
export function parseK6Time(s: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return NaN;
  const base = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const offset = m[8] === 'Z' ? 0 : (m[8][0] === '-' ? -1 : 1) * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(4, 6))) * 60_000;
  return base + fraction - offset;
}

/** One line of the output: a Point, a Metric (its name and type), or undefined for a blank line. Throws on anything else. */
export function parseK6Line(line: string): { type: 'Point'; point: K6Point } | { type: 'Metric'; name: string; metricType: string } | undefined {
  if (line.trim() === '') return undefined;
  const j = JSON.parse(line) as { type?: string; metric?: string; data?: { time?: string; value?: number; tags?: Record<string, string> | null; metadata?: Record<string, string>; type?: string; name?: string } };
  if (j.type === 'Metric') return { type: 'Metric', name: j.data?.name ?? j.metric ?? '', metricType: j.data?.type ?? '' };
  if (j.type === 'Point' && j.data && typeof j.metric === 'string' && typeof j.data.time === 'string') {
    return {
      type: 'Point',
      point: { metric: j.metric, rawTime: j.data.time, time: parseK6Time(j.data.time), value: Number(j.data.value), tags: j.data.tags ?? {}, metadata: j.data.metadata ?? {} },
    };
  }
  throw new Error(`not a k6 json output line: ${line.slice(0, 120)}`);
}

/** What a request's answer said beyond its status: from the exported script's `blackstart_response` point, or blackstart's key recorder. */
export interface K6Answer {
  key?: string;
  site?: string;
  seq?: number;
  version?: number;
  id?: string;
  indeterminate?: string;
}

export interface K6ReaderOptions {
  log: RequestLog;
  live?: LiveStats;
  /** Unix ms to the harness clock (performance.now()): `t − performance.timeOrigin` by default. */
  toHarness?: (unixMs: number) => number;
  /** Base URL per service, for requests without a `service` tag (a user's script). */
  services?: Partial<Record<Service, string>>;
  /** A write's key and answer when the points do not carry them (a user's script: blackstart's key recorder). */
  answerFor?: (r: { method: string; url: string; start: number; end: number; status: number }) => K6Answer | undefined;
}

interface PendingRequest {
  end: number;
  duration: number;
  blocked: number;
  tags: Record<string, string>;
  metadata: Record<string, string>;
  joinKey: string;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class K6PointReader {
  /** The earliest point seen (unix ms): the exported script's `blackstart_start`, else its first request. */
  firstTime: number | undefined;
  lines = 0;
  readonly metrics = new Map<string, string>();
  private readonly requests: PendingRequest[] = [];
  private readonly blocked = new Map<string, number>();
  private readonly answers = new Map<string, K6Answer>();
  private readonly dropped: { time: number; service: Service | undefined }[] = [];
  private readonly toHarness: (t: number) => number;
  /** Requests and dropped iterations the reader could not give a service (their points are kept out). */
  unattributed = 0;
  /**
   * Requests left out because the write they name (metadata depends_on: a patient's registration, a
   * booking) was not acknowledged before they started, the built-in engine would not have sent
   * them: reads, and writes refused (4xx); a write that may have taken effect is kept for the ledger.
   */
  withoutDependency = 0;

  constructor(private readonly o: K6ReaderOptions) {
    this.toHarness = o.toHarness ?? ((t) => t - performance.timeOrigin);
  }

  push(line: string): void {
    const parsed = parseK6Line(line);
    if (!parsed) return;
    this.lines++;
    if (parsed.type === 'Metric') {
      this.metrics.set(parsed.name, parsed.metricType);
      return;
    }
    const p = parsed.point;
    if (this.firstTime === undefined || p.time < this.firstTime) this.firstTime = p.time;
    const joinKey = `${p.rawTime}|${p.metadata.request ?? ''}|${p.tags.method ?? ''}|${p.tags.url ?? ''}|${p.tags.status ?? ''}`;
    switch (p.metric) {
      case 'http_req_duration': {
        this.requests.push({ end: p.time, duration: p.value, blocked: 0, tags: p.tags, metadata: p.metadata, joinKey });
        if (this.o.live) {
          const end = this.toHarness(p.time);
          const status = Number(p.tags.status ?? 0);
          this.o.live.add(end, p.value, status >= 200 && status < 300);
        }
        break;
      }
      case 'http_req_blocked':
        this.blocked.set(joinKey, p.value);
        break;
      case 'blackstart_response':
        if (p.metadata.request) {
          this.answers.set(p.metadata.request, {
            key: p.metadata.idempotency_key || undefined,
            site: p.metadata.site || undefined,
            seq: p.metadata.seq ? Number(p.metadata.seq) : undefined,
            version: p.metadata.version ? versionNumber(p.metadata.version) : undefined,
            id: p.metadata.id || undefined,
            indeterminate: p.metadata.indeterminate || undefined,
          });
        }
        break;
      case 'dropped_iterations':
        for (let k = 0; k < Math.max(1, Math.round(p.value)); k++) this.dropped.push({ time: p.time, service: serviceOf(p.tags.service) ?? serviceOf(p.tags.scenario) });
        this.o.live?.add(this.toHarness(p.time), 0, false);
        break;
      default:
    }
  }

  /** Writes every request read so far into the log, in order of start; returns how many. */
  finish(): { requests: number; dropped: number } {
    const rows: { scheduled: number; add: () => void }[] = [];
    // When each key was first acknowledged (a 2xx write; unix ms), for the requests that need it.
    const ackedAt = new Map<string, number>();
    for (const r of this.requests) {
      const key = r.metadata.idempotency_key;
      const status = Number(r.tags.status ?? 0);
      if (key && status >= 200 && status < 300) ackedAt.set(key, Math.min(ackedAt.get(key) ?? Infinity, r.end));
    }
    for (const r of this.requests) {
      r.blocked = this.blocked.get(r.joinKey) ?? 0;
      const end = this.toHarness(r.end);
      const start = end - r.duration - r.blocked;
      const method = (r.tags.method ?? 'GET').toUpperCase();
      const url = r.tags.url ?? '';
      const service = serviceOf(r.tags.service) ?? this.serviceByUrl(url);
      if (!service) {
        this.unattributed++;
        continue;
      }
      const write = !READS.has(method);
      const status = Number(r.tags.status ?? 0);
      // A write that may have taken effect stays, whatever it named: the ledger must judge it.
      const needs = r.metadata.depends_on ? r.metadata.depends_on.split(',') : [];
      const started = r.end - r.duration - r.blocked;
      if (needs.some((k) => !((ackedAt.get(k) ?? Infinity) <= started)) && (!write || (status >= 400 && status < 500))) {
        this.withoutDependency++;
        continue;
      }
      const answer = (r.metadata.request ? this.answers.get(r.metadata.request) : undefined) ?? this.o.answerFor?.({ method, url, start, end, status });
      const key = r.metadata.idempotency_key || answer?.key;
      const outcome = status > 0 ? classify(status, write, answer?.indeterminate) : classifyError(r.tags.error_code === '1212' ? 'ECONNREFUSED' : r.tags.error_code);
      const op = r.tags.operation || r.tags.op || method;
      rows.push({
        scheduled: start,
        add: () => {
          const i = this.o.log.add(start, op, service, write, write ? key : undefined);
          this.o.log.started(i, start);
          const ack = outcome === OutcomeCode.Ok && write ? { id: answer?.id, version: answer?.version, seq: answer?.seq } : undefined;
          this.o.log.finished(i, end, outcome, status, answer?.site ?? '', ack);
        },
      });
    }
    for (const d of this.dropped) {
      if (!d.service) {
        this.unattributed++;
        continue;
      }
      const at = this.toHarness(d.time);
      const service = d.service;
      rows.push({
        scheduled: at,
        add: () => this.o.log.dropped(this.o.log.add(at, 'dropped_iteration', service, false), at),
      });
    }
    rows.sort((a, b) => a.scheduled - b.scheduled).forEach((r) => r.add());
    const dropped = this.dropped.filter((d) => d.service).length;
    return { requests: rows.length - dropped, dropped };
  }

  private serviceByUrl(url: string): Service | undefined {
    for (const s of SERVICES) {
      const base = this.o.services?.[s];
      if (base && (url === base || url.startsWith(base.replace(/\/$/, '') + '/'))) return s;
    }
    return undefined;
  }
}

function serviceOf(v: string | undefined): Service | undefined {
  return v && (SERVICES as readonly string[]).includes(v) ? (v as Service) : undefined;
}
