import { gateLimit, gateMeasured, gateReason } from './format';
import type { DrillResult, GateResult } from '../model/result';
import { attrs, xmlText } from './xml';

/**
 * junit.xml: the verdict in the shape every CI system reads (testsuites > testsuite > testcase >
 * failure/error). One test case per gate, so a CI dashboard lists exactly which gate broke; plus
 * "residue" (chaos left something behind) and "drill completed" (an <error>, not a <failure>,
 * when the drill aborted or the harness broke: nothing was measured to fail).
 */
export function junitXml(result: DrillResult): string {
  const drill = result.drill.name;
  const cases = [
    ...result.gates.map((g) => gateCase(drill, g)),
    // A gate naming a statistic, in one of repeated runs: judged on the aggregate, not here (§ 7.14).
    ...(result.aggregateGates ?? []).map((g): Case => ({ kind: 'skipped', xml: testcase(`blackstart.${drill}.gates`, g.name, '<skipped message="judged on the aggregate"/>') })),
    residueCase(drill, result.residue),
    completedCase(drill, result),
  ];
  const failures = cases.filter((c) => c.kind === 'failure').length;
  const errors = cases.filter((c) => c.kind === 'error').length;
  const skipped = cases.filter((c) => c.kind === 'skipped').length;
  const time = seconds(result);
  const counts = { tests: cases.length, failures, errors };
  const properties: Record<string, string | number> = {
    seed: result.drill.seed,
    runtime: result.runtime,
    verdict: result.verdict,
    exitCode: result.exitCode,
    file: result.drill.file,
  };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attrs({ name: 'blackstart', ...counts, time })}>`,
    `  <testsuite ${attrs({ name: drill, ...counts, skipped, time, timestamp: timestamp(result.startedAt) })}>`,
    '    <properties>',
    ...Object.entries(properties).map(([name, value]) => `      <property ${attrs({ name, value })}/>`),
    '    </properties>',
    ...cases.map((c) => c.xml),
    // The run's notes (what it could not measure, or measured with a caveat) where a CI shows the suite's output.
    `    <system-out>${xmlText([result.headline, ...(result.notes ?? []).map((n) => `Note: ${n}`)].join('\n'))}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

interface Case {
  kind: 'ok' | 'failure' | 'error' | 'skipped';
  xml: string;
}

function testcase(classname: string, name: string, body?: string): string {
  const open = `    <testcase ${attrs({ classname, name, time: 0 })}`;
  return body === undefined ? `${open}/>` : `${open}>\n      ${body}\n    </testcase>`;
}

function gateCase(drill: string, g: GateResult): Case {
  const classname = `blackstart.${drill}.gates`;
  if (g.passed) return { kind: 'ok', xml: testcase(classname, g.name) };
  const figures = `measured ${gateMeasured(g)}, limit ${gateLimit(g)}`;
  const message = g.reason ? `${g.reason} (${figures})` : figures;
  const details = [
    `metric: ${g.metric}`,
    `service: ${g.service}`,
    `phase: ${g.phase}`,
    `fault: ${g.fault ?? 'every fault'}`,
    `measured: ${gateMeasured(g)}`,
    `limit: ${gateLimit(g)}`,
    `reason: ${gateReason(g)}`,
  ].join('\n');
  return { kind: 'failure', xml: testcase(classname, g.name, `<failure ${attrs({ message, type: 'gate' })}>${xmlText(details)}</failure>`) };
}

function residueCase(drill: string, residue: string[]): Case {
  const classname = `blackstart.${drill}`;
  if (residue.length === 0) return { kind: 'ok', xml: testcase(classname, 'residue') };
  const message = `chaos left ${residue.length} thing(s) behind: ${residue.join('; ')}`;
  return { kind: 'failure', xml: testcase(classname, 'residue', `<failure ${attrs({ message, type: 'residue' })}>${xmlText(residue.join('\n'))}</failure>`) };
}

function completedCase(drill: string, result: DrillResult): Case {
  const classname = `blackstart.${drill}`;
  if (result.verdict !== 'aborted' && result.verdict !== 'error') return { kind: 'ok', xml: testcase(classname, 'drill completed') };
  const reason = (result.verdict === 'aborted' ? result.abortReason : result.error) ?? result.headline;
  const body = `<error ${attrs({ message: reason, type: result.verdict })}>${xmlText(result.headline)}</error>`;
  return { kind: 'error', xml: testcase(classname, 'drill completed', body) };
}

/** Wall-clock length of the run, in seconds as JUnit wants; 0 when the stamps are unusable. */
function seconds(result: DrillResult): string {
  const ms = Date.parse(result.finishedAt) - Date.parse(result.startedAt);
  return Number.isFinite(ms) && ms > 0 ? (ms / 1000).toFixed(3) : '0';
}

/**
 * The JUnit schema's timestamp has no zone and no fraction (YYYY-MM-DDTHH:MM:SS), and strict
 * readers reject anything else; the time is UTC.
 */
function timestamp(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 19) : iso;
}
