import { esc } from './html_escape';

/**
 * The aggregate's charts as inline SVG (no script, nothing fetched): a strip plot of one figure per
 * run (each run a dot, the median a tick, its 95 % interval a bar; runs without a value in a
 * "not recovered" column right of the axis), and a figure against the offered rate of a sweep
 * (the median per rate joined by a line, min to max as a whisker).
 */

const fmt = (v: number) => String(Number(v.toFixed(1)));

export interface StripRow {
  label: string;
  /** One per run; null: no value (drawn in the right-hand column). */
  values: (number | null)[];
  median: number | null;
  ci: { lower: number | null; upper: number | null } | null;
}

export interface StripInput {
  title: string;
  /** Axis unit, e.g. "ms"; values are plotted as they are. */
  unit: string;
  /** The column's label for runs without a value, e.g. "not recovered". */
  missingLabel: string;
  rows: StripRow[];
}

const S_WIDTH = 960;
const S_LEFT = 150;
const S_RIGHT = 110;
const S_ROW = 34;
const S_TOP = 30;
const S_BOTTOM = 30;

/** A tick step giving 4-10 ticks up to `max`. */
function niceStep(max: number): number {
  const raw = max / 6;
  const mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  for (const m of [1, 2, 5, 10]) if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

export function stripPlot(c: StripInput): string {
  const finite = c.rows.flatMap((r) => r.values.filter((v): v is number => v !== null));
  const max = Math.max(1, ...finite) * 1.05;
  const plotRight = S_WIDTH - S_RIGHT;
  const x = (v: number) => S_LEFT + (Math.max(0, v) / max) * (plotRight - S_LEFT);
  const height = S_TOP + c.rows.length * S_ROW + S_BOTTOM;
  const missingX = plotRight + 45;
  const parts: string[] = [`<text x="${S_LEFT}" y="16" class="chart-title">${esc(c.title)}</text>`];
  const bottom = S_TOP + c.rows.length * S_ROW;
  parts.push(`<rect class="panel" x="${S_LEFT}" y="${S_TOP}" width="${plotRight - S_LEFT}" height="${bottom - S_TOP}"/>`);
  const step = niceStep(max);
  for (let v = 0; v <= max; v += step) {
    const gx = fmt(x(v));
    parts.push(`<line class="grid" x1="${gx}" x2="${gx}" y1="${S_TOP}" y2="${bottom}"/>`);
    parts.push(`<text class="tick" x="${gx}" y="${bottom + 14}" text-anchor="middle">${fmt(v)}</text>`);
  }
  parts.push(`<text class="tick" x="${plotRight}" y="${bottom + 26}" text-anchor="end">${esc(c.unit)}</text>`);
  if (c.rows.some((r) => r.values.includes(null))) parts.push(`<text class="tick missing-label" x="${missingX}" y="${S_TOP - 6}" text-anchor="middle">${esc(c.missingLabel)}</text>`);
  c.rows.forEach((row, i) => {
    const cy = S_TOP + i * S_ROW + S_ROW / 2;
    const g: string[] = [`<text class="row-label" x="${S_LEFT - 8}" y="${cy + 4}" text-anchor="end">${esc(row.label)}</text>`];
    if (row.ci && row.ci.lower !== null) {
      const x0 = x(row.ci.lower);
      const x1 = row.ci.upper === null ? plotRight : x(row.ci.upper);
      g.push(`<rect class="ci" x="${fmt(x0)}" y="${cy - 5}" width="${fmt(Math.max(1, x1 - x0))}" height="10"><title>95% interval of the median</title></rect>`);
    }
    row.values.forEach((v, k) => {
      // A small deterministic vertical spread, so equal values stay visible.
      const dy = ((k % 5) - 2) * 3;
      if (v === null) {
        g.push(`<text class="run missing" x="${missingX + ((k % 7) - 3) * 6}" y="${cy + dy + 4}" text-anchor="middle"><title>run: ${esc(c.missingLabel)}</title>×</text>`);
      } else {
        g.push(`<circle class="run" cx="${fmt(x(v))}" cy="${cy + dy}" r="3.5"><title>${fmt(v)} ${esc(c.unit)}</title></circle>`);
      }
    });
    if (row.median !== null) {
      const mx = fmt(x(row.median));
      g.push(`<line class="median" x1="${mx}" x2="${mx}" y1="${cy - 11}" y2="${cy + 11}"><title>median ${fmt(row.median)} ${esc(c.unit)}</title></line>`);
    } else if (row.values.length) {
      g.push(`<line class="median" x1="${missingX}" x2="${missingX}" y1="${cy - 11}" y2="${cy + 11}"><title>median: ${esc(c.missingLabel)}</title></line>`);
    }
    parts.push(`<g class="strip-row">${g.join('')}</g>`);
  });
  return `<svg class="strip" viewBox="0 0 ${S_WIDTH} ${height}" width="100%" role="img" aria-label="${esc(c.title)}">${parts.join('')}</svg>`;
}

export interface RatePoint {
  median: number | null;
  min: number | null;
  max: number | null;
  /** Runs measured at this rate; 0: no point. */
  n: number;
}

export interface RateSeries {
  name: string;
  /** One per rate, in the order of `rates`. */
  points: RatePoint[];
}

export interface RateChartInput {
  title: string;
  unit: string;
  rates: number[];
  series: RateSeries[];
  /** Formats a value for the axis and the tooltips. */
  format: (v: number) => string;
  /** The lowest rate at which a gate failed: a red dashed line. */
  firstFailingRate: number | null;
  /** Label for a median without a value (drawn at the top). */
  missingLabel: string;
}

const R_WIDTH = 960;
const R_LEFT = 80;
const R_RIGHT = 170;
const R_TOP = 30;
const R_PANEL = 170;
const R_BOTTOM = 36;

/** A figure against the offered rate: rates evenly spaced (labelled), one line per series. */
export function rateChart(c: RateChartInput): string {
  const values = c.series.flatMap((s) => s.points.flatMap((p) => [p.median, p.max, p.min])).filter((v): v is number => v !== null);
  const top = Math.max(0, ...values);
  const max = top > 0 ? top * 1.1 : 1;
  const plotRight = R_WIDTH - R_RIGHT;
  const n = c.rates.length;
  const x = (i: number) => (n === 1 ? (R_LEFT + plotRight) / 2 : R_LEFT + 30 + (i / (n - 1)) * (plotRight - R_LEFT - 60));
  const y = (v: number) => R_TOP + (1 - Math.min(v, max) / max) * R_PANEL;
  const bottom = R_TOP + R_PANEL;
  const parts: string[] = [`<text x="${R_LEFT}" y="16" class="chart-title">${esc(c.title)}</text>`];
  parts.push(`<rect class="panel" x="${R_LEFT}" y="${R_TOP}" width="${plotRight - R_LEFT}" height="${R_PANEL}"/>`);
  for (const f of [0, 0.5, 1]) {
    parts.push(`<line class="grid" x1="${R_LEFT}" x2="${plotRight}" y1="${fmt(y(max * f))}" y2="${fmt(y(max * f))}"/>`);
    parts.push(`<text class="tick" x="${R_LEFT - 4}" y="${fmt(y(max * f) + 4)}" text-anchor="end">${esc(c.format(max * f))}</text>`);
  }
  c.rates.forEach((r, i) => parts.push(`<text class="tick" x="${fmt(x(i))}" y="${bottom + 14}" text-anchor="middle">${fmt(r)}/s</text>`));
  parts.push(`<text class="tick" x="${plotRight}" y="${bottom + 28}" text-anchor="end">offered rate (evenly spaced)</text>`);
  const failing = c.firstFailingRate === null ? -1 : c.rates.indexOf(c.firstFailingRate);
  if (failing >= 0) {
    const fx = fmt(x(failing));
    parts.push(`<g class="first-failing"><line x1="${fx}" x2="${fx}" y1="${R_TOP}" y2="${bottom}"/><text x="${fmt(x(failing) + 3)}" y="${R_TOP + 11}">first failing rate</text></g>`);
  }
  c.series.forEach((s, si) => {
    const cls = `series-${si % 6}`;
    const g: string[] = [];
    let d = '';
    s.points.forEach((p, i) => {
      if (p.n === 0) return;
      const px = x(i);
      if (p.min !== null) g.push(`<line class="whisker" x1="${fmt(px)}" x2="${fmt(px)}" y1="${fmt(y(p.min))}" y2="${fmt(p.max === null ? R_TOP : y(p.max))}"/>`);
      if (p.median === null) {
        g.push(`<text class="missing" x="${fmt(px)}" y="${R_TOP - 3}" text-anchor="middle"><title>${esc(s.name)} at ${fmt(c.rates[i])}/s: median ${esc(c.missingLabel)}</title>×</text>`);
        return;
      }
      d += `${d ? 'L' : 'M'}${fmt(px)},${fmt(y(p.median))}`;
      g.push(`<circle cx="${fmt(px)}" cy="${fmt(y(p.median))}" r="3.5"><title>${esc(s.name)} at ${fmt(c.rates[i])}/s: median ${esc(c.format(p.median))}${p.max !== null ? `, max ${esc(c.format(p.max))}` : ''}</title></circle>`);
    });
    const ly = R_TOP + 12 + si * 14;
    parts.push(
      `<g class="rate-series ${cls}"><path d="${d}"/>${g.join('')}` +
        `<line x1="${plotRight + 10}" x2="${plotRight + 24}" y1="${ly - 4}" y2="${ly - 4}"/><text x="${plotRight + 28}" y="${ly}">${esc(s.name)}</text></g>`,
    );
  });
  return `<svg class="rate-chart" viewBox="0 0 ${R_WIDTH} ${bottom + R_BOTTOM}" width="100%" role="img" aria-label="${esc(c.title)}">${parts.join('')}</svg>`;
}
