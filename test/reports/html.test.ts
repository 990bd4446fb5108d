import { reportHtml } from '../../reports/html';
import type { TrendRow } from '../../reports/history';
import type { DrillResult } from '../../model/result';
import { drillResult, historyEntryFixture, T0 } from './fixture';

/** The fixture with dc1's power cut recovered at +7003.4 ms (RTO 2000 ms) and a timeline per service. */
function recovered(): DrillResult {
  const r = drillResult();
  const rec = r.recovery[0];
  rec.all = { ...rec.all, tFirstOk: T0 + 6200, tRecovered: T0 + 7003.4, rto: { recovered: true, ms: 2000 }, outageMs: 1100, timeToFirstOkMs: 1196.6 };
  r.verdict = 'passed';
  r.exitCode = 0;
  r.headline = 'Every gate passed.';
  const buckets = r.timeline!.all;
  r.timeline!.byService = { pas: buckets, booking: buckets };
  return r;
}

const count = (html: string, s: string) => html.split(s).length - 1;

describe('reportHtml', () => {
  it('opens with the verdict and the headline, and marks the failed gate', () => {
    const html = reportHtml(drillResult());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>FAILED: drill backup-does-not-come-up</title>');
    expect(html).toContain('<header class="verdict failed"><h1>Drill <code>backup-does-not-come-up</code>: <span class="badge">FAILED</span></h1>');
    expect(html).toContain('<p class="headline">RTO gate failed: the backup never took over after the power cut at dc1.</p>');
    expect(html).toMatch(/<tr class="fail"><td><code>rto_ms\[all\] fault power-cut &lt;= 30000<\/code><\/td><td>not recovered<\/td><td>&lt;= 30000 ms \(30 s\)<\/td><td><strong>FAIL<\/strong><\/td>/);
    expect(html).toContain('<strong>Not recovered: the backup never took over.</strong>');
  });

  it("lists the run's notes, escaped, only when there are some", () => {
    expect(reportHtml(drillResult())).not.toContain('<h2>Notes</h2>');
    const r = drillResult();
    r.notes = ['no controller: time to detect <null>'];
    expect(reportHtml(r)).toContain('<section><h2>Notes</h2><p class="note">What this run could not measure, or measured with a caveat:</p><ul><li>no controller: time to detect &lt;null&gt;</li></ul></section>');
  });

  it('is self-contained: no script, no link, nothing fetched', () => {
    const html = reportHtml(recovered());
    for (const s of ['<script', ' src=', ' href=', 'url(', '@import', 'http://', 'https://', '<link', '<iframe']) expect([s, html.includes(s)]).toEqual([s, false]);
  });

  it('draws a timeline per scope, with the fault as a band, the recovery as a marker and outage buckets marked', () => {
    const html = reportHtml(recovered());
    expect(count(html, '<svg class="timeline"')).toBe(3); // all, pas, booking
    expect(count(html, '<g class="fault-band" data-fault="power-cut">')).toBe(3);
    expect(html).toContain('<title>power-cut: 5 s to 29 s</title>');
    // The RTO marker only where that scope recovered: the fixture's services never did.
    expect(count(html, '<g class="marker recovered"><title>power-cut: RTO 2 s</title>')).toBe(1);
    expect(count(html, '<g class="marker not-recovered"><title>power-cut: not recovered</title>')).toBe(2);
    // The second bucket (+15 s to +30 s) had requests due and none ok.
    expect(count(html, '<rect class="dead"')).toBe(3);
    // The failed promotion is a tick on the charts.
    expect(html).toMatch(/<g class="event promotion-failed"><title>promotion-failed dc2 at [\d.]+ s<\/title>/);
  });

  it('draws each split-brain episode as a strip at its place on the time axis, with its writes and both sites', () => {
    const r = recovered();
    r.splitBrain = { ...r.splitBrain!, writes: 3, windowMs: 2000, episodes: [{ site: 'dc1', activeSite: 'dc2', from: T0 + 9000, to: T0 + 11_000, writes: 3 }] };
    const html = reportHtml(r);
    expect(count(html, '<g class="split-brain" data-site="dc1">')).toBe(3);
    expect(html).toContain('<title>split brain: 3 writes acknowledged by dc1 while dc2 was the primary, 9 s to 11 s</title>');
    const strip = /<g class="split-brain"[^>]*><title>[^<]*<\/title><rect x="([\d.]+)" y="\d+" width="([\d.]+)"/.exec(html)!;
    expect(Number(strip[1])).toBeCloseTo(72 + (9000 / 30_000) * 872, 0);
    expect(Number(strip[2])).toBeCloseTo((2000 / 30_000) * 872, 0);
    // None drawn where there was none.
    expect(reportHtml(recovered())).not.toContain('class="split-brain"');
  });

  it('places the band and the marker on the time axis: x grows with time', () => {
    const html = reportHtml(recovered());
    const band = /data-fault="power-cut"><title>[^<]*<\/title><rect x="([\d.]+)" y="\d+" width="([\d.]+)"/.exec(html)!;
    const marker = /<g class="marker recovered"><title>[^<]*<\/title><line x1="([\d.]+)"/.exec(html)!;
    const [bandX, bandW, markerX] = [Number(band[1]), Number(band[2]), Number(marker[1])];
    // 0-30 s over the plot's 872 px from x=72: the fault at 5.0034 s, reverted at 29 s, recovered at 7.0034 s.
    expect(bandX).toBeCloseTo(72 + (5003.4 / 30_000) * 872, 0);
    expect(bandX + bandW).toBeCloseTo(72 + (29_000 / 30_000) * 872, 0);
    expect(markerX).toBeCloseTo(72 + (7003.4 / 30_000) * 872, 0);
  });

  it('reads as a report when the harness failed before measuring anything', () => {
    const r = drillResult();
    Object.assign(r, { verdict: 'error', exitCode: 2, headline: 'The estate did not start.', error: 'dc1-san did not start', timeline: null, ledger: null, latency: null, recovery: [], controllerEvents: [], gates: [] });
    r.faults[0].appliedAtMs = null;
    r.faults[0].revertedAtMs = null;
    const html = reportHtml(r);
    expect(html).toContain('<span class="badge">ERROR</span>');
    expect(html).toContain('Harness error: dc1-san did not start');
    expect(html).toContain('<p>No gates were evaluated.</p>');
    expect(html).toContain('<strong>Outcome:</strong> not applied');
    expect(html).not.toContain('<svg');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('escapes what comes from drill files and error messages', () => {
    const r = drillResult();
    r.drill.name = '<script>alert("x")</script>';
    r.faults[0].name = 'cut" onmouseover="x';
    r.recovery[0].fault = r.faults[0].name;
    r.error = 'boom & <b>bust</b>';
    const html = reportHtml(r);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('onmouseover="x');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('Harness error: boom &amp; &lt;b&gt;bust&lt;/b&gt;');
  });

  it('shows the trend from the run history, the regression named', () => {
    const row = (startedAt: string, verdict: TrendRow['verdict'], rto: number | null, regressions: string[]): TrendRow => ({
      ...historyEntryFixture({ drill: 'backup-does-not-come-up', startedAt, verdict, exitCode: verdict === 'passed' ? 0 : 1, faults: ['power-cut'], rtoMs: [rto], errorRate: 0.01 }),
      regressions,
    });
    const html = reportHtml(drillResult(), [row('2026-11-01T00:00:00Z', 'passed', 2000, []), row('2026-11-02T00:00:00Z', 'failed', null, ['verdict failed, was passed'])]);
    expect(html).toContain('<h2>Trend</h2>');
    expect(html).toContain('<tr class="fail"><td>2026-11-02T00:00:00Z</td><td><strong>failed</strong></td><td>process</td><td>not recovered</td><td>0</td><td>1 %</td><td>verdict failed, was passed</td></tr>');
    expect(html).toContain('<tr><td>2026-11-01T00:00:00Z</td><td>passed</td><td>process</td><td>2000 ms (2 s)</td>');
    expect(reportHtml(drillResult())).not.toContain('<h2>Trend</h2>');
  });
});
