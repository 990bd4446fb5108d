import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { matchers } from '../../api/jest';
import type { DrillRun } from '../../api';
import { drillResult } from '../reports/fixture';

/** The matchers' verdicts and failure messages, on the report fixture: a power cut the backup never recovered from, one write lost. */
const ctx = {} as jest.MatcherContext;
const failing = (): DrillRun => {
  const r: DrillRun = drillResult();
  Object.defineProperty(r, 'reports', { value: { dir: '/tmp/r', reportHtml: '/tmp/r/report.html', resultJson: '/tmp/r/result.json', junitXml: '', summaryMd: '', history: null }, enumerable: false });
  return r;
};

describe("blackstart/jest matchers", () => {
  it('toPass: fails with the verdict, each failed gate with its measured value, and the report path', () => {
    const m = matchers.toPass.call(ctx, failing());
    expect(m.pass).toBe(false);
    expect(m.message()).toBe(
      'expected drill backup-does-not-come-up to pass; verdict failed (exit 1): RTO gate failed: the backup never took over after the power cut at dc1.\n' +
        '  gate rto_ms[all] fault power-cut <= 30000: measured nothing (not recovered before the drill ended: the backup never took over)\n' +
        'Report: /tmp/r/report.html',
    );
  });

  it('toRecoverWithin: names each fault with its RTO or why it did not recover', () => {
    const m = matchers.toRecoverWithin.call(ctx, failing(), '5s');
    expect(m.pass).toBe(false);
    expect(m.message()).toBe('expected all services to recover within 5000 ms of every fault:\n  FAIL power-cut: not recovered (outage 24800 ms, 0 of 25 windows healthy)\nReport: /tmp/r/report.html');
    const r = failing();
    r.recovery[0].all = { ...r.recovery[0].all, rto: { recovered: true, ms: 2000 }, outageMs: 1100, timeToFirstOkMs: 1200 };
    expect(matchers.toRecoverWithin.call(ctx, r, '2s', { fault: 'power-cut' }).pass).toBe(true);
    expect(matchers.toRecoverWithin.call(ctx, r, 1999, { fault: 0 }).message()).toContain('FAIL power-cut: RTO 2000 ms (outage 1100 ms, first success after 1200 ms)');
    expect(matchers.toRecoverWithin.call(ctx, r, '9s', { fault: 'nope' }).message()).toMatch(/^toRecoverWithin: no recovery figure for fault nope; faults: power-cut/);
  });

  it('toLoseNoWrites and toHaveNoResidue: the counts and the lost keys', () => {
    const m = matchers.toLoseNoWrites.call(ctx, failing());
    expect(m.pass).toBe(false);
    expect(m.message()).toBe(
      'expected no acknowledged writes lost: 1 of 100 lost (RPO 353 ms); 120 attempted, 2 recovered, 0 unexpected, 0 unverified\n  lost booking-42 (book-slot): absent\nReport: /tmp/r/report.html',
    );
    expect(matchers.toHaveNoResidue.call(ctx, failing()).pass).toBe(true);
    const r = failing();
    r.residue = ['toxic blackstart-0-x on dc1-san'];
    expect(matchers.toHaveNoResidue.call(ctx, r).message()).toBe('expected no residue, but chaos left 1 thing(s) behind:\n  toxic blackstart-0-x on dc1-san\nReport: /tmp/r/report.html');
    expect(matchers.toPass.call(ctx, { hello: 1 }).message()).toMatch(/^toPass: expected the result of runDrill/);
  });

  it('are registered with expect.extend, with their types (declaration merging)', () => {
    const r = failing();
    r.verdict = 'passed';
    expect(r).toPass();
    expect(r).not.toLoseNoWrites();
  });

  it("resolve by the package's name through package.json exports, as a user's project imports them", () => {
    const root = resolve(__dirname, '..', '..');
    if (!existsSync(resolve(root, 'dist', 'api', 'index.js'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root });
    const out = execFileSync(process.execPath, ['-e', "const b = require('blackstart'); console.log(typeof b.runDrill, typeof b.loadDrill, typeof b.writeReports, require.resolve('blackstart/jest').replace(process.cwd(), '.'))"], { cwd: root, encoding: 'utf8' });
    expect(out.trim()).toBe('function function function ./dist/api/jest.js');
    expect(existsSync(resolve(root, 'dist', 'api', 'index.d.ts'))).toBe(true);
  });
});
