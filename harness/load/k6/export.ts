import { SERVICES, type Service } from '../../../model/estate';
import { faultName, type Drill, type Gate } from '../../drill/schema';
import { ACK_MARGIN_MS, clinicalSequence, type ScenarioRate, type SequenceEntry } from './sequence';

/**
 * `blackstart export k6 FILE`: the drill's load as a k6 script (docs/ARCHITECTURE.md § 6, "k6").
 * One scenario per service with the drill's executor; the clinical mix as the built-in engine's
 * seeded sequence; an Idempotency-Key per write; tags `service` and `operation`; the gates k6 can
 * judge as `thresholds`. The script is plain JavaScript for k6, with JSDoc types that the tests
 * check against @types/k6.
 */

export interface K6Export {
  script: string;
  /** Per service: the scenario's rate (per timeUnit), timeUnit and request count of the sequence. */
  scenarios: Record<Service, { rate: number; timeUnit: string; requests: number }>;
  /** Gates k6 cannot express, with the reason. */
  notExpressed: string[];
}

export interface ExportOptions {
  /** Where the drill came from, for the header. */
  file?: string;
  version?: string;
  /** Cap on the sequence (a test's bound); default every request of the drill. */
  maxRequests?: number;
}

/** A Go duration as k6 reads it: whole seconds as `Ns`, anything else as `Nms`. */
export function goDuration(ms: number): string {
  const r = Math.round(ms);
  return r % 1000 === 0 ? `${r / 1000}s` : `${r}ms`;
}

export function exportK6(drill: Drill, o: ExportOptions = {}): K6Export {
  if (drill.load.workload !== 'clinical') throw new Error('export k6: only the clinical workload is exported (load.workload: fhir is not); write your own script and run it with load: { engine: k6, script: FILE }');
  const load = drill.load;
  const seq = clinicalSequence(drill, o.maxRequests);
  const scenarios = {} as K6Export['scenarios'];
  const scenarioJs: string[] = [];
  const peakPerSecond = (r: ScenarioRate) => (Math.max(r.rate, ...r.targets) * 1000) / r.unitMs;
  const perSecondTotal = SERVICES.reduce((a, s) => a + (seq.rates[s] ? peakPerSecond(seq.rates[s]!) : 0), 0);
  for (const s of SERVICES) {
    const r = seq.rates[s];
    if (!r || seq.byService[s].length === 0) continue;
    const share = peakPerSecond(r) / perSecondTotal;
    // VUs: in an outage every request may hang until its timeout, so as many VUs as the service's
    // peak rate over one timeout are allocated before the start (k6 allocating VUs mid-run drops
    // iterations); at most the service's share of max_in_flight, the built-in engine's cap.
    const maxVUs = Math.max(1, Math.ceil(load.max_in_flight * share));
    const preAllocatedVUs = Math.min(maxVUs, Math.max(2, Math.ceil(peakPerSecond(r) * (load.timeout / 1000))));
    const common = `exec: '${s}', timeUnit: '${r.timeUnit}', preAllocatedVUs: ${preAllocatedVUs}, maxVUs: ${maxVUs}, gracefulStop: '${goDuration(load.timeout + 1000)}', tags: { service: '${s}' }`;
    if (load.executor === 'ramping-arrival-rate') {
      const stages = load.stages!.map((st, k) => `{ target: ${r.targets[k]}, duration: '${goDuration(st.duration)}' }`).join(', ');
      scenarioJs.push(`    ${s}: { executor: 'ramping-arrival-rate', startRate: ${r.rate}, stages: [${stages}], ${common} },`);
    } else {
      scenarioJs.push(`    ${s}: { executor: 'constant-arrival-rate', rate: ${r.rate}, duration: '${goDuration(load.duration!)}', ${common} },`);
    }
    scenarios[s] = { rate: r.rate, timeUnit: r.timeUnit, requests: seq.byService[s].length };
  }
  const { thresholds, notExpressed } = gateThresholds(drill);
  const data = SERVICES.filter((s) => seq.byService[s].length > 0).map(
    (s) => `  ${s}: new SharedArray('${s}', function () {\n    /** @type {Entry[]} */\n    const list = [\n${seq.byService[s].map((e) => `      ${entryJs(e)},`).join('\n')}\n    ];\n    return list;\n  }),`,
  );
  const script = TEMPLATE.replace('@@HEADER@@', () => header(drill, o, seq.count, notExpressed))
    .replace('@@TIMEOUT@@', () => goDuration(load.timeout))
    .replace('@@WARMUP@@', () => String(load.warmup))
    .replace('@@DATA@@', () => data.join('\n'))
    .replace('@@SCENARIOS@@', () => scenarioJs.join('\n'))
    .replace('@@THRESHOLDS@@', () => thresholds.join('\n'))
    .replace('@@EXECS@@', () => SERVICES.filter((s) => seq.byService[s].length > 0).map((s) => `/** @param {{ run: string }} data */\nexport function ${s}(data) {\n  step('${s}', data);\n}`).join('\n\n'));
  return { script, scenarios, notExpressed };
}

function entryJs(e: SequenceEntry): string {
  return JSON.stringify(e);
}

function header(drill: Drill, o: ExportOptions, count: number, notExpressed: string[]): string {
  const lines = [
    `k6 script of the load of blackstart drill "${drill.name}"${o.file ? ` (${o.file})` : ''}, seed ${drill.seed}: ${count} requests.`,
    `Exported by blackstart ${o.version ?? ''} (blackstart export k6). Run it against an estate with`,
    `  k6 run -e BLACKSTART_PAS_URL=http://HOST:PORT/pas -e BLACKSTART_BOOKING_URL=... -e BLACKSTART_THEATRE_URL=... load.js`,
    `or let blackstart run it: blackstart drill FILE --engine k6 (it reads k6's --out json back into its records).`,
    '',
    'As the built-in engine, with what k6 changes:',
    `- One scenario per service, each with the drill's executor (${drill.load.executor}) at the service's share`,
    "  of the clinical mix (its operations' weights); the built-in engine runs one schedule and draws",
    '  the service of each request from it.',
    "- The clinical mix: the built-in engine's workload, seeded as the drill (same operations, bodies and",
    '  Idempotency-Keys `<run>-<index>`), fixed in advance: k6 VUs share no memory, so answers cannot',
    '  steer one sequence. Iteration n of a scenario sends its service\'s n-th request. A write counts as',
    `  acknowledged ${ACK_MARGIN_MS} ms after k6 is due to send it: only then may a later request name it (a`,
    '  lookup its patient, a cancellation its booking, a booking the cancellation that freed its slot).',
    '  A request carries the keys of the writes it needs (metadata depends_on); blackstart leaves it out',
    '  of its records when one was not acknowledged before it started (a read, or a write refused), as',
    '  the built-in engine would not have sent it. A cancellation needs the appointment id the server gave the booking: a VU that did',
    '  not book it itself asks GET /_ledger/<booking key> first (operation cancel_lookup).',
    '- Tags: service, operation, warmup (true during the drill\'s warm-up). Metadata (high-cardinality,',
    '  not series): request, idempotency_key; blackstart_response points carry the answer\'s serving site,',
    '  SAN sequence number, version and x-blackstart-indeterminate for blackstart\'s records.',
    `- A request not answered within ${goDuration(drill.load.timeout)} is abandoned (params.timeout), as the drill's timeout.`,
    '- Thresholds: the gates k6 can judge, on http_req_duration (k6 times from the connection, blackstart',
    '  from the scheduled start) and http_req_failed (k6 does not count dropped iterations there).',
    ...(notExpressed.length ? ['  Not expressible in k6 (judged by blackstart from the records):', ...notExpressed.map((n) => `    ${n}`)] : []),
  ];
  return lines.map((l) => `// ${l}`.trimEnd()).join('\n');
}

/** The drill's gates as k6 thresholds, where k6 can express them: latency and error rate over the whole run. */
export function gateThresholds(drill: Drill): { thresholds: string[]; notExpressed: string[] } {
  const byMetric = new Map<string, string[]>();
  const notExpressed: string[] = [];
  drill.gates.forEach((g: Gate, i) => {
    const name = `gates.${i} ${g.metric}${g.service !== 'all' ? `[${g.service}]` : ''} <= ${g.max}`;
    const why = reasonNotExpressed(g, drill);
    if (why) return notExpressed.push(`${name}: ${why}`);
    const tags = [...(g.service !== 'all' ? [`service:${g.service}`] : []), 'warmup:false'].join(',');
    const metric = g.metric === 'p99_ms' ? `http_req_duration{${tags}}` : `http_req_failed{${tags}}`;
    const expr = g.metric === 'p99_ms' ? `p(99)<=${g.max}` : `rate<=${g.max}`;
    byMetric.set(metric, [...(byMetric.get(metric) ?? []), expr]);
  });
  const thresholds = [...byMetric].map(([m, exprs]) => `    '${m}': [${exprs.map((e) => `'${e}'`).join(', ')}],`);
  return { thresholds, notExpressed };
}

function reasonNotExpressed(g: Gate, drill: Drill): string | undefined {
  if (g.stat) return `a statistic over repeated runs (${g.stat})`;
  if (g.metric !== 'p99_ms' && g.metric !== 'error_rate') return 'needs the faults, the controller or the read-back';
  if (g.phase !== 'run') return `phase ${g.phase} is relative to a fault${g.fault !== undefined ? ` (${typeof g.fault === 'number' ? faultName(drill.faults[g.fault], g.fault) : g.fault})` : ''}`;
  return undefined;
}

const TEMPLATE = `@@HEADER@@
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { SharedArray } from 'k6/data';

/** @typedef {[string, string, string, string | null, number, number[]]} Entry [operation, method, path, JSON body, index of the request (-1: a read), indexes of the writes it needs acknowledged] */

const TIMEOUT = '@@TIMEOUT@@';
const WARMUP_MS = @@WARMUP@@;

/** @param {string} service */
function baseUrl(service) {
  const name = 'BLACKSTART_' + service.toUpperCase() + '_URL';
  const url = __ENV[name];
  if (!url) throw new Error('set ' + name + ' to the ' + service + ' service, e.g. -e ' + name + '=http://127.0.0.1:21000/' + service);
  return url.replace(/\\/$/, '');
}

/** @type {Record<string, string>} */
const BASE = { pas: baseUrl('pas'), booking: baseUrl('booking'), theatre: baseUrl('theatre') };

/** Each service's requests, in the order the built-in engine sends them. */
/** @type {Record<string, Entry[]>} */
const REQUESTS = {
@@DATA@@
};

/** One point when the scenarios are about to start (setup): the start of the load for blackstart. */
const started = new Counter('blackstart_start');
/** One point per answered request, with what k6's own metrics leave out, as metadata. */
const answers = new Counter('blackstart_response');

export const options = {
  scenarios: {
@@SCENARIOS@@
  },
  thresholds: {
@@THRESHOLDS@@
  },
};

export function setup() {
  started.add(1);
  return { run: __ENV.BLACKSTART_RUN_ID || 'k6-' + Date.now().toString(36) };
}

/** Appointment ids this VU saw acknowledged, by the key of the booking. */
/** @type {Record<string, string>} */
const booked = {};

/**
 * @param {string} service
 * @param {{ run: string }} data
 */
function step(service, data) {
  const list = REQUESTS[service];
  const n = exec.scenario.iterationInTest;
  const e = list[n % list.length];
  // Past the end of the sequence (rounding of the rate), it starts again with fresh keys.
  const round = Math.floor(n / list.length);
  const suffix = round > 0 ? '-r' + round : '';
  const key = e[4] >= 0 ? data.run + '-' + e[4] + suffix : '';
  const id = service + ':' + n;
  let path = e[2];
  const ref = /@(\\d+)/.exec(path);
  if (ref) {
    const bookingKey = data.run + '-' + ref[1] + suffix;
    const appointment = booked[bookingKey] || lookup(service, bookingKey, id);
    // Not acknowledged (or not yet): the built-in engine would not have sent the cancellation.
    if (!appointment) return;
    path = path.replace(ref[0], appointment);
  }
  const needs = e[5].map(function (j) { return data.run + '-' + j + suffix; }).join(',');
  const res = send(service, e[0], e[1], path, e[3], key, id, needs);
  if (e[0] === 'book_appointment' && res.status >= 200 && res.status < 300) {
    const body = /** @type {{ id?: string } | null} */ (parse(res.body));
    if (body && body.id) booked[key] = body.id;
  }
}

/**
 * The id the server gave a booking, from its idempotency record (the mock's GET /_ledger/:key).
 * @param {string} service
 * @param {string} bookingKey
 * @param {string} id
 * @return {string | undefined}
 */
function lookup(service, bookingKey, id) {
  const res = send(service, 'cancel_lookup', 'GET', '/_ledger/' + encodeURIComponent(bookingKey), null, '', id + ':lookup', bookingKey);
  if (res.status !== 200) return undefined;
  const doc = /** @type {{ response?: { status?: number, body?: { id?: string } } } | null} */ (parse(res.body));
  const answer = doc && doc.response;
  if (!answer || !answer.status || answer.status >= 300 || !answer.body || !answer.body.id) return undefined;
  return answer.body.id;
}

/**
 * @param {unknown} body
 * @return {unknown}
 */
function parse(body) {
  if (typeof body !== 'string' || body.length === 0) return null;
  try {
    return JSON.parse(body);
  } catch (e) {
    return null;
  }
}

/**
 * @param {string} service
 * @param {string} operation
 * @param {string} method
 * @param {string} path
 * @param {string | null} body
 * @param {string} key
 * @param {string} id
 * @param {string} needs the keys of the writes this request needs acknowledged first, comma-separated ('' for none)
 */
function send(service, operation, method, path, body, key, id, needs) {
  /** @type {Record<string, string>} */
  const headers = {};
  if (body !== null) headers['Content-Type'] = 'application/json';
  if (key) headers['Idempotency-Key'] = key;
  const meta = exec.vu.metrics.metadata;
  meta.request = id;
  if (key) meta.idempotency_key = key;
  if (needs) meta.depends_on = needs;
  const warmup = exec.instance.currentTestRunDuration < WARMUP_MS;
  const res = http.request(method, BASE[service] + path, body, {
    headers: headers,
    timeout: TIMEOUT,
    tags: { service: service, operation: operation, warmup: String(warmup) },
  });
  if (res.status > 0) {
    const h = res.headers;
    meta.site = h['X-Blackstart-Site'] || '';
    meta.seq = h['X-Blackstart-Seq'] || '';
    meta.indeterminate = h['X-Blackstart-Indeterminate'] || '';
    if (key && res.status >= 200 && res.status < 300) {
      const doc = /** @type {{ id?: string, meta?: { versionId?: string } } | null} */ (parse(res.body));
      meta.id = (doc && doc.id) || '';
      meta.version = (doc && doc.meta && doc.meta.versionId) || (h['Etag'] || '').replace(/^W\\//, '').replace(/"/g, '');
    }
    answers.add(1, { service: service, operation: operation });
    delete meta.site;
    delete meta.seq;
    delete meta.indeterminate;
    delete meta.id;
    delete meta.version;
  }
  delete meta.request;
  delete meta.idempotency_key;
  delete meta.depends_on;
  return res;
}

@@EXECS@@
`;
