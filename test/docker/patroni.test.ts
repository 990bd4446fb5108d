import { resolve } from 'node:path';
import { buildImages } from '../../services/runtime/docker/images';
import { agentDies } from '../patroni/cases/agent_dies';
import { powerCut } from '../patroni/cases/power_cut';
import { runPatroniDrill } from '../patroni/drill_run';
import { describeDocker } from '../helpers/docker';
import { sideBySide } from '../helpers/side_by_side';

jest.setTimeout(300_000);

/**
 * The Patroni estate on the docker runtime (every component a container of blackstart/patroni,
 * built by `images build --patroni`): the same shortened drills and checks as the process
 * runtime's (test/patroni/cases/), two side by side, each on its own estate. The power cut is
 * `docker kill` of dc1's containers; the agent's death kills the container's `patroni` process by
 * its host pid, the node's PID 1 (its init.sh) keeping the postmaster alive, and its end starts
 * Patroni again inside the container (`reviveProcess`). What is left is looked for by label.
 */
const CASES = [powerCut, agentDies];
const run = sideBySide(CASES.map((c) => () => runPatroniDrill(c.drill, [], { runtime: 'docker' })));

describeDocker('the Patroni estate on the docker runtime', () => {
  beforeAll(() => buildImages({ root: resolve(__dirname, '..', '..'), patroni: true }), 600_000);
  CASES.forEach((c, i) => it(c.title, async () => c.check(await run(i))));
});
