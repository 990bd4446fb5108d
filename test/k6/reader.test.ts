import { K6PointReader, parseK6Line, parseK6Time } from '../../harness/load/k6/reader';
import { RequestLog } from '../../harness/load/records';

/**
 * The reader of `k6 run --out json=FILE` against k6's own output format. The first lines are k6's
 * golden lines, copied as they are from k6's source: internal/output/json/json_test.go
 * (generateTestMetricSamples, `expected`), the format written by internal/output/json/wrapper.go.
 * The HTTP lines follow the same envelope with the samples lib/netext/httpext/tracer.go saves per
 * request (every sample at the request's EndTime, with the request's tags) and k6's default
 * system tags (metrics/system_tag.go) and error codes (lib/netext/httpext/error_codes.go).
 */
const K6_GOLDEN = [
  `{"type":"Metric","data":{"name":"my_metric1","type":"gauge","contains":"default","thresholds":["rate<0.01","p(99)<250"],"submetrics":[{"name":"my_metric1{a:1,b:2}","suffix":"a:1,b:2","tags":{"a":"1","b":"2"}}]},"metric":"my_metric1"}`,
  `{"type":"Point","data":{"time":"2021-02-24T13:37:10Z","value":1,"tags":{"tag1":"val1"},"metadata":{"meta1":"foo","meta2":"bar"}},"metric":"my_metric1"}`,
  `{"type":"Point","data":{"time":"2021-02-24T13:37:10Z","value":2,"tags":{"tag2":"val2"}},"metric":"my_metric1"}`,
  `{"type":"Metric","data":{"name":"my_metric2","type":"counter","contains":"data","thresholds":[],"submetrics":null},"metric":"my_metric2"}`,
  `{"type":"Point","data":{"time":"2021-02-24T13:37:20Z","value":3,"tags":{"key":"val"}},"metric":"my_metric2"}`,
  `{"type":"Point","data":{"time":"2021-02-24T13:37:20Z","value":4,"tags":{"key":"val"}},"metric":"my_metric1"}`,
  `{"type":"Point","data":{"time":"2021-02-24T13:37:30Z","value":5,"tags":{"tag3":"val3","tag4":"val4"},"metadata":{"meta3":"metaval3"}},"metric":"my_metric2"}`,
];

/** The lines k6 writes for one HTTP request (http_reqs, http_req_duration, http_req_blocked, http_req_failed). */
function request(o: { time: string; duration: number; blocked: number; method: string; url: string; status: number; service?: string; operation?: string; errorCode?: number; metadata?: Record<string, string> }): string[] {
  const expected = o.status >= 200 && o.status < 400;
  const tags = {
    expected_response: String(expected),
    group: '',
    method: o.method,
    name: o.url,
    proto: o.status ? 'HTTP/1.1' : '',
    scenario: o.service ?? 'default',
    status: String(o.status),
    url: o.url,
    ...(o.errorCode ? { error: 'x', error_code: String(o.errorCode) } : {}),
    ...(o.service ? { service: o.service } : {}),
    ...(o.operation ? { operation: o.operation } : {}),
  };
  const line = (metric: string, value: number) => JSON.stringify({ metric, type: 'Point', data: { time: o.time, value, tags, ...(o.metadata ? { metadata: o.metadata } : {}) } });
  return [line('http_reqs', 1), line('http_req_duration', o.duration), line('http_req_blocked', o.blocked), line('http_req_failed', expected ? 0 : 1)];
}

const unix = (iso: string) => parseK6Time(iso);

describe('k6 json output reader', () => {
  it("reads k6's own golden lines: Metric lines name the metrics, Point lines keep time, value, tags and metadata", () => {
    const parsed = K6_GOLDEN.map(parseK6Line);
    expect(parsed.map((p) => p!.type)).toEqual(['Metric', 'Point', 'Point', 'Metric', 'Point', 'Point', 'Point']);
    expect(parsed[0]).toEqual({ type: 'Metric', name: 'my_metric1', metricType: 'gauge' });
    const p1 = parsed[1] as { point: { metric: string; time: number; value: number; tags: object; metadata: object } };
    expect(p1.point).toMatchObject({ metric: 'my_metric1', value: 1, tags: { tag1: 'val1' }, metadata: { meta1: 'foo', meta2: 'bar' } });
    expect(p1.point.time).toBe(Date.UTC(2021, 1, 24, 13, 37, 10));
    // metadata omitted when empty: read as {}.
    expect((parsed[2] as typeof p1).point.metadata).toEqual({});
    const reader = new K6PointReader({ log: new RequestLog() });
    K6_GOLDEN.forEach((l) => reader.push(l));
    expect([...reader.metrics]).toEqual([['my_metric1', 'gauge'], ['my_metric2', 'counter']]);
    expect(reader.firstTime).toBe(Date.UTC(2021, 1, 24, 13, 37, 10));
    // Not HTTP points: no request records.
    expect(reader.finish()).toEqual({ requests: 0, dropped: 0 });
  });

  it("parses Go's RFC 3339 times with nanoseconds and zone offsets (k6's docs: 2017-05-09T14:34:45.625742514+02:00)", () => {
    expect(parseK6Time('2017-05-09T14:34:45.625742514+02:00')).toBeCloseTo(Date.UTC(2017, 4, 9, 12, 34, 45) + 625.742514, 6);
    expect(parseK6Time('2021-02-24T13:37:10.5Z')).toBe(Date.UTC(2021, 1, 24, 13, 37, 10) + 500);
    expect(parseK6Time('yesterday')).toBeNaN();
    expect(() => parseK6Line('{"type":"Sample"}')).toThrow(/not a k6 json output line/);
    expect(parseK6Line('   ')).toBeUndefined();
  });

  it('makes one record per request: started at time − blocked − duration, outcome by status and error code, service by tag or URL', () => {
    const log = new RequestLog();
    const origin = unix('2026-01-01T00:00:00Z');
    const reader = new K6PointReader({ log, toHarness: (t) => t - origin, services: { pas: 'http://127.0.0.1:9000/pas' } });
    const lines = [
      // The exported script's request: tags service and operation, its key as metadata, and its answer.
      ...request({ time: '2026-01-01T00:00:01.250Z', duration: 12.5, blocked: 2.5, method: 'POST', url: 'http://127.0.0.1:9000/booking/Appointment', status: 201, service: 'booking', operation: 'book_appointment', metadata: { request: 'booking:0', idempotency_key: 'run-7' } }),
      JSON.stringify({ metric: 'blackstart_response', type: 'Point', data: { time: '2026-01-01T00:00:01.251Z', value: 1, tags: { service: 'booking' }, metadata: { request: 'booking:0', idempotency_key: 'run-7', site: 'dc1', seq: '42', version: '3', id: 'appt-1' } } }),
      // A user's script: no service tag, found by URL; a 503 write without the estate's header is indeterminate.
      ...request({ time: '2026-01-01T00:00:02Z', duration: 30, blocked: 0, method: 'POST', url: 'http://127.0.0.1:9000/pas/Patient', status: 503 }),
      // No response: refused (1212) is a failure, a timeout (1050) indeterminate.
      ...request({ time: '2026-01-01T00:00:03Z', duration: 0, blocked: 1, method: 'GET', url: 'http://127.0.0.1:9000/pas/Patient/1', status: 0, errorCode: 1212 }),
      ...request({ time: '2026-01-01T00:00:08Z', duration: 5000, blocked: 0, method: 'GET', url: 'http://127.0.0.1:9000/pas/Patient/2', status: 0, errorCode: 1050 }),
      // A URL of no service: kept out, counted.
      ...request({ time: '2026-01-01T00:00:04Z', duration: 1, blocked: 0, method: 'GET', url: 'http://example.org/', status: 200 }),
      // An arrival-rate iteration k6 could not start.
      JSON.stringify({ metric: 'dropped_iterations', type: 'Point', data: { time: '2026-01-01T00:00:05Z', value: 1, tags: { scenario: 'theatre', service: 'theatre' } } }),
    ];
    lines.forEach((l) => reader.push(l));
    expect(reader.finish()).toEqual({ requests: 4, dropped: 1 });
    expect(reader.unattributed).toBe(1);
    const records = [...log.records()];
    expect(records.map((r) => [r.service, r.op, r.outcome, r.status, r.write])).toEqual([
      ['booking', 'book_appointment', 'ok', 201, true],
      ['pas', 'POST', 'info', 503, true],
      ['pas', 'GET', 'fail', 0, false],
      ['pas', 'GET', 'info', 0, false],
      ['theatre', 'dropped_iteration', 'dropped', 0, false],
    ]);
    expect(records[0]).toMatchObject({ scheduled: 1235, start: 1235, end: 1250, site: 'dc1', ackSeq: 42, ackVersion: 3 });
    expect(log.keys.get(0)).toBe('run-7');
    expect(log.ackIds.get(0)).toBe('appt-1');
    expect(records[3]).toMatchObject({ start: 3000, end: 8000 });
    expect(records[4]).toMatchObject({ scheduled: 5000, end: 5000 });
  });

  it('leaves out a read naming a write that was not acknowledged before it started; keeps a write that may have applied', () => {
    const log = new RequestLog();
    const origin = unix('2026-01-01T00:00:00Z');
    const reader = new K6PointReader({ log, toHarness: (t) => t - origin });
    const lines = [
      ...request({ time: '2026-01-01T00:00:01Z', duration: 5, blocked: 0, method: 'POST', url: 'http://x/pas/Patient', status: 503, service: 'pas', operation: 'register_patient', metadata: { request: 'pas:0', idempotency_key: 'r-1' } }),
      ...request({ time: '2026-01-01T00:00:02Z', duration: 5, blocked: 0, method: 'GET', url: 'http://x/pas/Patient/9', status: 404, service: 'pas', operation: 'lookup_patient', metadata: { request: 'pas:1', depends_on: 'r-1' } }),
      ...request({ time: '2026-01-01T00:00:02Z', duration: 5, blocked: 0, method: 'POST', url: 'http://x/booking/Appointment', status: 504, service: 'booking', operation: 'book_appointment', metadata: { request: 'booking:0', depends_on: 'r-1', idempotency_key: 'r-2' } }),
    ];
    lines.forEach((l) => reader.push(l));
    expect(reader.finish()).toEqual({ requests: 2, dropped: 0 });
    expect(reader.withoutDependency).toBe(1);
    expect([...log.records()].map((r) => r.op)).toEqual(['register_patient', 'book_appointment']);
  });
});
