import { describeNeeding, patroniMissing } from '../helpers/postgres';
import { agentDies } from './cases/agent_dies';
import { asyncLoss } from './cases/async_loss';
import { partition } from './cases/partition';
import { powerCut } from './cases/power_cut';
import { storageHang } from './cases/storage_hang';
import { witness } from './cases/witness';
import { sideBySide } from '../helpers/side_by_side';
import { postgresLeft, runPatroniDrill } from './drill_run';

jest.setTimeout(240_000);

/**
 * The shipped Patroni drills, shortened (test/patroni/cases/: each drill's text and what its
 * run must show), run up to three at a time, each on its own estate: most of a Patroni drill is
 * waiting (for the leader key's ttl, for the windows of recovery), so drills side by side cost the
 * suite about the time of one (four in sequence took 160 s of it). Their figures are Patroni's own
 * timings (ttl 10 s, loop_wait 2 s): seconds, with margins a busy core does not eat. What is left
 * running is looked for once all have ended (PostgreSQL's backends can only be told apart by the
 * cluster's name, which every run shares).
 */
// The checks of these three bound times in seconds (Patroni's ttl) and judge no recovery window
// tighter than the power cut's: they run three side by side. Two judge finer, and run as a pair:
// the async loss's lost writes are bounded to 100 ms around its power cut (beside two others, on
// 2 cores, its cut once took effect 0.5 s after it was applied), and the storage hang passes only
// with 3 healthy windows after a thaw (beside two others it once found none). The witness runs
// alone: its first fault claims that nothing fails, and beside three others (or two) the first
// seconds of every estate were starved by the others' bootstraps (a third of the requests failed).
const PAIRS = [[partition, agentDies, powerCut], [storageHang, asyncLoss], [witness]];

describeNeeding(patroniMissing(), 'the Patroni estate under its shipped faults, side by side (process runtime)', () => {
  for (const pair of PAIRS) {
    const run = sideBySide(pair.map((c) => () => runPatroniDrill(c.drill, [], { alone: false })));
    pair.forEach((c, i) => it(c.title, async () => c.check(await run(i))));
  }

  it('leaves no PostgreSQL of any of them running', () => {
    expect(postgresLeft()).toEqual([]);
  });
});
