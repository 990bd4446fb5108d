import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendHistory, type HistoryEntry } from '../../reports/history';
import { CLI } from '../helpers/drill';
import { historyEntryFixture } from './fixture';

const entry = (over: Partial<HistoryEntry>) => historyEntryFixture({ faults: ['cut'], rtoMs: [2000], report: 'run', ...over });

const history = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [CLI, 'history', ...args], { cwd, encoding: 'utf8', timeout: 30_000 });

describe('blackstart history', () => {
  let cwd: string;
  beforeEach(() => (cwd = mkdtempSync(join(tmpdir(), 'blackstart-history-cli-'))));
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('prints each drill\'s trend with the regression named; --fail-on-regression exits 1 on it', () => {
    const file = join(cwd, 'blackstart-reports', 'history.jsonl');
    appendHistory(file, entry({ startedAt: '2026-11-01T00:00:00.000Z' }));
    appendHistory(file, entry({ drill: 'failback', startedAt: '2026-11-01T01:00:00.000Z' }));
    appendHistory(file, entry({ startedAt: '2026-11-02T00:00:00.000Z', rtoMs: [4500] }));

    const shown = history(cwd);
    expect([shown.status, shown.stderr]).toEqual([0, '']);
    expect(shown.stdout).toBe(
      [
        'maidstone: last 2 run(s), newest last',
        '  2026-11-01T00:00:00.000Z  passed   process  RTO 2000 ms; lost 0; errors 2 %',
        '  2026-11-02T00:00:00.000Z  passed   process  RTO 4500 ms; lost 0; errors 2 %  REGRESSION: cut: RTO 4500 ms, was 2000 ms (median of 1)',
        'failback: last 1 run(s), newest last',
        '  2026-11-01T01:00:00.000Z  passed   process  RTO 2000 ms; lost 0; errors 2 %',
        '',
      ].join('\n'),
    );
    expect(history(cwd, '--fail-on-regression').status).toBe(1);
    expect(history(cwd, '--fail-on-regression', '--drill', 'failback').status).toBe(0);
    const json = JSON.parse(history(cwd, '--json', '--runs', '1').stdout) as Record<string, { regressions: string[] }[]>;
    expect(Object.keys(json)).toEqual(['maidstone', 'failback']);
    expect(json.maidstone).toHaveLength(1);
    expect(json.maidstone[0].regressions).toEqual(['cut: RTO 4500 ms, was 2000 ms (median of 1)']);
  });

  it('says when there is nothing, and rejects a bad --runs', () => {
    const none = history(cwd);
    expect([none.status, none.stdout]).toEqual([0, `${join('blackstart-reports', 'history.jsonl')}: no runs\n`]);
    const bad = history(cwd, '--runs', '0');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--runs.*expected a whole number of at least 1, got "0"/);
  });
});
