import { esc } from './html_escape';

/**
 * One timeline chart of report.html as inline SVG (no script, no network): two panels on one time
 * axis, the success ratio per bucket above and the p95 latency of ok requests below, with each
 * fault as a shaded band, each recovery as a marker line, and the controller's events as ticks.
 * All times are offsets from the start of the load, in ms.
 */

export interface ChartBucket {
  t: number;
  successRatio: number | null;
  p95: number | null;
  due: number;
}

export interface ChartBand {
  name: string;
  from: number;
  /** null: not reverted (the band runs to the end of the chart). */
  to: number | null;
}

export interface ChartMarker {
  at: number;
  label: string;
  /** recovered: a solid green line; not-recovered: a red label at the fault, no line. */
  kind: 'recovered' | 'not-recovered';
}

/** A split-brain episode (docs/ARCHITECTURE.md § 7.11): writes acknowledged by a site that was not the primary. */
export interface ChartSplit {
  from: number;
  to: number;
  site: string;
  activeSite: string;
  writes: number;
}

export interface ChartEvent {
  at: number;
  type: string;
  site: string | null;
}

export interface ChartInput {
  title: string;
  bucketMs: number;
  buckets: ChartBucket[];
  bands: ChartBand[];
  markers: ChartMarker[];
  events: ChartEvent[];
  /** Split-brain episodes, drawn over the success panel (none: nothing drawn). */
  splitBrain?: ChartSplit[];
  /** The x range, ms. */
  from: number;
  to: number;
}

const WIDTH = 960;
const LEFT = 72;
const RIGHT = 16;
const PANEL = 120;
const GAP = 28;
const TOP = 50;
const BOTTOM = 34;
const HEIGHT = TOP + PANEL + GAP + PANEL + BOTTOM;

/** Controller events worth a tick: the steps of a failover and of a failback. */
const TICKED = new Set(['detect', 'promote', 'switch', 'promotion-failed', 'failback', 'fence-unreachable', 'demote']);

/** Rough width of a 9.5 px label character, and the height of a label lane. */
const CHAR_PX = 5.2;
const LANE_PX = 12;

const fmt = (v: number) => String(Number(v.toFixed(1)));

export function timelineChart(c: ChartInput): string {
  const span = Math.max(1, c.to - c.from);
  const x = (t: number) => LEFT + ((Math.min(Math.max(t, c.from), c.to) - c.from) / span) * (WIDTH - LEFT - RIGHT);
  const ratioTop = TOP;
  const latencyTop = TOP + PANEL + GAP;
  const yRatio = (r: number) => ratioTop + (1 - r) * PANEL;
  // The latency axis is logarithmic, decades from below the fastest bucket to above the slowest:
  // a 3 s stall and a 5 ms baseline are both readable on it; the slowest bucket is labelled.
  const p95s = c.buckets.map((b) => b.p95).filter((v): v is number => v !== null);
  const scale = latencyScale(p95s);
  const yLatency = (ms: number) => latencyTop + (1 - (Math.log10(Math.max(ms, scale.lo)) - Math.log10(scale.lo)) / (Math.log10(scale.hi) - Math.log10(scale.lo))) * PANEL;
  const parts: string[] = [];

  parts.push(`<text x="${LEFT}" y="14" class="chart-title">${esc(c.title)}</text>`);
  // Fault bands first, under everything; their names in lanes, so faults applied together (or
  // close) do not print over one another.
  const bandLaneEnds: number[] = [];
  for (const band of [...c.bands].sort((a, b) => a.from - b.from)) {
    const x0 = x(band.from);
    const x1 = x(band.to ?? c.to);
    let lane = bandLaneEnds.findIndex((end) => end < x0 + 3);
    if (lane < 0) lane = bandLaneEnds.length;
    bandLaneEnds[lane] = x0 + 3 + band.name.length * 6 + 6;
    parts.push(
      `<g class="fault-band" data-fault="${esc(band.name)}"><title>${esc(band.name)}: ${fmt(band.from / 1000)} s to ${band.to === null ? 'the end (not reverted)' : `${fmt(band.to / 1000)} s`}</title>` +
        `<rect x="${fmt(x0)}" y="${ratioTop}" width="${fmt(Math.max(1, x1 - x0))}" height="${PANEL * 2 + GAP}"/>` +
        `<text x="${fmt(x0 + 3)}" y="${ratioTop + 11 + lane * 14}">${esc(band.name)}</text></g>`,
    );
  }
  // Split brain: a purple strip along the foot of the success panel, over the episode, where two
  // sites took writes; its writes count and both sites in its tooltip.
  for (const sb of c.splitBrain ?? []) {
    const x0 = x(sb.from);
    const x1 = x(sb.to);
    parts.push(
      `<g class="split-brain" data-site="${esc(sb.site)}"><title>split brain: ${sb.writes} write${sb.writes === 1 ? '' : 's'} acknowledged by ${esc(sb.site)} while ${esc(sb.activeSite)} was the primary, ${fmt(sb.from / 1000)} s to ${fmt(sb.to / 1000)} s</title>` +
        `<rect x="${fmt(x0)}" y="${ratioTop + PANEL - 14}" width="${fmt(Math.max(2, x1 - x0))}" height="14"/>` +
        `<text x="${fmt(x0 + 3)}" y="${ratioTop + PANEL - 18}">split brain (${esc(sb.site)}: ${sb.writes})</text></g>`,
    );
  }
  // Axes and grid.
  for (const [top, label] of [
    [ratioTop, 'success'],
    [latencyTop, 'p95 ok'],
  ] as const) {
    parts.push(`<rect class="panel" x="${LEFT}" y="${top}" width="${WIDTH - LEFT - RIGHT}" height="${PANEL}"/>`);
    parts.push(`<text class="axis-label" x="12" y="${top + PANEL / 2}" text-anchor="middle" transform="rotate(-90 12 ${top + PANEL / 2})">${label}</text>`);
  }
  parts.push(`<text class="tick" x="${LEFT - 4}" y="${yRatio(1) + 4}" text-anchor="end">100%</text>`);
  parts.push(`<text class="tick" x="${LEFT - 4}" y="${yRatio(0.5) + 4}" text-anchor="end">50%</text>`);
  parts.push(`<text class="tick" x="${LEFT - 4}" y="${yRatio(0) + 4}" text-anchor="end">0%</text>`);
  for (const tick of scale.ticks) {
    const ty = fmt(yLatency(tick));
    parts.push(`<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${ty}" y2="${ty}"/>`);
    parts.push(`<text class="tick" x="${LEFT - 4}" y="${fmt(yLatency(tick) + 4)}" text-anchor="end">${latencyLabel(tick)}</text>`);
  }
  const step = niceStep(span / 1000);
  for (let s = Math.ceil(c.from / 1000 / step) * step; s * 1000 <= c.to; s += step) {
    const gx = fmt(x(s * 1000));
    parts.push(`<line class="grid" x1="${gx}" x2="${gx}" y1="${ratioTop}" y2="${latencyTop + PANEL}"/>`);
    parts.push(`<text class="tick" x="${gx}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle">${fmt(s)} s</text>`);
  }

  // The series: a step line per bucket; buckets with nothing due leave a gap.
  parts.push(`<path class="series ratio" d="${stepPath(c.buckets, c.bucketMs, x, (b) => (b.successRatio === null ? null : yRatio(b.successRatio)))}"/>`);
  parts.push(`<path class="series latency" d="${stepPath(c.buckets, c.bucketMs, x, (b) => (b.p95 === null ? null : yLatency(b.p95)))}"/>`);
  // The slowest bucket, labelled with its p95 (inside the plot, on the side with room).
  const peak = c.buckets.reduce<ChartBucket | undefined>((m, b) => (b.p95 !== null && (m === undefined || b.p95 > m.p95!) ? b : m), undefined);
  if (peak && p95s.length > 1) {
    const px = x(peak.t + c.bucketMs / 2);
    const right = px > (LEFT + WIDTH - RIGHT) / 2;
    parts.push(
      `<g class="peak"><title>slowest bucket: p95 ${latencyLabel(peak.p95!, 1)} at ${fmt(peak.t / 1000)} s</title><circle cx="${fmt(px)}" cy="${fmt(yLatency(peak.p95!))}" r="2.5"/>` +
        `<text x="${fmt(right ? px - 5 : px + 5)}" y="${fmt(Math.max(latencyTop + 10, yLatency(peak.p95!) + 4))}" text-anchor="${right ? 'end' : 'start'}">peak ${latencyLabel(peak.p95!, 1)}</text></g>`,
    );
  }
  // Buckets in which requests were due and none succeeded: marked on the axis, so a total outage
  // reads as such even where the line sits on 0 %.
  for (const b of c.buckets) {
    if (b.due > 0 && b.successRatio === 0) parts.push(`<rect class="dead" x="${fmt(x(b.t))}" y="${yRatio(0) - 4}" width="${fmt(Math.max(1, x(b.t + c.bucketMs) - x(b.t)))}" height="4"/>`);
  }

  // Event labels in up to three lanes above the plot: a failover's detect, fence, promote and
  // switch come within a few hundred ms of each other and would print over one another.
  const laneEnds = [-Infinity, -Infinity, -Infinity];
  for (const e of c.events.filter((ev) => TICKED.has(ev.type)).sort((a, b) => a.at - b.at)) {
    const ex = x(e.at);
    const width = e.type.length * CHAR_PX;
    // A label that would run past the right edge is drawn to the left of its tick.
    const flip = ex + 2 + width > WIDTH - 2;
    const lane = laneEnds.findIndex((end) => end < (flip ? ex - 2 - width : ex - 2));
    const label = lane < 0 ? '' : `<text x="${fmt(flip ? ex - 2 : ex + 2)}" y="${ratioTop - 8 - lane * LANE_PX}"${flip ? ' text-anchor="end"' : ''}>${esc(e.type)}</text>`;
    if (lane >= 0) laneEnds[lane] = flip ? ex : ex + 2 + width;
    parts.push(
      `<g class="event ${esc(e.type)}"><title>${esc(e.type)}${e.site ? ` ${esc(e.site)}` : ''} at ${fmt(e.at / 1000)} s</title>` +
        `<line x1="${fmt(ex)}" x2="${fmt(ex)}" y1="${ratioTop - 8 - (lane < 0 ? 0 : lane * LANE_PX) - 8}" y2="${ratioTop + 6}"/>${label}</g>`,
    );
  }
  for (const m of c.markers) {
    const mx = fmt(x(m.at));
    if (m.kind === 'recovered') {
      parts.push(
        `<g class="marker recovered"><title>${esc(m.label)}</title><line x1="${mx}" x2="${mx}" y1="${ratioTop}" y2="${latencyTop + PANEL}"/>` +
          `<text x="${fmt(clampLabel(x(m.at), m.label))}" y="${ratioTop + PANEL + 18}" text-anchor="middle">${esc(m.label)}</text></g>`,
      );
    } else {
      const w = m.label.length * 6.2;
      const nx = Math.min(x(m.at), WIDTH - RIGHT - w);
      parts.push(`<g class="marker not-recovered"><title>${esc(m.label)}</title><text x="${fmt(nx)}" y="${ratioTop + PANEL + 18}">${esc(m.label)}</text></g>`);
    }
  }
  return `<svg class="timeline" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${esc(c.title)}">${parts.join('')}</svg>`;
}

/** An SVG path of horizontal steps, one per bucket, broken where `y` is null. */
function stepPath(buckets: ChartBucket[], bucketMs: number, x: (t: number) => number, y: (b: ChartBucket) => number | null): string {
  const d: string[] = [];
  let open = false;
  for (const b of buckets) {
    const v = y(b);
    if (v === null) {
      open = false;
      continue;
    }
    d.push(`${open ? 'L' : 'M'}${fmt(x(b.t))},${fmt(v)}L${fmt(x(b.t + bucketMs))},${fmt(v)}`);
    open = true;
  }
  return d.join('');
}

/** A tick step in seconds giving 5-12 ticks over `seconds`. */
function niceStep(seconds: number): number {
  for (const s of [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600]) if (seconds / s <= 12) return s;
  return 7200;
}

/** A label centred at x, kept inside the chart (about 6 px a character at 11 px, bold). */
function clampLabel(x: number, label: string): number {
  const half = (label.length * 6.2) / 2;
  return Math.min(Math.max(x, half + 2), WIDTH - half - 2);
}

/**
 * The latency axis: log10 from the decade at or below the fastest bucket's p95 to the decade at
 * or above the slowest, at least one decade; ticks at each decade (1-2-5 steps within a single
 * decade). Empty: 1 ms to 1 s.
 */
export function latencyScale(values: number[]): { lo: number; hi: number; ticks: number[] } {
  const positive = values.filter((v) => v > 0);
  if (positive.length === 0) return { lo: 1, hi: 1000, ticks: [1, 10, 100, 1000] };
  const min = Math.min(...positive);
  const max = Math.max(...positive);
  let lo = 10 ** Math.floor(Math.log10(min));
  let hi = 10 ** Math.ceil(Math.log10(max));
  if (hi <= lo) hi = lo * 10;
  lo = Math.max(lo, 0.01);
  const ticks: number[] = [];
  const decades = Math.round(Math.log10(hi / lo));
  for (let d = 0; d <= decades; d++) {
    const base = lo * 10 ** d;
    ticks.push(base);
    if (decades === 1 && d === 0) ticks.push(base * 2, base * 5);
  }
  return { lo, hi, ticks: ticks.map((t) => Number(t.toPrecision(6))) };
}

/** 0.5 ms, 5 ms, 250 ms, 1 s, 3.2 s: short enough for the axis (at most 6 characters). */
export function latencyLabel(ms: number, digits = 0): string {
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(ms >= 10_000 ? 0 : digits || (ms % 1000 === 0 ? 0 : 1)))} s`;
  if (ms >= 1) return `${Number(ms.toFixed(digits))} ms`;
  return `${Number(ms.toPrecision(1))} ms`;
}
