import { summaryMarkdown } from '../../reports/markdown';
import { drillResult, T0 } from './fixture';

/** The cells of the table row whose first cell contains `first`. */
function row(md: string, first: string): string[] {
  const line = md.split('\n').find((l) => l.startsWith('|') && l.split(' | ')[0].includes(first));
  if (!line) throw new Error(`no table row for ${first}`);
  // Split on unescaped pipes only: an escaped "\|" belongs to the cell.
  return line.slice(2, -2).split(/(?<!\\) \| /);
}

describe('summaryMarkdown', () => {
  const md = summaryMarkdown(drillResult());

  it('puts the verdict and the headline first', () => {
    const [first, , second] = md.split('\n');
    expect(first).toBe('# Drill `backup-does-not-come-up`: FAILED');
    expect(second).toBe('**FAILED.** RTO gate failed: the backup never took over after the power cut at dc1.');
  });

  it('tables the gates with measured, limit and result', () => {
    expect(row(md, 'rto_ms[all] fault power-cut')).toEqual([
      '`rto_ms[all] fault power-cut <= 30000`',
      'not recovered',
      '\\<= 30000 ms (30 s)',
      '**FAIL**',
      'not recovered before the drill ended: the backup never took over',
    ]);
    expect(row(md, 'p99_ms[all] before')).toEqual(['`p99_ms[all] before power-cut <= 50`', '8.4 ms', '\\<= 50 ms', 'pass', '']);
  });

  it('tells the fault story: applied when, detect/promote/switch/first success, RTO per service, and that the backup never took over', () => {
    expect(md).toContain('### 1. `power-cut` (power_cut)');
    expect(md).toContain('**Not recovered: the backup never took over.** The controller reported promotion-failed at dc2 +5810 ms');
    expect(md).toContain('- **Applied at:** +5003 ms');
    expect(md).toContain('- **Time to detect:** 797 ms');
    expect(md).toContain('- **Time to promote:** not promoted');
    expect(md).toContain('- **Time to switch:** not switched');
    expect(md).toContain('- **Time to first success:** no success after the first failure');
    expect(md).toContain('- **Outage (all services):** 24800 ms (24.8 s)');
    expect(row(md, 'booking')).toEqual(['booking', '+5010 ms', 'none', 'not recovered', '**not recovered**', '24800 ms (24.8 s)', '0 of 25', 'none']);
  });

  it('gives latency before/during/after per service', () => {
    const latency = md.slice(md.indexOf('## Latency'), md.indexOf('## Degradation'));
    expect(row(latency.slice(latency.indexOf('before / during / after')), 'pas')).toEqual(['pas', '3.1 ms', '8.4 ms', '1.5 ms', '1000 ms', 'n/a', 'n/a']);
  });

  it('lists the ledger counts, the RPO and each lost write with its acknowledgment time', () => {
    const ledger = md.slice(md.indexOf('## Write ledger'), md.indexOf('## Split-brain'));
    for (const fact of ['**Attempted:** 120', '**Acknowledged:** 100', '**Lost:** **1**', '**Recovered (indeterminate but present):** 2', '**Unexpected:** 0', '**Duplicated:** 0', '**Conflicting:** 0', '**RPO:** 353 ms']) {
      expect(ledger).toContain(fact);
    }
    expect(row(ledger, 'lost')).toEqual(['**lost**', '`booking-42`', '`book-slot`', 'booking', '+4650 ms', 'absent']);
  });

  it('lists conflicting writes with their domain rule', () => {
    const r = drillResult();
    const write = { ...r.ledger!.lost[0], key: 'booking-43', tAck: T0 + 7000 };
    r.ledger!.counts.conflicting = 1;
    r.ledger!.conflicting = [{ kind: 'slot-double-booked', id: 'slot-9', keys: ['booking-43'], detail: 'slot 9 booked twice', writes: [write] }];
    expect(row(summaryMarkdown(r), 'conflicting')).toEqual(['conflicting (slot-double-booked `slot-9`)', '`booking-43`', '`book-slot`', 'booking', '+7000 ms', 'slot 9 booked twice']);
  });

  it('shows split-brain, residue and the controller events with offsets', () => {
    expect(md).toContain('## Split-brain');
    expect(md).toContain('None: chaos left nothing behind.');
    expect(row(md, '5810')).toEqual(['5810', '`promotion-failed`', 'dc2', 'the backup did not come up (promotion: broken)']);
    expect(md).not.toContain('## Paper backlog');
  });

  it("lists the run's notes after the gates, and has no notes section without them", () => {
    expect(md).not.toContain('## Notes');
    const r = drillResult();
    r.notes = ['recovery: the latency ceiling is 3 x each scope\'s baseline p95 (no recovery.max_p95)'];
    const noted = summaryMarkdown(r);
    expect(noted).toContain("## Notes\n\nWhat this run could not measure, or measured with a caveat:\n\n- recovery: the latency ceiling is 3 x each scope's baseline p95 (no recovery.max_p95)");
    expect(noted.indexOf('## Notes')).toBeGreaterThan(noted.indexOf('## Gates'));
    expect(noted.indexOf('## Notes')).toBeLessThan(noted.indexOf('## Faults'));
  });

  it('includes the paper backlog when there is one', () => {
    const r = drillResult();
    r.paper = { definition: 'paper', queued: 14, backlogMax: 9, submitted: 14, conflicts: 2, failed: 0, remaining: 0, tRecovered: T0 + 20_000, tDrained: T0 + 21_500, drainMs: 1500 };
    const paper = summaryMarkdown(r);
    expect(paper).toContain('## Paper backlog');
    expect(paper).toContain('- **Conflicted (slot taken meanwhile):** 2');
    expect(paper).toContain('- **Backlog drained:** +21500 ms');
    expect(paper).toContain('- **Time to drain:** 1500 ms (1.5 s)');
  });

  it('gives the RTO when the fault recovered, and does not blame the backup', () => {
    const r = drillResult();
    const rec = r.recovery[0];
    rec.all = { ...rec.all, tRecovered: T0 + 12_000, rto: { recovered: true, ms: 6996.6 }, tFirstOk: T0 + 11_000, timeToFirstOkMs: 5996.6 };
    r.controllerEvents = r.controllerEvents.filter((e) => e.type !== 'promotion-failed');
    const out = summaryMarkdown(r);
    expect(out.split('## Faults')[1]).not.toContain('never took over');
    expect(out).toContain('**Outcome:** recovered, RTO 6997 ms (7 s)');
    expect(out).toContain('- **RTO (all services):** 6997 ms (7 s)');
    expect(out).toContain('- **Time to first success:** 5997 ms (6 s)');
  });

  it('says "not recovered" without blaming the backup when no promotion failed', () => {
    const r = drillResult();
    r.controllerEvents = r.controllerEvents.filter((e) => e.type !== 'promotion-failed');
    const out = summaryMarkdown(r);
    expect(out).toContain('**Outcome:** not recovered before the drill ended');
    expect(out.split('## Faults')[1]).not.toContain('never took over');
  });

  it('keeps tables intact and HTML inert whatever the names contain', () => {
    const r = drillResult();
    r.gates[1].name = 'a | b <script>';
    r.gates[1].reason = 'x | y <b>z</b> *not bold*';
    const out = summaryMarkdown(r);
    expect(row(out, 'a \\| b')).toEqual(['`a \\| b <script>`', 'not recovered', '\\<= 30000 ms (30 s)', '**FAIL**', 'x \\| y \\<b\\>z\\</b\\> \\*not bold\\*']);
  });

  it('states an aborted or broken drill plainly', () => {
    const aborted = summaryMarkdown({ ...drillResult(), verdict: 'aborted', abortReason: 'success ratio below 0.5 for 10 s', headline: 'Aborted by a safety stop.' });
    expect(aborted.split('\n')[0]).toBe('# Drill `backup-does-not-come-up`: ABORTED');
    expect(aborted).toContain('The drill was stopped early: success ratio below 0.5 for 10 s');
    const broken = summaryMarkdown({ ...drillResult(), verdict: 'error', error: 'estate failed to start', ledger: null, latency: null });
    expect(broken).toContain('Harness error: estate failed to start');
    expect(broken).toContain('The writes were not read back: no ledger.');
  });
});
