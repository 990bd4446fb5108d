import { describeNeeding, patroniMissing } from '../helpers/postgres';
import { powerCut } from './cases/power_cut';
import { runPatroniDrill } from './drill_run';

jest.setTimeout(180_000);

/** The shortened patroni-power-cut (test/patroni/cases/power_cut.ts), alone: its check of what is left sees only its own. */
describeNeeding(patroniMissing(), 'the Patroni estate under a power cut (process runtime)', () => {
  it(powerCut.title, async () => powerCut.check(await runPatroniDrill(powerCut.drill)));
});
