import { aggregateSchema } from '../../model/aggregate';
import { withRate, runDir } from '../../harness/repeat/run';
import { parseDrill } from '../../harness/drill/load';
import { aggregateOf, outcome, STAT_GATE } from './builders';

describe('the aggregate of repeated runs (docs/ARCHITECTURE.md § 7.14)', () => {
  it('RTO per fault and service as a distribution, verdicts counted, schema-valid', () => {
    const a = aggregateOf([outcome({ rto: 1000 }, { k: 1 }), outcome({ rto: 3000, lost: 2 }, { k: 2 }), outcome({ rto: 2000, p99: 400 }, { k: 3 })]);
    expect(aggregateSchema.parse(a)).toEqual(a);
    expect(a.schema).toBe('blackstart.aggregate/1');
    expect(a.runs.map((r) => [r.run, r.k, r.dir, r.verdict])).toEqual([
      [1, 1, 'run-1', 'passed'],
      [2, 2, 'run-2', 'passed'],
      [3, 3, 'run-3', 'passed'],
    ]);
    const [g] = a.groups;
    expect(g.rate).toBeNull();
    expect(g.verdicts).toEqual({ passed: 3, failed: 0, aborted: 0, error: 0, residue: 0 });
    expect(g.faults.map((f) => [f.fault, f.scopes.map((s) => s.service)])).toEqual([['power-cut', ['all', 'pas', 'booking']]]);
    const rto = g.faults[0].scopes[0].rto;
    expect([rto.n, rto.missing, rto.min, rto.median, rto.p90, rto.max, rto.mean]).toEqual([3, 0, 1000, 2000, 3000, 3000, 2000]);
    expect(rto.medianCi).toBeNull();
    expect(g.faults[0].scopes[0].timeToFirstSuccess.median).toBe(1000);
    expect(g.lostWrites.samples.map((s) => s.value)).toEqual([0, 2, 0]);
    expect(g.p99Ms.max).toBe(400);
    expect(g.errorRate.median).toBeCloseTo(0.01, 12);
    expect([a.verdict, a.exitCode, a.sweep]).toEqual(['passed', 0, null]);
    expect(a.headline).toBe('Passed 3 of 3 runs. The one statistic gate passed.');
    expect(Object.keys(a.definitions)).toEqual(expect.arrayContaining(['percentile', 'medianCi', 'mean', 'rto', 'timeToFirstSuccess', 'lostWrites', 'errorRate', 'p99Ms']));
  });

  it('a gate naming a statistic is judged on the runs\' values; not recovered is +infinity', () => {
    // p90 of 3 runs is the 3rd: not recovered.
    const a = aggregateOf([outcome({ rto: 1000 }, { k: 1 }), outcome({ rto: null, ttfs: null }, { k: 2 }), outcome({ rto: 2000 }, { k: 3 })]);
    const [gate] = a.groups[0].gates;
    expect(gate).toMatchObject({ name: STAT_GATE, stat: 'p90', n: 3, missing: 1, value: null, passed: false, rate: null });
    expect(gate.reason).toBe('1 of 3 runs not recovered: the p90 is not recovered');
    const rto = a.groups[0].faults[0].scopes[0].rto;
    expect([rto.median, rto.p90, rto.missing]).toEqual([2000, null, 1]);
    expect(a.groups[0].faults[0].scopes[0].timeToFirstSuccess.missing).toBe(1);
    // Every run passed its own gates; the statistic gate fails the aggregate.
    expect([a.verdict, a.exitCode]).toEqual(['failed', 1]);
    expect(a.groups[0].gatesFailed).toEqual([`${STAT_GATE}: 1 of 3 runs not recovered: the p90 is not recovered`]);

    const over = aggregateOf([outcome({ rto: 1000 }, { k: 1 }), outcome({ rto: 6000 }, { k: 2 })]);
    expect(over.groups[0].gates[0]).toMatchObject({ value: 6000, passed: false, reason: 'p90 over 2 runs 6000 ms (6 s) > limit 5000 ms (5 s)' });
  });

  it('a run that failed a gate fails the aggregate: "passed 2 of 3"', () => {
    const a = aggregateOf([outcome({ rto: 1000 }, { k: 1 }), outcome({ rto: 1200, gatesFailed: ['rto_ms <= 1100 (all services, power-cut)'] }, { k: 2 }), outcome({ rto: 900 }, { k: 3 })]);
    expect(a.groups[0].verdicts.passed).toBe(2);
    expect(a.groups[0].verdicts.failed).toBe(1);
    expect(a.verdict).toBe('failed');
    expect(a.groups[0].gatesFailed).toEqual(['rto_ms <= 1100 (all services, power-cut): failed in 1 of 3 runs']);
    expect(a.headline).toMatch(/^Passed 2 of 3 runs \(1 failed\)\./);
  });

  it('Ctrl-C: the interrupted run is listed but not measured; the aggregate is aborted', () => {
    const a = aggregateOf([outcome({ rto: 1000 }, { k: 1 }), outcome({ rto: null, verdict: 'aborted' }, { k: 2, interrupted: true })], { repeat: 5, abortReason: 'interrupted (SIGINT) during run 2 of 5' });
    expect(a.runs.map((r) => r.interrupted)).toEqual([false, true]);
    expect(a.groups[0].finished).toBe(1);
    expect(a.groups[0].faults[0].scopes[0].rto.samples).toEqual([{ run: 1, value: 1000 }]);
    expect([a.verdict, a.exitCode]).toEqual(['aborted', 1]);
    expect(a.headline).toMatch(/^Stopped early \(interrupted \(SIGINT\) during run 2 of 5\): the aggregate is of the 1 of 5 runs that finished\./);
  });

  it('a run that could not run is an error (exit 2) and is left out of the statistics; residue wins over a failure', () => {
    const a = aggregateOf([outcome({ rto: 1000 }, { k: 1 }), outcome({ rto: null, verdict: 'error', statGate: 'none' }, { k: 2 })]);
    expect([a.verdict, a.exitCode]).toEqual(['error', 2]);
    expect(a.groups[0].faults[0].scopes[0].rto.n).toBe(1);
    expect(a.groups[0].gates[0].n).toBe(1);
    const r = aggregateOf([outcome({ rto: 1000, verdict: 'residue' }, { k: 1 }), outcome({ rto: 1000, gatesFailed: ['x'] }, { k: 2 })]);
    expect([r.verdict, r.exitCode]).toEqual(['residue', 3]);
  });

  it('a sweep: one group per rate and the first rate at which a gate failed', () => {
    const runs = [
      outcome({ rto: 1000 }, { k: 1, rate: 20 }),
      outcome({ rto: 1100 }, { k: 2, rate: 20 }),
      outcome({ rto: 1500 }, { k: 1, rate: 40 }),
      outcome({ rto: null, gatesFailed: ['rto_ms <= 3000 (all services, power-cut)'] }, { k: 2, rate: 40 }),
      outcome({ rto: null, gatesFailed: ['rto_ms <= 3000 (all services, power-cut)'] }, { k: 1, rate: 80 }),
      outcome({ rto: null, gatesFailed: ['rto_ms <= 3000 (all services, power-cut)'] }, { k: 2, rate: 80 }),
    ];
    const a = aggregateOf(runs, { rates: [20, 40, 80], repeat: 2 });
    expect(a.groups.map((g) => [g.rate, g.runs, g.verdict])).toEqual([
      [20, [1, 2], 'passed'],
      [40, [3, 4], 'failed'],
      [80, [5, 6], 'failed'],
    ]);
    expect(a.groups[1].faults[0].scopes[0].rto.samples).toEqual([{ run: 3, value: 1500 }, { run: 4, value: null }]);
    expect(a.groups[1].gates[0]).toMatchObject({ rate: 40, n: 2, missing: 1, value: null, passed: false });
    expect(a.sweep!.firstFailingRate).toBe(40);
    expect(a.sweep!.failedGates[0]).toBe('rto_ms <= 3000 (all services, power-cut): failed in 1 of 2 runs');
    expect(a.headline).toMatch(/^First failing rate 40\/s: rto_ms <= 3000 .* Gates held at 20\/s\.$/);
    expect(a.verdict).toBe('failed');
  });

  it('puts a sweep rate on the load: constant replaces the rate, ramping scales every stage to the peak', () => {
    const constant = parseDrill('name: c\nload: { rate: 30/s, duration: 10s }\n');
    expect(withRate(constant, 100).load.rate).toBe(100);
    const ramping = parseDrill('name: r\nload: { executor: ramping-arrival-rate, rate: 10/s, stages: [ { target: 50/s, duration: 5s }, { target: 25/s, duration: 5s } ] }\n');
    const scaled = withRate(ramping, 100).load;
    expect([scaled.rate, scaled.stages!.map((s) => s.target), scaled.stages!.map((s) => s.duration)]).toEqual([20, [100, 50], [5000, 5000]]);
    expect(runDir(null, 3)).toBe('run-3');
    expect(runDir(30, 1)).toBe('rate-30/run-1');
    expect(runDir(0.5, 2)).toBe('rate-0.5/run-2');
  });
});
