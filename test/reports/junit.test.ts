import { junitXml } from '../../reports/junit';
import { drillResult } from './fixture';
import { childrenNamed, parseXml, type XmlElement } from './xml_parse';

function suiteOf(xml: string): { root: XmlElement; suite: XmlElement; cases: XmlElement[] } {
  const root = parseXml(xml);
  const [suite, ...others] = childrenNamed(root, 'testsuite');
  expect(others).toHaveLength(0);
  return { root, suite, cases: childrenNamed(suite, 'testcase') };
}

const byName = (cases: XmlElement[], name: string) => cases.find((c) => c.attrs.name === name)!;

describe('junitXml', () => {
  it('has the testsuites/testsuite/testcase/failure shape with matching counts', () => {
    const xml = junitXml(drillResult());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    const { root, suite, cases } = suiteOf(xml);
    expect(root.name).toBe('testsuites');
    expect(root.attrs).toMatchObject({ name: 'blackstart', tests: '4', failures: '1', errors: '0', time: '45.500' });
    expect(suite.attrs).toMatchObject({ name: 'backup-does-not-come-up', tests: '4', failures: '1', errors: '0', skipped: '0', time: '45.500', timestamp: '2025-03-01T10:00:00' });

    const props = Object.fromEntries(childrenNamed(childrenNamed(suite, 'properties')[0], 'property').map((p) => [p.attrs.name, p.attrs.value]));
    expect(props).toMatchObject({ seed: '42', runtime: 'process', verdict: 'failed' });

    // One test case per gate, then residue and drill completed.
    expect(cases.map((c) => c.attrs.name)).toEqual(['p99_ms[all] before power-cut <= 50', 'rto_ms[all] fault power-cut <= 30000', 'residue', 'drill completed']);
    expect(cases[0].attrs).toMatchObject({ classname: 'blackstart.backup-does-not-come-up.gates', time: '0' });
    expect(cases[0].children).toHaveLength(0);

    const [failure] = childrenNamed(cases[1], 'failure');
    expect(failure.attrs.type).toBe('gate');
    expect(failure.attrs.message).toContain('the backup never took over');
    expect(failure.attrs.message).toContain('measured not recovered, limit <= 30000 ms (30 s)');
    expect(failure.text).toContain('metric: rto_ms');
    expect(byName(cases, 'residue').children).toHaveLength(0);
    expect(byName(cases, 'drill completed').children).toHaveLength(0);

    // The counts agree with the elements, as CI tools recompute them.
    const count = (kind: string) => cases.filter((c) => childrenNamed(c, kind).length > 0).length;
    expect(Number(suite.attrs.failures)).toBe(count('failure'));
    expect(Number(suite.attrs.errors)).toBe(count('error'));
    expect(Number(suite.attrs.tests)).toBe(cases.length);
  });

  it('escapes names, messages and control characters so they survive a parse', () => {
    const r = drillResult();
    const name = `weird <gate> & "quoted" 'single' ]]>`;
    const reason = 'line one\nline two\ttabbed & <b>bold</b> \u0001bell\u001b[0m';
    r.gates[1] = { ...r.gates[1], name, reason };
    r.headline = 'headline with <&> and \u0000';
    const xml = junitXml(r);
    const { cases, suite } = suiteOf(xml);
    const gate = cases[1];
    expect(gate.attrs.name).toBe(name);
    const [failure] = childrenNamed(gate, 'failure');
    // Newlines and tabs in attributes are kept as references, not normalized to spaces.
    expect(failure.attrs.message).toContain('line one\nline two\ttabbed & <b>bold</b> \\u0001bell\\u001b[0m');
    expect(failure.text).toContain('reason: line one\nline two');
    expect(childrenNamed(suite, 'system-out')[0].text).toBe('headline with <&> and \\u0000');
  });

  it("gives the run's notes after the headline in the suite's output", () => {
    const r = drillResult();
    r.headline = 'Every gate passed.';
    r.notes = ['no controller', 'thin <windows>'];
    expect(childrenNamed(suiteOf(junitXml(r)).suite, 'system-out')[0].text).toBe('Every gate passed.\nNote: no controller\nNote: thin <windows>');
  });

  it('fails the residue test case when chaos left something behind', () => {
    const r = drillResult();
    r.verdict = 'residue';
    r.residue = ['toxic latency_downstream on pas-dc1', 'proxy san-dc1 disabled'];
    const { suite, cases } = suiteOf(junitXml(r));
    expect(suite.attrs).toMatchObject({ tests: '4', failures: '2', errors: '0' });
    const [failure] = childrenNamed(byName(cases, 'residue'), 'failure');
    expect(failure.attrs.type).toBe('residue');
    expect(failure.attrs.message).toContain('proxy san-dc1 disabled');
  });

  it.each([
    ['aborted', { abortReason: 'success ratio below 0.5 for 10 s', error: null }, 'success ratio below 0.5 for 10 s'],
    ['error', { abortReason: null, error: 'estate failed to start: port 7001 in use' }, 'estate failed to start: port 7001 in use'],
  ] as const)('reports a %s drill as an <error> on "drill completed"', (verdict, fields, message) => {
    const r = { ...drillResult(), verdict, ...fields, exitCode: 2 };
    const { root, cases } = suiteOf(junitXml(r));
    expect(root.attrs).toMatchObject({ errors: '1', failures: '1' });
    const [error] = childrenNamed(byName(cases, 'drill completed'), 'error');
    expect(error.attrs).toMatchObject({ message, type: verdict });
  });

  it('is well-formed with no gates at all', () => {
    const r = { ...drillResult(), gates: [], verdict: 'error' as const, error: 'drill file unreadable' };
    const { suite, cases } = suiteOf(junitXml(r));
    expect(cases.map((c) => c.attrs.name)).toEqual(['residue', 'drill completed']);
    expect(suite.attrs).toMatchObject({ tests: '2', failures: '0', errors: '1' });
  });
});

describe('the test XML parser', () => {
  // It is the judge of well-formedness above, so it must refuse what a real parser refuses.
  it.each(['<a>&</a>', '<a b="<"/>', '<a>\u0001</a>', '<a><b></a></b>', '<a/><b/>', '<a b="1" b="2"/>', '<a>&#1;</a>', '<a>&nbsp;</a>'])('rejects %j', (bad) => {
    expect(() => parseXml(bad)).toThrow();
  });
});
