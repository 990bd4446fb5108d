import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '../../chaos/journal';
import { claimOutDir, CLAIM_FILE, enterOutDir, OutDirTaken } from '../../harness/runner/out_dir';
import { freePorts } from '../../services/estate/topology';
import { processesMentioning, runCli } from '../helpers/drill';

/**
 * Two drills started at once in one directory (issue 14): with their own output directories both
 * run, each on its own estate, and neither touches the other's journal, history line or estate;
 * given the same --out, the second refuses at once with a message saying whose it is, and writes
 * nothing (not a report, not a history line). About 35 s on 2 cores.
 */

jest.setTimeout(120_000);

const DRILL = `name: pair
seed: 3
load: { rate: 10/s, duration: 4s, warmup: 1s, timeout: 2s }
settle: 1s
faults:
  - { name: slow, at: 2s, network: { link: frontdoor, toxic: latency, attributes: { latency: 20 } }, duration: 1s }
gates:
  - { metric: lost_writes, max: 0 }
`;

function setUp(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'blackstart-pair-'));
  writeFileSync(join(cwd, 'pair.yaml'), DRILL);
  return cwd;
}

const history = (cwd: string) =>
  readFileSync(join(cwd, 'blackstart-reports', 'history.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { drill: string; verdict: string; report: string });

function expectIntactRun(out: string): { estate: string; runId: string } {
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  expect(result.verdict).toBe('passed');
  const journal = readJournal(join(out, 'journal.jsonl'));
  // One header, every line readable, the fault applied and reverted, the run ended.
  const lines = readFileSync(join(out, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  expect(lines.filter((l) => l.type === 'journal')).toHaveLength(1);
  expect({ unreadable: journal.unreadable, ended: journal.ended, states: journal.faults.map((f) => f.state) }).toEqual({ unreadable: 0, ended: true, states: ['reverted'] });
  expect(new Set(journal.faults.map((f) => f.estate.id)).size).toBe(1);
  return { estate: journal.faults[0].estate.id, runId: journal.runId };
}

test('two drills at once, default output directories: both run, on separate estates, nothing shared', async () => {
  const cwd = setUp();
  const a = runCli(['drill', 'pair.yaml'], cwd);
  const b = runCli(['drill', 'pair.yaml'], cwd);
  expect([await a.exited, await b.exited]).toEqual([0, 0]);
  const dirs = readdirSync(join(cwd, 'blackstart-reports')).filter((d) => d.startsWith('pair-'));
  expect(dirs).toHaveLength(2);
  const runs = dirs.map((d) => expectIntactRun(join(cwd, 'blackstart-reports', d)));
  expect(runs[0].estate).not.toBe(runs[1].estate);
  expect(runs[0].runId).not.toBe(runs[1].runId);
  // Two history lines, each whole and pointing at its own run.
  expect(history(cwd).map((h) => [h.drill, h.verdict]).sort()).toEqual([['pair', 'passed'], ['pair', 'passed']]);
  expect(new Set(history(cwd).map((h) => h.report)).size).toBe(2);
  // Each journal's link in .blackstart/journals points at its own journal.
  const links = readdirSync(join(cwd, '.blackstart', 'journals')).filter((f) => f.endsWith('.link'));
  expect(links.sort()).toEqual(runs.map((r) => `${r.runId}.link`).sort());
  expect(processesMentioning(cwd)).toEqual([]);
});

test('two drills at once with the same --out: the second refuses at once and writes nothing', async () => {
  const cwd = setUp();
  const out = join(cwd, 'shared');
  const a = runCli(['drill', 'pair.yaml', '--out', out], cwd);
  // The first has claimed the directory (it does so before anything starts).
  for (let i = 0; i < 100 && !existsSync(join(out, CLAIM_FILE)); i++) await new Promise((r) => setTimeout(r, 50));
  const b = runCli(['drill', 'pair.yaml', '--out', out], cwd);
  const started = performance.now();
  expect(await b.exited).toBe(2);
  expect(performance.now() - started).toBeLessThan(10_000);
  expect(b.output()).toMatch(new RegExp(`blackstart: ${out} is the output directory of another drill \\(pair, pid ${a.child.pid}, started .*, still running\\): give each drill its own --out; nothing was run`));
  expect(await a.exited).toBe(0);
  expectIntactRun(out);
  expect(history(cwd)).toHaveLength(1);
  // Afterwards the directory is still the first run's: a third drill is refused too.
  const c = runCli(['drill', 'pair.yaml', '--out', out], cwd);
  expect(await c.exited).toBe(2);
  expect(c.output()).toMatch(/is the output directory of another drill \(pair, pid \d+, started .*, ended or killed\)/);
  expect(history(cwd)).toHaveLength(1);
});

describe('claiming an output directory', () => {
  test('a directory holding another run (no claim file) is refused; this process may claim its own twice', () => {
    const dir = mkdtempSync(join(tmpdir(), 'blackstart-claim-'));
    writeFileSync(join(dir, 'journal.jsonl'), '{}\n');
    expect(() => claimOutDir(dir, 'x')).toThrow(OutDirTaken);
    expect(() => claimOutDir(dir, 'x')).toThrow(/holds another run's journal.jsonl/);
    const fresh = mkdtempSync(join(tmpdir(), 'blackstart-claim-'));
    claimOutDir(fresh, 'x');
    claimOutDir(fresh, 'x');
    // Two runDrill calls of one program into one directory: the second is refused.
    const leave = enterOutDir(fresh, 'x');
    expect(() => enterOutDir(fresh, 'x')).toThrow(/another drill running in this process/);
    leave();
    enterOutDir(fresh, 'x')();
  });

  test('ports picked at once by two pickers never coincide (reserved across processes)', async () => {
    // 40 pickers of 26 ports each at once, from a range of 2,000: without the reservation, ports
    // released by one picker were taken by another before its component bound them.
    const picks = await Promise.all(Array.from({ length: 40 }, () => freePorts('127.0.0.1', 26, [31000, 33000])));
    const all = picks.flat();
    expect(new Set(all).size).toBe(all.length);
  });
});
