import type { Aggregate, AggregateGate, AggregateGroup, RunSummary } from '../model/aggregate';
import { planPhrase } from './aggregate_markdown';
import { rateLabel, runNotes, runsPhrase, statValue, verdictsPhrase } from './aggregate_format';
import { gateLimit } from './format';
import { attrs, xmlText } from './xml';

/**
 * junit.xml of repeated runs or a sweep (docs/ARCHITECTURE.md § 7.14): one test suite per offered
 * rate, with a test case per run (a <failure> when its gates failed or it left residue, an <error>
 * when it aborted or could not run) and one per statistic gate; then a suite "aggregate" with "runs
 * completed" (an <error> when Ctrl-C stopped the runs). Each run's own junit.xml is in its directory.
 */
export function aggregateJunit(a: Aggregate): string {
  const suites = [...a.groups.map((g) => groupSuite(a, g)), finalSuite(a)];
  const tests = suites.reduce((s, x) => s + x.tests, 0);
  const failures = suites.reduce((s, x) => s + x.failures, 0);
  const errors = suites.reduce((s, x) => s + x.errors, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attrs({ name: 'blackstart', tests, failures, errors, time: seconds(a.startedAt, a.finishedAt) })}>`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}

interface Case {
  kind: 'ok' | 'failure' | 'error';
  xml: string;
}

interface Suite {
  tests: number;
  failures: number;
  errors: number;
  xml: string;
}

function testcase(classname: string, name: string, time: string | number, body?: string): string {
  const open = `    <testcase ${attrs({ classname, name, time })}`;
  return body === undefined ? `${open}/>` : `${open}>\n      ${body}\n    </testcase>`;
}

function suite(name: string, timestamp: string, time: string, properties: Record<string, string | number>, cases: Case[], out: string): Suite {
  const failures = cases.filter((c) => c.kind === 'failure').length;
  const errors = cases.filter((c) => c.kind === 'error').length;
  const counts = { tests: cases.length, failures, errors };
  const xml = [
    `  <testsuite ${attrs({ name, ...counts, skipped: 0, time, timestamp: stamp(timestamp) })}>`,
    '    <properties>',
    ...Object.entries(properties).map(([k, value]) => `      <property ${attrs({ name: k, value })}/>`),
    '    </properties>',
    ...cases.map((c) => c.xml),
    `    <system-out>${xmlText(out)}</system-out>`,
    '  </testsuite>',
  ].join('\n');
  return { ...counts, xml };
}

function groupSuite(a: Aggregate, g: AggregateGroup): Suite {
  const runs = a.runs.filter((r) => g.runs.includes(r.run));
  const name = g.rate === null ? a.drill.name : `${a.drill.name} @ ${rateLabel(g.rate)}`;
  const cases = [...runs.map((r) => runCase(a.drill.name, r)), ...g.gates.map((x) => gateCase(a.drill.name, x))];
  const properties: Record<string, string | number> = {
    seed: a.drill.seed,
    runtime: a.runtime,
    verdict: g.verdict,
    file: a.drill.file,
    repeat: a.plan.repeat,
    ...(g.rate === null ? {} : { rate: g.rate }),
  };
  const first = runs[0];
  const last = runs[runs.length - 1];
  const time = first && last ? seconds(first.startedAt, last.finishedAt) : '0';
  return suite(name, first?.startedAt ?? a.startedAt, time, properties, cases, `${rateLabel(g.rate)}: ${verdictsPhrase(g)}`);
}

function runCase(drill: string, r: RunSummary): Case {
  const classname = `blackstart.${drill}.runs`;
  const name = `run ${r.run}${r.rate === null ? '' : ` @ ${rateLabel(r.rate)}`} (seed ${r.seed})`;
  const time = seconds(r.startedAt, r.finishedAt);
  const details = `${r.headline}\nreports: ${r.dir}`;
  if (r.verdict === 'passed') return { kind: 'ok', xml: testcase(classname, name, time) };
  if (!r.interrupted && (r.verdict === 'failed' || r.verdict === 'residue')) {
    const message = r.verdict === 'residue' ? r.headline : `gates failed: ${r.gatesFailed.join('; ')}`;
    return { kind: 'failure', xml: testcase(classname, name, time, `<failure ${attrs({ message, type: r.verdict })}>${xmlText(details)}</failure>`) };
  }
  const message = r.interrupted ? `interrupted: ${r.headline}` : r.headline;
  return { kind: 'error', xml: testcase(classname, name, time, `<error ${attrs({ message, type: r.verdict })}>${xmlText(details)}</error>`) };
}

function gateCase(drill: string, g: AggregateGate): Case {
  const classname = `blackstart.${drill}.gates`;
  const name = g.rate === null ? g.name : `${g.name} @ ${rateLabel(g.rate)}`;
  if (g.passed) return { kind: 'ok', xml: testcase(classname, name, 0) };
  const measured = statValue(g.metric, g.value, g.n);
  const message = `${g.reason ?? ''} (measured ${measured}, limit ${gateLimit(g)})`;
  const details = [`metric: ${g.metric}`, `stat: ${g.stat}`, `service: ${g.service}`, `phase: ${g.phase}`, `fault: ${g.fault ?? 'every fault'}`, `runs: ${g.n} (${g.missing} without a value)`, `measured: ${measured}`, `limit: ${gateLimit(g)}`].join('\n');
  return { kind: 'failure', xml: testcase(classname, name, 0, `<failure ${attrs({ message, type: 'gate' })}>${xmlText(details)}</failure>`) };
}

function finalSuite(a: Aggregate): Suite {
  const classname = `blackstart.${a.drill.name}`;
  const time = seconds(a.startedAt, a.finishedAt);
  const finished = a.runs.filter((r) => !r.interrupted).length;
  const planned = a.plan.repeat * (a.plan.rates?.length ?? 1);
  const done: Case = a.abortReason
    ? { kind: 'error', xml: testcase(classname, 'runs completed', time, `<error ${attrs({ message: a.abortReason, type: 'aborted' })}>${xmlText(`${finished} of ${planned} runs finished`)}</error>`) }
    : { kind: 'ok', xml: testcase(classname, 'runs completed', time) };
  const properties: Record<string, string | number> = { plan: planPhrase(a), verdict: a.verdict, exitCode: a.exitCode, ...(a.sweep ? { firstFailingRate: a.sweep.firstFailingRate === null ? 'none' : rateLabel(a.sweep.firstFailingRate) } : {}) };
  return suite(`${a.drill.name} aggregate`, a.startedAt, time, properties, [done], [a.headline, ...runNotes(a).map((n) => `Note (${runsPhrase(n.runs)}): ${n.note}`)].join('\n'));
}

function seconds(from: string, to: string): string {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms > 0 ? (ms / 1000).toFixed(3) : '0';
}

/** JUnit's timestamp: no zone, no fraction (UTC). */
function stamp(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 19) : iso;
}
