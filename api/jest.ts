/// <reference types="jest" />
import { parseDuration } from '../model/units';
import type { DrillResult } from '../model/result';
import type { ReportPaths } from '../reports/write';

/**
 * Jest matchers for drill results (`import 'blackstart/jest'`), README "From code and from Jest":
 *
 *   expect(result).toPass();                                 // verdict passed: every gate, no residue
 *   expect(result).toRecoverWithin('5s', { fault: 'cut' });  // RTO of the fault(s), all services or one
 *   expect(result).toLoseNoWrites();                         // the ledger found no acknowledged write lost
 *   expect(result).toHaveNoResidue();                        // chaos left nothing behind
 *
 * A failure says what was measured and where the report is.
 */

export interface RecoverOptions {
  /** A fault by name or index; default every fault applied. */
  fault?: string | number;
  /** A service, or all services together (default). */
  service?: 'pas' | 'booking' | 'theatre' | 'all';
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /** The drill's verdict is `passed`: every gate passed and nothing was left behind. */
      toPass(): R;
      /** Every fault (or the one named) recovered, with an RTO of at most `limit` ('5s', '1500ms' or ms). */
      toRecoverWithin(limit: string | number, options?: RecoverOptions): R;
      /** The write ledger ran and no acknowledged write was lost. */
      toLoseNoWrites(): R;
      /** Chaos left no residue (a toxic, a disabled proxy, a frozen or stopped component, a failed revert). */
      toHaveNoResidue(): R;
    }
  }
}

type Result = DrillResult & { reports?: ReportPaths & { dir: string } };

function isResult(v: unknown): v is Result {
  return typeof v === 'object' && v !== null && (v as { schema?: string }).schema === 'blackstart.result/1';
}

const reportLine = (r: Result) => (r.reports ? `\nReport: ${r.reports.reportHtml}` : '\n(no reports written: runDrill(..., { reports: false }))');
const ms = (v: number) => `${Math.round(v)} ms`;

function notAResult(name: string, v: unknown): jest.CustomMatcherResult {
  return { pass: false, message: () => `${name}: expected the result of runDrill (a blackstart.result/1), got ${typeof v === 'object' ? JSON.stringify(v)?.slice(0, 80) : String(v)}` };
}

export const matchers = {
  toPass(this: jest.MatcherContext, received: unknown): jest.CustomMatcherResult {
    if (!isResult(received)) return notAResult('toPass', received);
    const r = received;
    const pass = r.verdict === 'passed';
    const failed = r.gates.filter((g) => !g.passed);
    return {
      pass,
      message: () =>
        pass
          ? `expected drill ${r.drill.name} not to pass, but it passed: ${r.headline}${reportLine(r)}`
          : [
              `expected drill ${r.drill.name} to pass; verdict ${r.verdict} (exit ${r.exitCode}): ${r.headline}`,
              ...failed.map((g) => `  gate ${g.name}: measured ${g.value === null ? 'nothing' : g.value}${g.reason ? ` (${g.reason})` : ''}`),
              ...r.residue.map((x) => `  residue: ${x}`),
              ...(r.error ? [`  error: ${r.error.split('\n')[0]}`] : []),
              ...(r.abortReason ? [`  aborted: ${r.abortReason}`] : []),
            ].join('\n') + reportLine(r),
    };
  },

  toRecoverWithin(this: jest.MatcherContext, received: unknown, limit: string | number, options: RecoverOptions = {}): jest.CustomMatcherResult {
    if (!isResult(received)) return notAResult('toRecoverWithin', received);
    const r = received;
    const limitMs = typeof limit === 'number' ? limit : parseDuration(limit);
    const service = options.service ?? 'all';
    const names = r.faults.map((f) => f.name);
    const wanted = options.fault === undefined ? r.recovery : r.recovery.filter((rec) => rec.fault === (typeof options.fault === 'number' ? names[options.fault] : options.fault));
    if (wanted.length === 0) {
      return { pass: false, message: () => `toRecoverWithin: no recovery figure for ${options.fault === undefined ? 'any fault (none was applied)' : `fault ${options.fault}`}; faults: ${names.join(', ') || 'none'}${reportLine(r)}` };
    }
    const rows = wanted.map((rec) => {
      const s = service === 'all' ? rec.all : rec.byService[service];
      if (!s) return { fault: rec.fault, ok: false, text: `${rec.fault}: no requests to ${service}` };
      if (!s.rto.recovered) return { fault: rec.fault, ok: false, text: `${rec.fault}: not recovered (outage ${ms(s.outageMs)}, ${s.windows.healthy} of ${s.windows.judged} windows healthy)` };
      return { fault: rec.fault, ok: s.rto.ms <= limitMs, text: `${rec.fault}: RTO ${ms(s.rto.ms)} (outage ${ms(s.outageMs)}, first success after ${s.timeToFirstOkMs === null ? 'none' : ms(s.timeToFirstOkMs)})` };
    });
    const pass = rows.every((x) => x.ok);
    return {
      pass,
      message: () =>
        `expected ${service === 'all' ? 'all services' : service} ${pass ? 'not ' : ''}to recover within ${ms(limitMs)} of ${options.fault === undefined ? 'every fault' : `fault ${options.fault}`}:\n` +
        rows.map((x) => `  ${x.ok ? 'ok  ' : 'FAIL'} ${x.text}`).join('\n') +
        reportLine(r),
    };
  },

  toLoseNoWrites(this: jest.MatcherContext, received: unknown): jest.CustomMatcherResult {
    if (!isResult(received)) return notAResult('toLoseNoWrites', received);
    const r = received;
    const l = r.ledger;
    if (!l) return { pass: false, message: () => `expected no lost writes, but the drill has no write ledger (verdict ${r.verdict}${r.error ? `: ${r.error.split('\n')[0]}` : ''})${reportLine(r)}` };
    const c = l.counts;
    const pass = c.lost === 0;
    return {
      pass,
      message: () =>
        `expected ${pass ? 'some' : 'no'} acknowledged writes lost: ${c.lost} of ${c.acknowledged} lost (RPO ${ms(l.rpo.ms)}); ${c.attempted} attempted, ${c.recovered} recovered, ${c.unexpected} unexpected, ${c.unverified} unverified` +
        l.lost
          .slice(0, 5)
          .map((e) => `\n  lost ${e.key} (${e.op ?? 'write'}): ${e.reason}`)
          .join('') +
        reportLine(r),
    };
  },

  toHaveNoResidue(this: jest.MatcherContext, received: unknown): jest.CustomMatcherResult {
    if (!isResult(received)) return notAResult('toHaveNoResidue', received);
    const r = received;
    const pass = r.residue.length === 0;
    return {
      pass,
      message: () => (pass ? `expected residue, but chaos left nothing behind` : `expected no residue, but chaos left ${r.residue.length} thing(s) behind:\n${r.residue.map((x) => `  ${x}`).join('\n')}`) + reportLine(r),
    };
  },
};

if (typeof expect === 'undefined' || typeof expect.extend !== 'function') {
  throw new Error("blackstart/jest: no Jest `expect` here: import 'blackstart/jest' from a Jest test or a setupFilesAfterEnv file");
}
expect.extend(matchers);
