import { DrillError, parseDrill } from '../../harness/drill/load';
import { parseRates, parseRepeat, repeatPlan, repeatPlanLines } from '../../harness/repeat_command';

const DRILL = `name: opts
seed: 10
load: { rate: 30/s, duration: 10s, warmup: 1s }
faults: [ { name: cut, at: 2s, network: { link: frontdoor, toxic: down }, duration: 1s } ]
`;

describe('--repeat, --rates, sweep and stat gates', () => {
  it('parses --repeat (1-100) and --rates (per second, ascending, each once)', () => {
    expect(parseRepeat('5')).toBe(5);
    for (const bad of ['0', '101', '2.5', 'x']) expect(() => parseRepeat(bad)).toThrow('1-100');
    expect(parseRates('300,30, 100')).toEqual([30, 100, 300]);
    expect(parseRates('30/s,6000/m,30')).toEqual([30, 100]);
    expect(() => parseRates('fast')).toThrow('not a rate');
    expect(() => parseRates('0')).toThrow('above 0');
    expect(() => parseRates(',')).toThrow('at least one rate');
  });

  it('a gate may name a statistic; a drill may carry its sweep, which the flags replace', () => {
    const drill = parseDrill(`${DRILL}gates: [ { metric: rto_ms, stat: p90, max: 5000 }, { metric: rto_ms, max: 9000 } ]\nsweep: { rates: [100/s, 30/s], repeat: 3 }\n`);
    expect(drill.gates.map((g) => g.stat)).toEqual(['p90', undefined]);
    expect(repeatPlan(drill, {})).toEqual({ repeat: 3, rates: [30, 100] });
    expect(repeatPlan(drill, { repeat: 2, rates: [50] })).toEqual({ repeat: 2, rates: [50] });
    const plain = parseDrill(DRILL);
    expect(repeatPlan(plain, {})).toBeNull();
    expect(repeatPlan(plain, { repeat: 4 })).toEqual({ repeat: 4, rates: null });
    expect(repeatPlanLines(plain, { repeat: 4, rates: null }).join('\n')).toContain('seeds 10..13');
    expect(() => parseDrill(`${DRILL}gates: [ { metric: rto_ms, stat: p95, max: 5000 } ]\n`)).toThrow(DrillError);
    expect(() => parseDrill(`${DRILL}sweep: { rates: [] }\n`)).toThrow(DrillError);
  });
});
