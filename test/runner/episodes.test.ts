import { parseDrill } from '../../harness/drill/load';
import { judgeGates, measureRun, type RunRecord } from '../../harness/runner/result';
import type { ScheduledFault } from '../../harness/runner/faults';
import { around, logOf, outage, steady } from '../measure/builders';

/**
 * Each fault's recovery episode runs from its application to the next fault's, in time
 * (docs/ARCHITECTURE.md § 7.4), whatever order the drill file lists them in; the baseline ends at
 * the first fault applied; a gate naming a fault by index means the drill file's index.
 */
const T0 = 100_000;

function drillOf(faults: string): ReturnType<typeof parseDrill> {
  return parseDrill(`name: episodes
seed: 1
load: { rate: 50/s, duration: 30s, warmup: 1s, timeout: 2s }
faults:
${faults}
recovery: { windows: 3, window: 1s, max_p95: 1s }
gates:
  - { metric: rto_ms, max: 5000 }
  - { metric: rto_ms, max: 5000, fault: 1 }
`);
}

function record(drill: ReturnType<typeof parseDrill>, applied: (number | null)[]): RunRecord {
  const pas = { from: T0, to: T0 + 30_000, rateHz: 50, service: 'pas' as const };
  // Service fails over [6 s, 7 s) and over [20 s, 22 s) of the load.
  const log = logOf(around({ ...pas, to: T0 + 20_000 }, T0 + 6000, T0 + 7000, outage({ ...pas, from: T0 + 6000, to: T0 + 7000 })), around({ ...pas, from: T0 + 20_000 }, T0 + 20_000, T0 + 22_000, outage({ ...pas, from: T0 + 20_000, to: T0 + 22_000 })));
  const faults: ScheduledFault[] = drill.faults.map((f, i) => ({
    index: i,
    name: f.name!,
    fault: { spec: { kind: 'network' } } as unknown as ScheduledFault['fault'],
    plannedAtMs: f.at,
    appliedAt: applied[i] === null ? null : T0 + applied[i]!,
    revertedAt: null,
    error: applied[i] === null ? 'refused' : null,
    revertError: null,
  }));
  return { drill, file: 'episodes.yaml', startedAt: new Date().toISOString(), estate: undefined, t0: T0, summary: { scheduled: log.length, dropped: 0, lagP50Ms: 0, lagP99Ms: 0, lagMaxMs: 0, durationMs: 30_000 }, log, faults, events: [], ledger: null, paper: null, residue: [], abortReason: null, error: null };
}

const LINK = (name: string, at: string) => `  - { name: ${name}, at: ${at}, network: { link: frontdoor, toxic: down }, duration: 1s }`;

describe('recovery episodes and the drill order of faults', () => {
  test('listed late first: each fault is judged on its own outage, and the baseline ends at the earliest', () => {
    const drill = drillOf([LINK('late', '20s'), LINK('early', '6s')].join('\n'));
    const m = measureRun(record(drill, [20_000, 6000]));
    const rto = Object.fromEntries(m.recoveries.map((r) => [r.fault, r.all.rto]));
    expect(rto).toEqual({ late: { recovered: true, ms: 2000 }, early: { recovered: true, ms: 1000 } });
    expect(m.recoveries.map((r) => [r.fault, r.parameters.baselineTo])).toEqual([
      ['late', T0 + 6000],
      ['early', T0 + 6000],
    ]);
  });

  test('listed in time order: the same figures', () => {
    const drill = drillOf([LINK('early', '6s'), LINK('late', '20s')].join('\n'));
    const rto = Object.fromEntries(measureRun(record(drill, [6000, 20_000])).recoveries.map((r) => [r.fault, r.all.rto]));
    expect(rto).toEqual({ late: { recovered: true, ms: 2000 }, early: { recovered: true, ms: 1000 } });
  });

  test('a gate naming fault 1 judges the drill file\'s fault 1, even when fault 0 was never applied', () => {
    const drill = drillOf([LINK('refused', '3s'), LINK('early', '6s'), LINK('late', '20s')].join('\n'));
    const r = record(drill, [null, 6000, 20_000]);
    const gates = judgeGates(r, measureRun(r));
    expect(gates.map((g) => [g.fault, g.value])).toEqual([
      ['early', 1000],
      ['late', 2000],
      ['early', 1000],
    ]);
  });

  test('a gate on a service the run sent nothing to fails with nothing to judge (pas only here)', () => {
    const drill = drillOf([LINK('early', '6s'), LINK('late', '20s')].join('\n'));
    const r = record(drill, [6000, 20_000]);
    const on = (metric: string) => ({ ...drill.gates[1], metric, service: 'booking', max: 100_000 }) as (typeof drill.gates)[number];
    const gates = judgeGates({ ...r, drill: { ...drill, gates: ['rto_ms', 'time_to_first_success_ms', 'error_rate', 'p99_ms'].map(on) } }, measureRun(r));
    expect(gates.map((g) => [g.metric, g.value, g.passed, g.reason])).toEqual(
      ['rto_ms', 'time_to_first_success_ms', 'error_rate', 'p99_ms'].map((m) => [m, null, false, 'no requests to booking in this run: nothing to judge']),
    );
    // The same gates on pas, which had requests, are judged.
    const pas = judgeGates({ ...r, drill: { ...drill, gates: [{ ...on('rto_ms'), service: 'pas' }] } }, measureRun(r));
    expect(pas.map((g) => [g.fault, g.value, g.passed])).toEqual([["late", 2000, true]]);
  });

  test('a gate naming a fault that was never applied fails, and says so', () => {
    const drill = drillOf([LINK('refused', '3s'), LINK('early', '6s')].join('\n'));
    const r = record(drill, [null, 6000]);
    const byIndex = { ...drill.gates[1], fault: 0 };
    const gates = judgeGates({ ...r, drill: { ...drill, gates: [byIndex] } }, measureRun(r));
    expect(gates.map((g) => [g.fault, g.value, g.passed, g.reason])).toEqual([['refused', null, false, 'fault refused was not applied']]);
  });
});
