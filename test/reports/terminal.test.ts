import { terminalSummary } from '../../reports/terminal';
import { historyEntry } from '../../reports/history';
import { drillResult, T0 } from './fixture';

describe('terminalSummary', () => {
  const out = terminalSummary(drillResult(), { outDir: 'blackstart-reports/backup-does-not-come-up-20250301T100000' });
  const lines = out.trimEnd().split('\n');

  it('opens with the verdict and the headline', () => {
    expect(lines[0]).toBe('blackstart drill backup-does-not-come-up: FAILED (exit 1)');
    expect(lines[1]).toBe('RTO gate failed: the backup never took over after the power cut at dc1.');
  });

  it('names the failed gate with what it measured, its limit and why, and not the passing one', () => {
    expect(out).toContain('Failed gates (1 of 2):');
    expect(out).toContain(
      'x rto_ms[all] fault power-cut <= 30000: measured not recovered, limit <= 30000 ms (30 s) — not recovered before the drill ended: the backup never took over',
    );
    expect(out).not.toContain('p99_ms[all] before power-cut');
  });

  it('gives each fault its outcome, the lost writes and where the reports are', () => {
    expect(out).toContain('power-cut (power_cut) applied +5003 ms: not recovered: the backup never took over (promotion-failed at dc2 +5810 ms');
    expect(out).toContain('Lost writes: 1 of 100 acknowledged (RPO 353 ms)');
    expect(out).toContain('booking-42 book-slot acknowledged +4650 ms (absent)');
    expect(out).toContain('Residue: none');
    expect(lines[lines.length - 1]).toBe('Reports in blackstart-reports/backup-does-not-come-up-20250301T100000: result.json, junit.xml, summary.md, report.html');
  });

  it('says the run\'s notes before the residue, one line each', () => {
    expect(out).not.toContain('Note:');
    const r = drillResult();
    r.notes = ['first caveat', 'second caveat'];
    const noted = terminalSummary(r).split('\n');
    expect(noted.slice(noted.indexOf('Note: first caveat'), noted.indexOf('Residue: none') + 1)).toEqual(['Note: first caveat', 'Note: second caveat', 'Residue: none']);
  });

  it('says why an RPO of 0 ms stands beside lost writes: they were acknowledged after the fault (a split brain)', () => {
    const r = drillResult();
    r.ledger!.rpo = { ...r.ledger!.rpo, ms: 0, lostAckedAfterFault: 1 };
    expect(terminalSummary(r)).toContain('Lost writes: 1 of 100 acknowledged (RPO 0 ms; 1 of the lost acknowledged after the fault, not counted in it)');
  });

  it('gives a measured value against the limit for a numeric gate', () => {
    const r = drillResult();
    r.gates[0] = { ...r.gates[0], value: 61.25, passed: false, reason: null };
    expect(terminalSummary(r)).toContain('x p99_ms[all] before power-cut <= 50: measured 61.3 ms, limit <= 50 ms');
    // Just over the limit: rounding must not make the figure look equal to it.
    r.gates[0] = { ...r.gates[0], value: 50.0125 };
    expect(terminalSummary(r)).toContain('measured 50.0125 ms, limit <= 50 ms');
  });

  it('colours only when asked', () => {
    expect(out).not.toMatch(/\x1b\[/);
    const coloured = terminalSummary(drillResult(), { color: true });
    expect(coloured).toContain('\x1b[31m');
    expect(coloured.replace(/\x1b\[\d+m/g, '')).toBe(terminalSummary(drillResult()));
  });

  it('stays on one screen however much failed', () => {
    const r = drillResult();
    r.verdict = 'aborted';
    r.abortReason = 'success ratio below 0.5 for 10 s';
    r.error = 'revert of power-cut failed';
    r.gates = Array.from({ length: 30 }, (_, i) => ({ ...r.gates[1], name: `gate ${i}` }));
    r.faults = Array.from({ length: 10 }, (_, i) => ({ ...r.faults[0], name: `fault-${i}` }));
    r.ledger!.lost = Array.from({ length: 50 }, (_, i) => ({ ...r.ledger!.lost[0], key: `k${i}`, tAck: T0 + i }));
    r.residue = ['proxy san-dc1 disabled'];
    const big = terminalSummary(r, { outDir: 'out' }).trimEnd().split('\n');
    expect(big.length).toBeLessThanOrEqual(25);
    expect(big).toContain('  ... and 24 more failed gates (see summary.md)');
    expect(big).toContain('  ... and 47 more lost writes (see summary.md)');
    expect(big[0]).toContain('ABORTED');
  });

  it('names a regression against earlier runs from the history, or says there is none', () => {
    const row = (verdict: 'passed' | 'failed', regressions: string[]) => ({ ...historyEntry(drillResult(), 'out', 'history.jsonl'), verdict, regressions });
    const regressed = terminalSummary(drillResult(), { trend: [row('passed', []), row('failed', ['verdict failed, was passed'])] });
    expect(regressed).toContain('Regression against earlier runs: verdict failed, was passed\n');
    const steady = terminalSummary(drillResult(), { trend: [row('failed', []), row('failed', []), row('failed', [])] });
    expect(steady).toContain('Trend: no regression against the 2 earlier run(s) in the history\n');
    expect(terminalSummary(drillResult(), { trend: [row('failed', [])] })).not.toMatch(/Trend|Regression/);
  });
});
