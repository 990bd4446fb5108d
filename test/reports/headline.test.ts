import { headline } from '../../reports/format';
import { drillResult } from './fixture';

/** The headline's count of passed gates reads as a person would write it. */
describe('headline, every gate passed', () => {
  const passed = (n: number) => {
    const r = drillResult();
    r.verdict = 'passed';
    r.controllerEvents = [];
    r.recovery = r.recovery.map((rec) => ({ ...rec, all: { ...rec.all, rto: { recovered: true as const, ms: 1000 } } }));
    r.gates = Array.from({ length: n }, (_, i) => ({ ...r.gates[1], name: `gate ${i}`, passed: true }));
    return headline(r);
  };

  it('says none, one or all of them', () => {
    expect([passed(0), passed(1), passed(3)]).toEqual(['No gates were set.', 'The one gate passed.', 'All 3 gates passed.']);
  });
});
