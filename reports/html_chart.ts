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
  /** The x range, ms. */
  from: number;
  to: number;
}

const WIDTH = 960;
const LEFT = 56;
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
  // The latency scale ignores the worst 2% of buckets, so one stall does not flatten the rest.
  const p95s = c.buckets.map((b) => b.p95).filter((v): v is number => v !== null).sort((a, b) => a - b);
  const cap = p95s.length ? Math.max(1, p95s[Math.min(p95s.length - 1, Math.floor(p95s.length * 0.98))]) : 1;
  const yLatency = (ms: number) => latencyTop + (1 - Math.min(ms, cap) / cap) * PANEL;
  const parts: string[] = [];

  parts.push(`<text x="${LEFT}" y="14" class="chart-title">${esc(c.title)}</text>`);
  // Fault bands first, under everything.
  for (const band of c.bands) {
    const x0 = x(band.from);
    const x1 = x(band.to ?? c.to);
    parts.push(
      `<g class="fault-band" data-fault="${esc(band.name)}"><title>${esc(band.name)}: ${fmt(band.from / 1000)} s to ${band.to === null ? 'the end (not reverted)' : `${fmt(band.to / 1000)} s`}</title>` +
        `<rect x="${fmt(x0)}" y="${ratioTop}" width="${fmt(Math.max(1, x1 - x0))}" height="${PANEL * 2 + GAP}"/>` +
        `<text x="${fmt(x0 + 3)}" y="${ratioTop + 11}">${esc(band.name)}</text></g>`,
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
  parts.push(`<text class="tick" x="${LEFT - 4}" y="${latencyTop + 4}" text-anchor="end">${fmt(cap)} ms</text>`);
  parts.push(`<text class="tick" x="${LEFT - 4}" y="${latencyTop + PANEL + 4}" text-anchor="end">0</text>`);
  const step = niceStep(span / 1000);
  for (let s = Math.ceil(c.from / 1000 / step) * step; s * 1000 <= c.to; s += step) {
    const gx = fmt(x(s * 1000));
    parts.push(`<line class="grid" x1="${gx}" x2="${gx}" y1="${ratioTop}" y2="${latencyTop + PANEL}"/>`);
    parts.push(`<text class="tick" x="${gx}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle">${fmt(s)} s</text>`);
  }

  // The series: a step line per bucket; buckets with nothing due leave a gap.
  parts.push(`<path class="series ratio" d="${stepPath(c.buckets, c.bucketMs, x, (b) => (b.successRatio === null ? null : yRatio(b.successRatio)))}"/>`);
  parts.push(`<path class="series latency" d="${stepPath(c.buckets, c.bucketMs, x, (b) => (b.p95 === null ? null : yLatency(b.p95)))}"/>`);
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
    const lane = laneEnds.findIndex((end) => end < ex - 2);
    const label = lane < 0 ? '' : `<text x="${fmt(ex + 2)}" y="${ratioTop - 8 - lane * LANE_PX}">${esc(e.type)}</text>`;
    if (lane >= 0) laneEnds[lane] = ex + 2 + width;
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
          `<text x="${mx}" y="${ratioTop + PANEL + 18}" text-anchor="middle">${esc(m.label)}</text></g>`,
      );
    } else {
      parts.push(`<g class="marker not-recovered"><title>${esc(m.label)}</title><text x="${mx}" y="${ratioTop + PANEL + 18}">${esc(m.label)}</text></g>`);
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
