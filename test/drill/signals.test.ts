import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { estatePids, processState, processesMentioning, runCli } from '../helpers/drill';

jest.setTimeout(120_000);

/** A drill whose faults stay applied until the load ends: a toxic, a cut link and a frozen app. */
const DRILL = `name: held-faults
seed: 5
estate:
  failover: { heartbeat_ms: 200, detect_after: 5, promotion_delay_ms: 300, hold_down_ms: 600000 }
load:
  rate: 20/s
  duration: 60s
  warmup: 2s
  timeout: 2s
faults:
  - { name: slow-link, at: 2s, network: { link: dc2-booking, toxic: latency, attributes: { latency: 200 } } }
  - { name: cut-link, at: 2s, network: { link: dc2-theatre, toxic: down } }
  - { name: frozen-app, at: 2s, freeze: { component: dc2-pas } }
gates:
  - { metric: lost_writes, max: 0 }
`;

function setUp() {
  const cwd = mkdtempSync(join(tmpdir(), 'blackstart-signals-'));
  writeFileSync(join(cwd, 'held.yaml'), DRILL);
  return cwd;
}

describe('every way a drill ends reverts its faults', () => {
  it('SIGINT mid-drill: aborted, every fault reverted, no residue, nothing left running', async () => {
    const cwd = setUp();
    const out = join(cwd, 'out');
    const drill = runCli(['drill', 'held.yaml', '--out', out], cwd);
    await drill.waitFor(/apply freeze dc2-pas/);
    await drill.waitFor(/t=3\.\ds rate/);
    const pids = Object.values(estatePids(out));
    expect(pids.length).toBe(11);
    drill.child.kill('SIGINT');
    expect(await drill.exited).toBe(1);
    expect(pids.filter((pid) => processState(pid) !== undefined)).toEqual([]);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.verdict).toBe('aborted');
    expect(result.abortReason).toMatch(/SIGINT/);
    expect(result.residue).toEqual([]);
    expect(result.faults.map((f: { revertedAtMs: number | null }) => f.revertedAtMs !== null)).toEqual([true, true, true]);
    expect(processesMentioning(out)).toEqual([]);
    // Every report, and the run in the history (default: blackstart-reports/history.jsonl of the cwd).
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<span class="badge">ABORTED</span>');
    const history = readFileSync(join(cwd, 'blackstart-reports', 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(history.map((h: { drill: string; verdict: string; report: string }) => [h.drill, h.verdict, h.report])).toEqual([[result.drill.name, 'aborted', join('..', 'out')]]);
  });

  it('SIGKILLed harness: its partial results are on disk and `blackstart restore` undoes every fault', async () => {
    const cwd = setUp();
    const out = join(cwd, 'out');
    const drill = runCli(['drill', 'held.yaml', '--out', out], cwd);
    await drill.waitFor(/apply freeze dc2-pas/);
    await drill.waitFor(/t=3\.\ds rate/);
    const pids = estatePids(out);
    expect(Object.keys(pids)).toHaveLength(11);
    // State T: stopped by SIGSTOP (it takes effect when the process is next scheduled).
    const deadline = Date.now() + 5000;
    while (processState(pids['dc2-pas']) !== 'T' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(processState(pids['dc2-pas'])).toBe('T');
    drill.child.kill('SIGKILL');
    await drill.exited;
    // Partial results: the journal and the progress lines.
    expect(existsSync(join(out, 'journal.jsonl'))).toBe(true);
    expect(readFileSync(join(out, 'progress.jsonl'), 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(1);
    // The orphaned estate still runs with its faults applied.
    expect(Object.values(pids).filter((pid) => processState(pid) !== undefined)).toHaveLength(11);

    const restore = runCli(['restore'], cwd);
    expect(await restore.exited).toBe(0);
    expect(restore.output()).toMatch(/remove toxic|enable proxy|thaw/);
    // SIGKILLed processes take a moment to be reaped.
    const alive = () => Object.values(pids).filter((pid) => !['Z', undefined].includes(processState(pid)));
    const deadline2 = Date.now() + 5000;
    while (alive().length > 0 && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toEqual([]);
    expect(processesMentioning(out)).toEqual([]);
    const states = readFileSync(join(out, 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === 'state')
      .map((l) => `${l.id}:${l.state}`);
    for (const id of ['0-slow-link', '1-cut-link', '2-frozen-app']) expect(states).toContain(`${id}:reverted`);
    // A second restore finds nothing left to do.
    const again = runCli(['restore'], cwd);
    expect(await again.exited).toBe(0);
  });
});
