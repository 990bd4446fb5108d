import { CLOCK_RESOLUTION } from '../../model/figures/figure';
import { splitBrainOptionsSchema, type SplitBrain, type SplitBrainOptions, type SplitWrite } from '../../model/figures/split_brain';
import { OutcomeCode, type RequestLog } from '../load/records';

/**
 * The split-brain window (docs/ARCHITECTURE.md § 7): acknowledged writes served by a site that was not the
 * active primary, i.e. two sites accepting writes. Target 0. "Active" comes from the controller's
 * promote events; the records say which site served each write (`x-blackstart-site`).
 *
 * Clocks: the controller stamps its events in unix ms (its performance.timeOrigin +
 * performance.now()), the records are the harness's performance.now(). Both processes run on one
 * host, so an event's time on the harness clock is `event.t - harnessTimeOrigin`, where
 * harnessTimeOrigin is the harness's performance.timeOrigin. The two timeOrigins are each taken
 * from the wall clock at process start, so the conversion can be off by a few ms (wall-clock
 * steps between the two starts make it worse): `toleranceMs` widens every write's interval by that
 * much on both sides, so only writes that cannot have been legitimate count.
 */

const DEFINITION =
  'Controller event times are converted to the harness clock as event.t - harnessTimeOrigin. The active primary at time t is the site of the last ' +
  '"promote" event at or before t (initialPrimary before any). An acknowledged (ok) write served by site X over [start - toleranceMs, end + toleranceMs] ' +
  'is a split-brain write when X was not the active primary at any instant of that interval (so it cannot have been accepted while X was active; writes ' +
  'in flight across a promotion are not counted). Split-brain writes are grouped into episodes by serving site and by the active period they fall in; ' +
  'an episode spans from the earliest start to the latest end of its writes, and the window is the total length of the union of the episodes. ' +
  'writesWhileFenced: ok writes served by X entirely within [a "fence"/"demote" of X, the next promote of X). ' +
  'lastWrite: per serving site, the end of the last ok write it served.';

interface Change {
  t: number;
  site: string;
}

export function splitBrain(log: RequestLog, options: SplitBrainOptions): SplitBrain {
  const o = splitBrainOptionsSchema.parse(options);
  const events = o.events
    .filter((e) => e.site !== undefined)
    .map((e) => ({ t: e.t - o.harnessTimeOrigin, type: e.type, site: e.site! }))
    .sort((a, b) => a.t - b.t);

  // Active periods: a promote of another site starts a new one; a promote of the active site changes nothing.
  const changes: Change[] = [{ t: -Infinity, site: o.initialPrimary }];
  for (const e of events) if (e.type === 'promote' && e.site !== changes[changes.length - 1].site) changes.push({ t: e.t, site: e.site });
  const periodAt = (t: number): number => {
    let p = 0;
    while (p + 1 < changes.length && changes[p + 1].t <= t) p++;
    return p;
  };

  // Fenced periods of each site: from a fence/demote until that site's next promote.
  const fenced: { site: string; from: number; to: number }[] = [];
  for (const [n, e] of events.entries()) {
    if (e.type !== 'fence' && e.type !== 'demote') continue;
    const next = events.slice(n + 1).find((x) => x.type === 'promote' && x.site === e.site);
    fenced.push({ site: e.site, from: e.t, to: next ? next.t : Infinity });
  }

  const splitWrites: SplitWrite[] = [];
  const episodes = new Map<string, { site: string; activeSite: string; from: number; to: number; writes: number }>();
  let unknownSite = 0;
  let writesWhileFenced = 0;
  const lastWrite: Record<string, number> = {};
  for (let i = 0; i < log.length; i++) {
    if (log.write[i] !== 1 || log.outcome[i] !== OutcomeCode.Ok) continue;
    const site = log.siteOf(i);
    if (!site) {
      unknownSite++;
      continue;
    }
    const start = Number.isFinite(log.start[i]) ? log.start[i] : log.scheduled[i];
    const end = log.end[i];
    lastWrite[site] = Math.max(lastWrite[site] ?? -Infinity, end);
    const a = start - o.toleranceMs;
    const b = end + o.toleranceMs;
    if (fenced.some((f) => f.site === site && f.from <= a && b < f.to)) writesWhileFenced++;
    const first = periodAt(a);
    const last = periodAt(b);
    let activeSomewhere = false;
    for (let p = first; p <= last; p++) if (changes[p].site === site) activeSomewhere = true;
    if (activeSomewhere) continue;
    const activeSite = changes[first].site;
    splitWrites.push({ index: i, key: log.keys.get(i) ?? null, op: log.opNames[log.op[i]], site, activeSite, start, end });
    const id = `${site}@${first}`;
    const ep = episodes.get(id);
    if (ep) {
      ep.from = Math.min(ep.from, start);
      ep.to = Math.max(ep.to, end);
      ep.writes++;
    } else episodes.set(id, { site, activeSite, from: start, to: end, writes: 1 });
  }

  const list = [...episodes.values()].sort((x, y) => x.from - y.from);
  return {
    definition: DEFINITION,
    parameters: { initialPrimary: o.initialPrimary, harnessTimeOrigin: o.harnessTimeOrigin, toleranceMs: o.toleranceMs, events: o.events.length },
    resolution: `${CLOCK_RESOLUTION}; controller events converted with the two processes' timeOrigins (a few ms), absorbed by toleranceMs`,
    windowMs: unionLength(list),
    writes: splitWrites.length,
    writesWhileFenced,
    unknownSite,
    active: changes.map((c) => ({ from: Number.isFinite(c.t) ? c.t : null, site: c.site })),
    episodes: list,
    lastWrite,
    splitWrites,
  };
}

/** Length of the union of intervals sorted by start. */
function unionLength(spans: { from: number; to: number }[]): number {
  let total = 0;
  let curFrom = -Infinity;
  let curTo = -Infinity;
  for (const s of spans) {
    if (s.from > curTo) {
      if (curTo > curFrom) total += curTo - curFrom;
      curFrom = s.from;
      curTo = s.to;
    } else curTo = Math.max(curTo, s.to);
  }
  if (curTo > curFrom) total += curTo - curFrom;
  return total;
}
