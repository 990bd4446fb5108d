import { duration, durationOrNone, eventPhrase, latency, NOTES_LEAD, offset, offsetOrNone, round, sinceStart } from './format';
import { code, facts, table, text } from './md';
import type { DrillResult } from '../model/result';

/**
 * The figure sections of summary.md (latency, degradation, ledger, split-brain, paper, residue,
 * controller events, definitions). Each returns '' when its figure is absent, so a drill without
 * paper mode has no empty "Paper backlog" heading.
 */

type Latency = NonNullable<DrillResult['latency']>;
type Scoped<T> = { byService: Record<string, T>; all: T };
type LedgerEntry = NonNullable<DrillResult['ledger']>['lost'][number];

/** Rows per service, then all services together, matching how the figures are keyed. */
function scopes<T>(s: Scoped<T>): [string, T][] {
  return [...Object.entries(s.byService), ['all', s.all]];
}

/** A table long enough to matter is cut here; result.json always has every row. */
const MAX_ROWS = 200;

export function latencySection(r: DrillResult): string {
  if (!r.latency) return '';
  const l = r.latency;
  const out = ['## Latency', '', 'Whole run:', '', table(['Service', 'Requests', 'Dropped', 'p50', 'p99', 'Max'], scopes(l.run).map(([s, p]) => [text(s), String(p.count), String(p.dropped), latency(p.p50), latency(p.p99), latency(p.max)]))];
  l.faults.forEach((f, i) => {
    const label = f.name ?? r.faults[i]?.name ?? `fault ${i + 1}`;
    const rows = scopes(f.before).map(([service]) => {
      const at = (phase: Latency['faults'][number]['before']) => (service === 'all' ? phase.all : phase.byService[service]);
      const cells = [f.before, f.during, f.after].flatMap((phase) => {
        const p = at(phase);
        return p ? [latency(p.p50), latency(p.p99)] : ['n/a', 'n/a'];
      });
      return [text(service), ...cells];
    });
    out.push('', `Fault ${code(label)} (applied ${offset(sinceStart(r, f.tFault)!)}): before / during / after`, '');
    out.push(table(['Service', 'Before p50', 'Before p99', 'During p50', 'During p99', 'After p50', 'After p99'], rows));
  });
  return out.join('\n');
}

export function degradationSection(r: DrillResult): string {
  if (!r.degradation || r.degradation.faults.length === 0) return '';
  const secs = (x: number | null) => (x === null ? 'n/a' : `${round(x, 3)} s`);
  const out = ['## Degradation', '', 'Error-seconds (area under the failure ratio) and excess latency-seconds (time ok requests spent beyond the normal p95), per phase.'];
  r.degradation.faults.forEach((f, i) => {
    const label = f.name ?? r.faults[i]?.name ?? `fault ${i + 1}`;
    const rows = scopes(f.during).map(([service]) => {
      // A service missing from a phase has no figure there; it must not borrow the all-services one.
      const at = (phase: typeof f.before) => (service === 'all' ? phase.all : phase.byService[service]);
      const err = (phase: typeof f.before) => secs(at(phase)?.errorSeconds ?? null);
      return [text(service), err(f.before), err(f.during), err(f.after), secs(at(f.during)?.excessLatencySeconds ?? null)];
    });
    out.push('', `Fault ${code(label)}:`, '', table(['Service', 'Error-s before', 'Error-s during', 'Error-s after', 'Excess latency-s during'], rows));
  });
  return out.join('\n');
}

export function ledgerSection(r: DrillResult): string {
  if (!r.ledger) return '## Write ledger\n\nThe writes were not read back: no ledger.';
  const { counts: c, rpo } = r.ledger;
  const out = [
    '## Write ledger',
    '',
    facts([
      ['Attempted', String(c.attempted)],
      ['Acknowledged', String(c.acknowledged)],
      ['Lost', c.lost > 0 ? `**${c.lost}**` : '0'],
      ['Recovered (indeterminate but present)', String(c.recovered)],
      ['Unexpected', String(c.unexpected)],
      ['Duplicated', String(c.duplicated)],
      ['Conflicting', String(c.conflicting)],
      ['Not judged', c.unverified + c.unkeyed > 0 ? `${c.unverified} without read-back, ${c.unkeyed} without an idempotency key` : null],
      ['RPO', `${duration(rpo.ms)}${rpo.lostAckedAfterFault > 0 ? ` (${rpo.lostAckedAfterFault} lost write(s) acknowledged after the fault do not count towards it)` : ''}`],
    ]),
  ];
  const row = (kind: string, e: LedgerEntry, reason = e.reason) => [kind, code(e.key), e.op === null ? 'never attempted' : code(e.op), text(e.service ?? 'n/a'), offsetOrNone(sinceStart(r, e.tAck), 'not acknowledged'), text(reason)];
  const rows = [
    ...r.ledger.lost.map((e) => row('**lost**', e)),
    ...r.ledger.conflicting.flatMap((cf) => cf.writes.map((e) => row(`conflicting (${text(cf.kind)} ${code(cf.id)})`, e, cf.detail ?? cf.kind))),
    ...r.ledger.duplicated.map((e) => row('duplicated', e)),
    ...r.ledger.unexpected.map((e) => row('unexpected', e)),
  ];
  if (rows.length === 0) return out.join('\n');
  out.push('', table(['Kind', 'Key', 'Op', 'Service', 'Acknowledged at', 'Reason'], rows.slice(0, MAX_ROWS)));
  if (rows.length > MAX_ROWS) out.push('', `${rows.length - MAX_ROWS} more rows in result.json.`);
  return out.join('\n');
}

export function splitBrainSection(r: DrillResult): string {
  const s = r.splitBrain;
  if (!s) return '';
  const active = s.active.map((a) => `${text(a.site)} from ${a.from === null ? 'the start' : offset(sinceStart(r, a.from)!)}`).join(', then ');
  const out = [
    '## Split-brain',
    '',
    facts([
      ['Window (both sites accepting writes)', duration(s.windowMs)],
      ['Writes accepted by a site that was not the primary', s.writes > 0 ? `**${s.writes}**` : '0'],
      ['Writes accepted while fenced', String(s.writesWhileFenced)],
      ['Writes with unknown site (not judged)', s.unknownSite > 0 ? String(s.unknownSite) : null],
      ['Primary', active || null],
      ['Last write accepted', Object.entries(s.lastWrite).map(([site, t]) => `${text(site)} at ${offset(sinceStart(r, t)!)}`).join(', ') || null],
    ]),
  ];
  if (s.episodes.length > 0) {
    const rows = s.episodes.map((e) => [text(e.site), text(e.activeSite), offset(sinceStart(r, e.from)!), offset(sinceStart(r, e.to)!), String(e.writes)]);
    out.push('', table(['Serving site', 'Primary then', 'From', 'To', 'Writes'], rows));
  }
  return out.join('\n');
}

export function paperSection(r: DrillResult): string {
  const p = r.paper;
  if (!p) return '';
  return [
    '## Paper backlog',
    '',
    facts([
      ['Queued on paper', String(p.queued)],
      ['Largest backlog', String(p.backlogMax)],
      ['Re-entered', String(p.submitted)],
      ['Conflicted (slot taken meanwhile)', String(p.conflicts)],
      ['Failed to re-enter', String(p.failed)],
      ['Left on paper at the end', String(p.remaining)],
      ['Service back', offsetOrNone(sinceStart(r, p.tRecovered), 'never')],
      ['Backlog drained', offsetOrNone(sinceStart(r, p.tDrained), 'never')],
      ['Time to drain', durationOrNone(p.drainMs, 'not drained')],
    ]),
  ].join('\n');
}

/** What the run could not measure, or measured with a caveat (result.json `notes`). */
export function notesSection(r: DrillResult): string {
  if (!r.notes?.length) return '';
  return ['## Notes', '', NOTES_LEAD.run, '', ...r.notes.map((x) => `- ${text(x)}`)].join('\n');
}

export function residueSection(r: DrillResult): string {
  if (r.residue.length === 0) return '## Residue\n\nNone: chaos left nothing behind.';
  return ['## Residue', '', `**Chaos left ${r.residue.length} thing(s) behind** (this fails the drill whatever the gates say):`, '', ...r.residue.map((x) => `- ${text(x)}`)].join('\n');
}

export function controllerEventsSection(r: DrillResult): string {
  if (r.controllerEvents.length === 0) return '## Controller events\n\nNone recorded.';
  const rows = r.controllerEvents.map((e) => [String(Math.round(e.atMs)), code(e.type), text(e.site ?? ''), text(e.detail ?? '')]);
  const marks = r.faults.filter((f) => f.appliedAtMs !== null).map((f) => `${code(f.name)} applied ${offset(f.appliedAtMs!)}`);
  const out = ['## Controller events', ''];
  if (marks.length) out.push(`Faults: ${marks.join(', ')}.`, '');
  out.push(table(['Offset (ms)', 'Type', 'Site', 'Detail'], rows.slice(0, MAX_ROWS)));
  if (rows.length > MAX_ROWS) out.push('', `${rows.length - MAX_ROWS} more events in result.json, the last: ${text(eventPhrase(r.controllerEvents[r.controllerEvents.length - 1]))}.`);
  return out.join('\n');
}

/** docs/ARCHITECTURE.md § 7: every figure names its definition, parameters and resolution. */
export function definitionsSection(r: DrillResult): string {
  const figures: [string, { definition: string; parameters?: Record<string, unknown>; resolution?: string } | null | undefined][] = [
    ['Recovery, RTO and outage', r.recovery[0]],
    ['Latency', r.latency],
    ['Degradation', r.degradation],
    ['Write ledger', r.ledger],
    ['Split-brain', r.splitBrain],
    ['Paper backlog', r.paper],
    ['Timeline', r.timeline],
  ];
  const present = figures.filter((f): f is [string, NonNullable<(typeof f)[1]>] => !!f[1]);
  if (present.length === 0) return '';
  const out = ['## Definitions', '', 'Times above are offsets from the start of the load; durations in ms on the harness monotonic clock.'];
  for (const [name, f] of present) {
    out.push('', `**${name}.** ${text(f.definition)}`);
    if (f.parameters) {
      const params = Object.entries(f.parameters).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      if (params.length) out.push('', `Parameters: ${code(params.join(', '))}.`);
    }
    if (f.resolution) out.push('', `Resolution: ${text(f.resolution)}.`);
  }
  return out.join('\n');
}
