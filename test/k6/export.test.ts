import { join, resolve } from 'node:path';
import { loadDrill, parseDrill } from '../../harness/drill/load';
import { exportK6 } from '../../harness/load/k6/export';
import { clinicalSequence } from '../../harness/load/k6/sequence';
import { drillProblems, runCli } from '../helpers/drill';
import { typeCheckK6 } from './typecheck';

const DRILLS = resolve(__dirname, '..', '..', 'drills');

const RAMPING = `
name: ramp
seed: 5
load:
  executor: ramping-arrival-rate
  rate: 10/s
  stages: [{ target: 40/s, duration: 20s }, { target: 40/s, duration: 10s }]
  warmup: 2s
  timeout: 2500ms
gates:
  - { metric: p99_ms, max: 800, service: booking }
  - { metric: error_rate, max: 0.05 }
  - { metric: p99_ms, max: 500 }
  - { metric: rto_ms, max: 5000 }
`;

describe('blackstart export k6', () => {
  it("exports the flagship drill as a script that type-checks against @types/k6: a scenario per service with the drill's executor", () => {
    const drill = loadDrill(join(DRILLS, 'maidstone-san-outage.yaml'));
    const { script, scenarios, notExpressed } = exportK6(drill, { file: 'drills/maidstone-san-outage.yaml' });
    expect(typeCheckK6(script)).toEqual([]);
    // 30/s split by the mix's weights: pas 45 %, booking 45 %, theatre 10 % (810/min, 810/min, 3/s).
    expect(scenarios).toEqual({ pas: { rate: 810, timeUnit: '1m', requests: expect.any(Number) }, booking: { rate: 810, timeUnit: '1m', requests: expect.any(Number) }, theatre: { rate: 3, timeUnit: '1s', requests: expect.any(Number) } });
    expect(script).toContain("pas: { executor: 'constant-arrival-rate', rate: 810, duration: '55s', exec: 'pas', timeUnit: '1m', preAllocatedVUs: 41, maxVUs: 116, gracefulStop: '4s', tags: { service: 'pas' } },");
    expect(script).toContain("'http_req_failed{warmup:false}': ['rate<=0.2'],");
    expect(notExpressed).toEqual(expect.arrayContaining([expect.stringMatching(/^gates.0 rto_ms <= 15000: /), expect.stringMatching(/^gates.2 lost_writes <= 0: /)]));
    expect(script).toMatch(/^import http from 'k6\/http';$/m);
    expect(script).toMatch(/^export function booking\(data\) \{$/m);
  });

  it("a ramping drill: ramping-arrival-rate scenarios with the stages scaled, and latency gates per service as thresholds", () => {
    const drill = parseDrill(RAMPING, 'ramp.yaml');
    const { script } = exportK6(drill);
    expect(typeCheckK6(script)).toEqual([]);
    expect(script).toContain("booking: { executor: 'ramping-arrival-rate', startRate: 270, stages: [{ target: 1080, duration: '20s' }, { target: 1080, duration: '10s' }], exec: 'booking', timeUnit: '1m'");
    expect(script).toContain("'http_req_duration{service:booking,warmup:false}': ['p(99)<=800'],");
    expect(script).toContain("'http_req_duration{warmup:false}': ['p(99)<=500'],");
    expect(script).toContain("'http_req_failed{warmup:false}': ['rate<=0.05'],");
    expect(script).toContain("const TIMEOUT = '2500ms';");
  });

  it('the type check catches a script that misuses the k6 API (the check is not vacuous)', () => {
    expect(typeCheckK6("import http from 'k6/http';\nexport default function () { http.get(42); }")).toEqual([
      "load.js:2:39: Argument of type 'number' is not assignable to parameter of type 'string | HttpURL'.",
    ]);
  });

  it("keeps the built-in engine's keys and operations, each write keyed once, and names only writes due a second earlier", () => {
    const drill = loadDrill(join(DRILLS, 'maidstone-san-outage.yaml'));
    const seq = clinicalSequence(drill);
    const all = Object.values(seq.byService).flat();
    const writes = all.filter((e) => e[4] >= 0);
    expect(new Set(writes.map((e) => e[4])).size).toBe(writes.length);
    expect(new Set(all.map((e) => e[0]))).toEqual(new Set(['lookup_patient', 'list_free_slots', 'register_patient', 'book_appointment', 'cancel_appointment', 'schedule_case', 'admit_patient']));
    // What a request needs is a registration, a booking or a cancellation of the sequence.
    const byIndex = new Map(writes.map((e) => [e[4], e[0]]));
    const named = all.flatMap((e) => e[5].map((j) => byIndex.get(j)));
    expect(named.length).toBeGreaterThan(100);
    expect(new Set(named)).toEqual(new Set(['register_patient', 'book_appointment', 'cancel_appointment']));
    expect(all.filter((e) => e[0] === 'cancel_appointment').every((e) => /^\/Appointment\/@\d+\/\$cancel$/.test(e[2]) && e[5].length === 1)).toBe(true);
    // Reproducible from the seed.
    expect(clinicalSequence(drill).byService.pas.slice(0, 20)).toEqual(seq.byService.pas.slice(0, 20));
  });

  it('the CLI prints the script on stdout; a bad drill exits 2 with file:line:col', async () => {
    const ok = runCli(['export', 'k6', join(DRILLS, 'network-latency.yaml')], process.cwd());
    expect(await ok.exited).toBe(0);
    expect(ok.output()).toMatch(/^\/\/ k6 script of the load of blackstart drill "network-latency"/);
    expect(typeCheckK6(ok.output())).toEqual([]);
    const bad = runCli(['export', 'k6', join(__dirname, 'fixtures', 'my-load.js')], process.cwd());
    expect(await bad.exited).toBe(2);
  });
});

describe('load.engine and load.script in a drill file', () => {
  const base = (load: string) => `name: x\nload: { rate: 10/s, duration: 5s, ${load} }\n`;
  it('default to the built-in engine; a script needs k6; k6 refuses paper mode and an fhir workload without a script', () => {
    expect(parseDrill(base('engine: k6'), 'd.yaml').load).toMatchObject({ engine: 'k6' });
    expect(parseDrill(base('engine: k6, script: my.js'), 'd.yaml').load.script).toBe('my.js');
    expect(parseDrill(base(''), 'd.yaml').load.engine).toBe('builtin');
    expect(drillProblems(base('script: my.js')).map((p) => [p.path, p.message])).toEqual([['load.script', 'script needs engine: k6']]);
    expect(drillProblems(base('engine: k6, paper: true')).map((p) => p.message)).toEqual(['paper mode needs the built-in engine (engine: builtin)']);
    expect(drillProblems(base('engine: k6, workload: fhir')).map((p) => p.message)).toEqual(['engine k6 exports the clinical workload only: give your own script (script: FILE) for fhir']);
    expect(drillProblems(base('engine: locust')).map((p) => p.path)).toEqual(['load.engine']);
  });
});
