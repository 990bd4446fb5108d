import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../chaos/journal';
import type { Fault, FaultContext } from '../../chaos/faults';
import { FaultSchedule } from '../../harness/runner/faults';
import type { DrillFault } from '../../harness/drill/schema';

/**
 * The runner's fault schedule (harness/runner/faults.ts): at the end of the load `revertAll` must
 * not return while a revert the schedule started is still running. A docker drill's power restore
 * (its node's crash recovery takes seconds) was still starting dc1's containers when the runner
 * read back, checked the residue and stopped the estate: "dc1-pas: the estate was stopped".
 */
describe('FaultSchedule', () => {
  it('revertAll waits for a revert already under way, and reverts once', async () => {
    const root = mkdtempSync(join(tmpdir(), 'blackstart-schedule-'));
    const journal = Journal.open({ runId: 'schedule', root });
    const events: string[] = [];
    let release!: () => void;
    const slow: Fault = {
      id: '0-slow',
      spec: { kind: 'network', spec: { link: 'x', toxic: 'down' } } as Fault['spec'],
      describe: () => 'a fault whose revert takes a while',
      revertPlan: () => [],
      apply: async () => void events.push('apply'),
      revert: async () => {
        events.push('revert started');
        await new Promise<void>((r) => (release = r));
        events.push('revert done');
      },
    };
    const spec = { name: 'slow', at: 0, duration: 10, network: { link: 'x', toxic: 'down' } } as unknown as DrillFault;
    // What the journal's fault line names of the estate; the stand-in fault touches nothing.
    const ctx = { estate: { id: 'estate-x', runtime: 'process', dataDir: root }, toxiproxy: {} } as unknown as FaultContext;
    const schedule = new FaultSchedule([spec], ctx, journal, (line) => events.push(line));
    schedule.faults[0].fault = slow;
    schedule.start(performance.now());
    // Applied at 0, its timed revert under way 10 ms later.
    for (let i = 0; i < 100 && !events.includes('revert started'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(events.filter((e) => !e.startsWith('t='))).toEqual(['apply', 'revert started']);

    let all = false;
    const done = schedule.revertAll().then(() => (all = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(all).toBe(false);
    release();
    await done;
    expect(events.filter((e) => !e.startsWith('t='))).toEqual(['apply', 'revert started', 'revert done']);
    expect(schedule.faults[0].revertError).toBeNull();
  });
});
