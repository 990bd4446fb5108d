import { describeNeeding, patroniMissing } from '../helpers/postgres';
import { agentDies } from './cases/agent_dies';
import { asyncLoss } from './cases/async_loss';
import { partition } from './cases/partition';
import { powerCut } from './cases/power_cut';
import { storageHang } from './cases/storage_hang';
import { witness } from './cases/witness';
import { sideBySide } from '../helpers/side_by_side';
import { postgresLeft, runPatroniDrill, type PatroniRun } from './drill_run';

type Case = { title: string; drill: string; check: (run: PatroniRun) => void };

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
// with 3 healthy windows after a thaw (beside two others it once found none). The witness case
// starts once the pair's loads have ended (their revert, read-back and stop overlap its estate's
// start, no load of either): its first fault claims that nothing fails, and beside other estates
// every estate's first seconds were starved by the others' bootstraps (a third of requests failed).
const GROUPS: { cases: Case[]; then?: Case }[] = [{ cases: [partition, agentDies, powerCut] }, { cases: [storageHang, asyncLoss], then: witness }];

describeNeeding(patroniMissing(), 'the Patroni estate under its shipped faults, side by side (process runtime)', () => {
  for (const group of GROUPS) {
    const loadsEnded = group.cases.map(() => {
      let ended!: () => void;
      return { promise: new Promise<void>((r) => (ended = r)), ended };
    });
    const runs = group.cases.map((c, i) => () => runPatroniDrill(c.drill, [], { alone: false, onLoadEnd: loadsEnded[i].ended }).finally(loadsEnded[i].ended));
    const then = group.then;
    const run = sideBySide(then ? [...runs, () => Promise.all(loadsEnded.map((l) => l.promise)).then(() => runPatroniDrill(then.drill, [], { alone: false }))] : runs);
    [...group.cases, ...(then ? [then] : [])].forEach((c, i) => it(c.title, async () => c.check(await run(i))));
  }

  it('leaves no PostgreSQL of any of them running', () => {
    expect(postgresLeft()).toEqual([]);
  });
});
