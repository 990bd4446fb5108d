import { describeDocker, ensureImages, labelled } from '../helpers/docker';
import { killPlan, killRound } from '../helpers/kill';

/**
 * test/drill/kill_random.test.ts on the docker runtime (issue 14): a drill killed at random moments
 * (SIGINT, SIGTERM, SIGKILL + `blackstart restore`), KILL_ROUNDS (default 2, for the suite's time: two
 * distinct signals drawn from the seed) at moments from KILL_SEED between 1 and
 * 10 s after the start, and once (SIGKILL) while its containers start. Nothing may be left: no
 * process, no estate record, every fault reverted, and no container, volume or network labelled
 * with the run's state root. About 60 s on 2 cores.
 */

const SEED = Number(process.env.KILL_SEED ?? Date.now() % 0xffffffff);
const ROUNDS = Number(process.env.KILL_ROUNDS ?? 2);

const dockerLeftovers = async (root: string): Promise<string[]> => {
  const l = await labelled({ root });
  return [...l.containers.map((c) => `container ${c}`), ...l.volumes.map((v) => `volume ${v}`), ...l.networks.map((n) => `network ${n}`)];
};

describeDocker(`a drill killed at random moments, docker runtime (KILL_SEED=${SEED})`, () => {
  beforeAll(() => ensureImages(), 300_000);

  test('SIGKILL while the containers start, then restore: nothing left', async () => {
    const round = await killRound('docker', 'SIGKILL', 2_000, dockerLeftovers, /starting the estate/);
    process.stdout.write(`docker, SIGKILL 2 s into the start: restore said\n${round.restoreOutput}\n`);
    expect(round.left).toEqual([]);
    expect(round.restoreExit).toBe(0);
  }, 180_000);

  test.each(killPlan(SEED, ROUNDS, 1_000, 10_000))('$signal after $atMs ms: nothing left', async ({ signal, atMs }) => {
    const round = await killRound('docker', signal, atMs, dockerLeftovers);
    process.stdout.write(`docker, ${signal} at ${atMs} ms (after "${round.lastLine.slice(0, 100)}"): exit ${round.exitCode}, ${round.journaled} fault(s) journaled, restore exit ${round.restoreExit}\n`);
    expect(round.left).toEqual([]);
    expect(round.restoreExit).toBe(0);
    if (signal !== 'SIGKILL') expect([1, 2]).toContain(round.exitCode);
  }, 180_000);
});
