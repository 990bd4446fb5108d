import { faultSpecOf, parseDrill } from '../../harness/drill/load';
import { createFault } from '../../chaos/faults';
import { drillProblems as problems } from '../helpers/drill';

/** The kill_process fault as a drill file writes it (model/faults.ts): checked at file:line:col like every fault. */
const MINIMAL = 'name: k\nload: { rate: 5/s, duration: 10s, warmup: 1s }\n';
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('kill_process in a drill file', () => {
  it('is read into a fault that names what it kills, and whose revert restarts the component', () => {
    const drill = parseDrill(MINIMAL + 'faults:\n  - { at: 2s, kill_process: { component: dc1-pas, process: node }, duration: 3s }\n', 'drill.yaml');
    const spec = faultSpecOf(drill.faults[0]);
    expect(spec).toEqual({ kind: 'kill_process', spec: { component: 'dc1-pas', process: 'node' } });
    expect(createFault('f', spec).describe()).toBe('kill node of dc1-pas');
    // A role form resolves when applied, as a freeze's does.
    expect(() => parseDrill(MINIMAL + 'faults:\n  - { at: 2s, kill_process: { component: active-pas, process: node } }\n', 'drill.yaml')).not.toThrow();
  });

  it('refuses a component the estate lacks, a bad process name and a missing one, each at its line', () => {
    const text = MINIMAL + 'faults:\n  - at: 2s\n    kill_process: { component: dc9-db, process: patroni }\n  - at: 3s\n    kill_process: { component: dc1-pas, process: "usr/bin/patroni" }\n  - at: 4s\n    kill_process: { component: dc1-pas }\n';
    const found = problems(text).map((p) => [p.line, p.path, p.message]);
    expect(found).toEqual(
      expect.arrayContaining([
        [lineOf(text, 'dc9-db'), 'faults.0.kill_process.component', expect.stringMatching(/^no component "dc9-db" in the estate/)],
        [lineOf(text, 'usr/bin'), 'faults.1.kill_process.process', expect.stringMatching(/a process name as the kernel keeps it/)],
        [lineOf(text, 'component: dc1-pas }'), 'faults.2.kill_process.process', expect.any(String)],
      ]),
    );
  });
});
