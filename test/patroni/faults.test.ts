import { describeNeeding, patroniMissing } from '../helpers/postgres';
import { agentDies } from './cases/agent_dies';
import { asyncLoss } from './cases/async_loss';
import { partition } from './cases/partition';
import { storageHang } from './cases/storage_hang';
import { sideBySide } from '../helpers/side_by_side';
import { postgresLeft, runPatroniDrill } from './drill_run';

jest.setTimeout(240_000);

/**
 * Four of the shipped Patroni drills, shortened (test/patroni/cases/: each drill's text and what
 * its run must show), run two at a time, each on its own estate: most of a Patroni drill is
 * waiting (for the leader key's ttl, for the windows of recovery), so two side by side cost the
 * suite about the time of one (the four in sequence took 160 s of it). Their figures are
 * Patroni's own timings (ttl 10 s, loop_wait 2 s): seconds, with margins a busy core does not eat.
 * test/patroni/power_cut.test.ts runs alone, with its own check of what is left.
 */
const PAIRS = [
  [storageHang, partition],
  [asyncLoss, agentDies],
];

describeNeeding(patroniMissing(), 'the Patroni estate under four faults, two drills at a time (process runtime)', () => {
  for (const pair of PAIRS) {
    const run = sideBySide(pair.map((c) => () => runPatroniDrill(c.drill, [], { alone: false })));
    pair.forEach((c, i) => it(c.title, async () => c.check(await run(i))));
  }

  it('leaves no PostgreSQL of any of them running', () => {
    expect(postgresLeft()).toEqual([]);
  });
});
