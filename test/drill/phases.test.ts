import { PhaseJournal } from '../../harness/runner/phases';

describe("the runner's phase journal", () => {
  it('records each phase it ran, with its status, and the rest as skipped, in order', async () => {
    const phases = new PhaseJournal();
    await expect(phases.run('estate', async () => 42)).resolves.toBe(42);
    await expect(
      phases.run('load', async () => {
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('the load engine died');
      }),
    ).rejects.toThrow('the load engine died');
    await phases.run('result', () => 'built');
    const list = phases.list();
    expect(list.map((p) => [p.name, p.status])).toEqual([
      ['estate', 'ok'],
      ['load', 'failed'],
      ['faults', 'skipped'],
      ['read-back', 'skipped'],
      ['residue', 'skipped'],
      ['gates', 'skipped'],
      ['result', 'ok'],
    ]);
    const load = list[1];
    expect(load.error).toBe('the load engine died');
    expect(load.durationMs).toBeGreaterThanOrEqual(15);
    expect(Date.parse(load.endedAt!)).toBeGreaterThanOrEqual(Date.parse(load.startedAt!));
    expect(list[2]).toEqual({ name: 'faults', status: 'skipped', startedAt: null, endedAt: null, durationMs: null, error: null });
  });
});
