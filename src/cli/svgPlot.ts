// A tiny dependency-free SVG chart writer for reports (docs/reproduction/*.svg): line charts of a metric
// against x (solid, dashed or marker-only series, optional min–max error bars, gaps at non-finite
// values), grouped bar charts (optional reference line and value labels), and a grid that puts several
// charts into one SVG. Pure TypeScript over strings: no DOM, Node, or plotting library, so the CLI,
// scripts and the browser can all reuse it. Must import nothing but src/core/errors.ts.
//
// Units: every size is in SVG user units (px at 100% zoom); x/y are data units until mapped.

import { InputError } from '../core/errors.ts';

/** One point of a line series; lo..hi draws a vertical error bar (e.g. min–max over repeats). */
export interface LinePoint {
  x: number;
  y: number;
  lo?: number;
  hi?: number;
}

export type Marker = 'circle' | 'square' | 'diamond' | 'triangle' | 'none';

export interface LineSeries {
  name: string;
  points: readonly LinePoint[];
  /** Any SVG colour (`#1f77b4`). */
  color: string;
  /** solid/dashed: a line through the points plus markers; markers: markers only (default solid). */
  style?: 'solid' | 'dashed' | 'markers';
  /** Default circle. */
  marker?: Marker;
  /** Marker drawn as an outline (white fill). */
  hollow?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  /** Whole chart, px (default 420 × 300; at least 160 × 120). */
  width?: number;
  height?: number;
  /** Tick positions on x (default: nice ticks over the data). */
  xTicks?: readonly number[];
  /** Label of an x tick (default formatTick), e.g. N = 20 at the 5th of equally spaced positions. */
  xTickLabel?: (x: number) => string;
  /** y range to show (default: the data and error bars, widened to nice ticks). */
  yRange?: readonly [number, number];
}

export interface BarSeries {
  name: string;
  color: string;
  /** One value per category; null = no bar. */
  values: readonly (number | null)[];
}

export interface BarChart {
  title: string;
  yLabel: string;
  categories: readonly string[];
  series: readonly BarSeries[];
  /** A dashed horizontal line across the plot, e.g. a baseline. */
  reference?: { y: number; label: string };
  /** Print each value above (or below, when negative) its bar. */
  valueLabels?: boolean;
  /** Text of a value label (default: formatTick of 3 significant digits). */
  valueFormat?: (v: number) => string;
  width?: number;
  height?: number;
  yRange?: readonly [number, number];
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
/** Rough advance of one character at 11 px, for legend layout (no text metrics without a DOM). */
const CHAR_PX = 6.2;
const LEGEND_ROW_PX = 16;

/** Plot-area margins, px: title above, y ticks and label left, x ticks, label and legend below. */
export const MARGIN = { top: 30, right: 14, bottom: 48, left: 58 } as const;

/** `<`, `>`, `&`, `"` and `'` as XML entities. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** A coordinate with at most 2 decimals (sub-pixel precision is noise in a file that is checked in). */
function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/**
 * Ticks at multiples of a "nice" step (1, 2 or 5 × 10ⁿ, the smallest ≥ (hi − lo)/target) from
 * floor(lo/step)·step to ceil(hi/step)·step, so they cover [lo, hi]. lo = hi gets a step from |lo|.
 */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) throw new InputError(`niceTicks: range: expected finite lo ≤ hi, got [${lo}, ${hi}]`);
  if (!(Number.isInteger(target) && target >= 1)) throw new InputError(`niceTicks: target: expected an integer ≥ 1, got ${target}`);
  const span = hi > lo ? hi - lo : Math.abs(lo) > 0 ? Math.abs(lo) : 1;
  const raw = span / target;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * mag;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(decimals)));
  if (ticks.length === 1) ticks.push(Number(((last + 1) * step).toFixed(decimals)));
  return ticks;
}

/** A tick label: integers as is, else up to 4 significant digits without trailing zeros; 1e4+ or < 1e-3 in exponent form. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

function checkSize(what: string, width: number, height: number): void {
  if (!(Number.isFinite(width) && width >= 160) || !(Number.isFinite(height) && height >= 120)) {
    throw new InputError(`${what}: size: expected width ≥ 160 and height ≥ 120 px, got ${width} × ${height}`);
  }
}

/** Legend entries laid out in rows that fit `width`; returns the SVG and the rows used. */
function legend(entries: readonly { name: string; swatch: (x: number, y: number) => string }[], x0: number, y0: number, width: number): { svg: string; rows: number } {
  const parts: string[] = [];
  let x = x0;
  let row = 0;
  for (const e of entries) {
    const w = 22 + e.name.length * CHAR_PX + 14;
    if (x > x0 && x + w > x0 + width) {
      row++;
      x = x0;
    }
    const y = y0 + row * LEGEND_ROW_PX;
    parts.push(`${e.swatch(x, y)}<text x="${px(x + 22)}" y="${px(y + 4)}" font-size="11">${escapeXml(e.name)}</text>`);
    x += w;
  }
  return { svg: parts.join(''), rows: entries.length > 0 ? row + 1 : 0 };
}

function markerSvg(kind: Marker, x: number, y: number, color: string, hollow: boolean): string {
  const fill = hollow ? 'white' : color;
  const style = `fill="${fill}" stroke="${color}" stroke-width="1.5"`;
  switch (kind) {
    case 'none':
      return '';
    case 'circle':
      return `<circle cx="${px(x)}" cy="${px(y)}" r="3.5" ${style}/>`;
    case 'square':
      return `<rect x="${px(x - 3.5)}" y="${px(y - 3.5)}" width="7" height="7" ${style}/>`;
    case 'diamond':
      return `<path d="M${px(x)} ${px(y - 4.5)}L${px(x + 4.5)} ${px(y)}L${px(x)} ${px(y + 4.5)}L${px(x - 4.5)} ${px(y)}Z" ${style}/>`;
    case 'triangle':
      return `<path d="M${px(x)} ${px(y - 4.5)}L${px(x + 4.5)} ${px(y + 3.5)}L${px(x - 4.5)} ${px(y + 3.5)}Z" ${style}/>`;
  }
}

/** The frame both chart kinds share: root element, title, y ticks with grid lines, y label. */
function frame(title: string, yLabel: string, width: number, height: number, plotBottom: number, yTicks: readonly number[], yOf: (v: number) => number): string {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}" ${FONT}>`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${px(width / 2)}" y="18" font-size="13" font-weight="600" text-anchor="middle">${escapeXml(title)}</text>`,
  ];
  for (const t of yTicks) {
    const y = yOf(t);
    parts.push(`<line x1="${MARGIN.left}" x2="${px(width - MARGIN.right)}" y1="${px(y)}" y2="${px(y)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${MARGIN.left - 5}" y="${px(y + 3.5)}" font-size="10" text-anchor="end" fill="#444">${formatTick(t)}</text>`);
  }
  const midY = (MARGIN.top + plotBottom) / 2;
  parts.push(`<text transform="translate(13 ${px(midY)}) rotate(-90)" font-size="11" text-anchor="middle" fill="#222">${escapeXml(yLabel)}</text>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${px(plotBottom)}" stroke="#888"/>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${px(width - MARGIN.right)}" y1="${px(plotBottom)}" y2="${px(plotBottom)}" stroke="#888"/>`);
  return parts.join('');
}

/** Legend rows a chart of this width needs (the plot shrinks to make room). */
function legendRows(names: readonly string[], width: number): number {
  return legend(names.map((name) => ({ name, swatch: () => '' })), 0, 0, width - MARGIN.left - MARGIN.right).rows;
}

/** The y range of `values`, widened to nice ticks; a given range is used as is (ticks inside it). */
function yScale(values: readonly number[], given: readonly [number, number] | undefined, what: string): { lo: number; hi: number; ticks: number[] } {
  if (given) {
    const [lo, hi] = given;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new InputError(`${what}: yRange: expected finite lo < hi, got [${lo}, ${hi}]`);
    return { lo, hi, ticks: niceTicks(lo, hi).filter((t) => t >= lo - 1e-12 && t <= hi + 1e-12) };
  }
  if (values.length === 0) throw new InputError(`${what}: data: expected at least one finite value to plot, got none`);
  const min = Math.min(...values);
  const max = Math.max(...values);
  // 4% headroom; a constant series gets ±10% of its value (±1 at 0) so it sits mid-plot; data that
  // are all ≥ 0 never get a negative axis from the headroom alone.
  const pad = max > min ? 0.04 * (max - min) : min === 0 ? 1 : 0.1 * Math.abs(min);
  const lo = min >= 0 ? Math.max(0, min - pad) : min - pad;
  const ticks = niceTicks(lo, max + pad);
  return { lo: ticks[0], hi: ticks[ticks.length - 1], ticks };
}

/** A line chart as a standalone SVG document. */
export function lineChart(c: LineChart): string {
  const width = c.width ?? 420;
  const height = c.height ?? 300;
  const what = `lineChart "${c.title}"`;
  checkSize(what, width, height);
  if (c.series.length === 0) throw new InputError(`${what}: series: expected at least one series, got none`);
  const finite = c.series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  if (finite.length === 0) throw new InputError(`${what}: data: expected at least one point with finite x and y, got none`);

  const ys = finite.flatMap((p) => [p.y, p.lo, p.hi].filter((v): v is number => v !== undefined && Number.isFinite(v)));
  const y = yScale(ys, c.yRange, what);
  const xTicks = c.xTicks ? [...c.xTicks] : niceTicks(Math.min(...finite.map((p) => p.x)), Math.max(...finite.map((p) => p.x)));
  const xLo = Math.min(xTicks[0], ...finite.map((p) => p.x));
  const xHi = Math.max(xTicks[xTicks.length - 1], ...finite.map((p) => p.x));

  const rows = legendRows(c.series.map((s) => s.name), width);
  const plotBottom = height - MARGIN.bottom - rows * LEGEND_ROW_PX;
  if (plotBottom - MARGIN.top < 40) throw new InputError(`${what}: size: height ${height} leaves ${plotBottom - MARGIN.top} px for the plot after ${rows} legend rows: make it taller`);
  const plotW = width - MARGIN.left - MARGIN.right;
  // Half a step of inset on x when the ticks are the data (J' = 1..8): markers do not sit on the axis.
  const inset = xHi > xLo ? 0.03 * plotW : plotW / 2;
  const xOf = (v: number): number => (xHi > xLo ? MARGIN.left + inset + ((v - xLo) / (xHi - xLo)) * (plotW - 2 * inset) : MARGIN.left + plotW / 2);
  const yOf = (v: number): number => plotBottom - ((v - y.lo) / (y.hi - y.lo)) * (plotBottom - MARGIN.top);

  const parts = [frame(c.title, c.yLabel, width, height, plotBottom, y.ticks, yOf)];
  for (const t of xTicks) {
    parts.push(`<line x1="${px(xOf(t))}" x2="${px(xOf(t))}" y1="${px(plotBottom)}" y2="${px(plotBottom + 4)}" stroke="#888"/>`);
    parts.push(`<text x="${px(xOf(t))}" y="${px(plotBottom + 15)}" font-size="10" text-anchor="middle" fill="#444">${escapeXml(c.xTickLabel ? c.xTickLabel(t) : formatTick(t))}</text>`);
  }
  parts.push(`<text x="${px(MARGIN.left + plotW / 2)}" y="${px(plotBottom + 30)}" font-size="11" text-anchor="middle" fill="#222">${escapeXml(c.xLabel)}</text>`);

  for (const s of c.series) {
    const style = s.style ?? 'solid';
    const marker = s.marker ?? 'circle';
    const ok = (p: LinePoint): boolean => Number.isFinite(p.x) && Number.isFinite(p.y);
    // Error bars first, so lines and markers sit on top of them.
    for (const p of s.points) {
      if (!ok(p) || p.lo === undefined || p.hi === undefined || !Number.isFinite(p.lo) || !Number.isFinite(p.hi)) continue;
      const x = xOf(p.x);
      parts.push(
        `<path class="errorbar" d="M${px(x)} ${px(yOf(p.lo))}V${px(yOf(p.hi))}M${px(x - 3)} ${px(yOf(p.lo))}H${px(x + 3)}M${px(x - 3)} ${px(yOf(p.hi))}H${px(x + 3)}" stroke="${s.color}" stroke-width="1" fill="none" opacity="0.7"/>`,
      );
    }
    if (style !== 'markers') {
      // A non-finite point breaks the line: the next finite one starts a new subpath.
      let d = '';
      let pen = false;
      for (const p of s.points) {
        if (!ok(p)) {
          pen = false;
          continue;
        }
        d += `${pen ? 'L' : 'M'}${px(xOf(p.x))} ${px(yOf(p.y))}`;
        pen = true;
      }
      const dash = style === 'dashed' ? ' stroke-dasharray="5 3"' : '';
      if (d) parts.push(`<path class="series" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    }
    for (const p of s.points) if (ok(p)) parts.push(markerSvg(marker, xOf(p.x), yOf(p.y), s.color, s.hollow === true));
  }

  const leg = legend(
    c.series.map((s) => ({
      name: s.name,
      swatch: (x: number, yy: number) => {
        const line = (s.style ?? 'solid') === 'markers' ? '' : `<line x1="${px(x)}" x2="${px(x + 18)}" y1="${px(yy)}" y2="${px(yy)}" stroke="${s.color}" stroke-width="2"${s.style === 'dashed' ? ' stroke-dasharray="5 3"' : ''}/>`;
        return line + markerSvg(s.marker ?? 'circle', x + 9, yy, s.color, s.hollow === true);
      },
    })),
    MARGIN.left,
    plotBottom + 46,
    plotW,
  );
  parts.push(leg.svg, '</svg>');
  return parts.join('\n');
}

/** A grouped bar chart as a standalone SVG document: one group per category, one bar per series. */
export function barChart(c: BarChart): string {
  const width = c.width ?? 420;
  const height = c.height ?? 300;
  const what = `barChart "${c.title}"`;
  checkSize(what, width, height);
  if (c.categories.length === 0 || c.series.length === 0) {
    throw new InputError(`${what}: expected at least one category and one series, got ${c.categories.length} and ${c.series.length}`);
  }
  for (const s of c.series) {
    if (s.values.length !== c.categories.length) {
      throw new InputError(`${what}: series "${s.name}": values: expected ${c.categories.length} (one per category), got ${s.values.length}`);
    }
  }
  const values = c.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  // Bars start at 0, so 0 is always in range.
  const y = yScale([0, ...values, ...(c.reference ? [c.reference.y] : [])], c.yRange, what);
  const rows = legendRows([...c.series.map((s) => s.name), ...(c.reference ? [c.reference.label] : [])], width);
  const plotBottom = height - MARGIN.bottom - rows * LEGEND_ROW_PX;
  if (plotBottom - MARGIN.top < 40) throw new InputError(`${what}: size: height ${height} leaves ${plotBottom - MARGIN.top} px for the plot after ${rows} legend rows: make it taller`);
  const plotW = width - MARGIN.left - MARGIN.right;
  const yOf = (v: number): number => plotBottom - ((Math.min(Math.max(v, y.lo), y.hi) - y.lo) / (y.hi - y.lo)) * (plotBottom - MARGIN.top);

  const parts = [frame(c.title, c.yLabel, width, height, plotBottom, y.ticks, yOf)];
  const groupW = plotW / c.categories.length;
  const barW = (groupW * 0.8) / c.series.length;
  const zero = yOf(0);
  c.categories.forEach((cat, i) => {
    const g0 = MARGIN.left + i * groupW + groupW * 0.1;
    parts.push(`<text x="${px(MARGIN.left + (i + 0.5) * groupW)}" y="${px(plotBottom + 15)}" font-size="10" text-anchor="middle" fill="#444">${escapeXml(cat)}</text>`);
    c.series.forEach((s, j) => {
      const v = s.values[i];
      if (v === null || !Number.isFinite(v)) return;
      const top = Math.min(yOf(v), zero);
      const h = Math.abs(yOf(v) - zero);
      const x = g0 + j * barW;
      parts.push(`<rect class="bar" x="${px(x + 1)}" y="${px(top)}" width="${px(Math.max(1, barW - 2))}" height="${px(h)}" fill="${s.color}"><title>${escapeXml(`${s.name}, ${cat}: ${formatTick(v)}`)}</title></rect>`);
      if (c.valueLabels) {
        const ty = v >= 0 ? top - 3 : top + h + 10;
        parts.push(`<text x="${px(x + barW / 2)}" y="${px(ty)}" font-size="9" text-anchor="middle" fill="#333">${escapeXml(c.valueFormat ? c.valueFormat(v) : formatTick(Number(v.toPrecision(3))))}</text>`);
      }
    });
  });
  if (c.reference) {
    const ry = yOf(c.reference.y);
    parts.push(`<line class="reference" x1="${MARGIN.left}" x2="${px(width - MARGIN.right)}" y1="${px(ry)}" y2="${px(ry)}" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  }
  const entries = c.series.map((s) => ({ name: s.name, swatch: (x: number, yy: number) => `<rect x="${px(x + 3)}" y="${px(yy - 5)}" width="12" height="10" fill="${s.color}"/>` }));
  if (c.reference) entries.push({ name: c.reference.label, swatch: (x: number, yy: number) => `<line x1="${px(x)}" x2="${px(x + 18)}" y1="${px(yy)}" y2="${px(yy)}" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/>` });
  parts.push(legend(entries, MARGIN.left, plotBottom + 34, plotW).svg, '</svg>');
  return parts.join('\n');
}

/** The width and height attributes of a standalone SVG's root element. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /^<svg\b[^>]*>/.exec(svg.trimStart());
  const w = root ? /\swidth="([\d.]+)"/.exec(root[0]) : null;
  const h = root ? /\sheight="([\d.]+)"/.exec(root[0]) : null;
  if (!w || !h) throw new InputError(`svgSize: expected an <svg> root element with numeric width and height, got "${svg.slice(0, 60)}…"`);
  return { width: Number(w[1]), height: Number(h[1]) };
}

/**
 * Several charts (from lineChart/barChart) in one SVG, row-major in `columns` columns; each cell is as
 * large as the largest chart; an optional title on top. Charts become nested <svg> elements.
 */
export function chartGrid(charts: readonly string[], columns: number, title?: string): string {
  if (charts.length === 0) throw new InputError('chartGrid: charts: expected at least one chart, got none');
  if (!(Number.isInteger(columns) && columns >= 1)) throw new InputError(`chartGrid: columns: expected an integer ≥ 1, got ${columns}`);
  const sizes = charts.map(svgSize);
  const cellW = Math.max(...sizes.map((s) => s.width));
  const cellH = Math.max(...sizes.map((s) => s.height));
  const cols = Math.min(columns, charts.length);
  const head = title ? 30 : 0;
  const width = cols * cellW;
  const height = head + Math.ceil(charts.length / cols) * cellH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title ?? 'charts')}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (title) parts.push(`<title>${escapeXml(title)}</title>`, `<text x="${px(width / 2)}" y="20" font-size="15" font-weight="600" text-anchor="middle">${escapeXml(title)}</text>`);
  charts.forEach((svg, i) => {
    const x = (i % cols) * cellW;
    const y = head + Math.floor(i / cols) * cellH;
    // Re-root the chart: drop its xmlns (inherited) and place it with x/y.
    parts.push(svg.trimStart().replace(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, `<svg x="${x}" y="${y}"`));
  });
  parts.push('</svg>');
  return parts.join('\n');
}
