// The report chart writer (src/cli/svgPlot.ts): nice ticks worked by hand, XML escaping, well-formed
// documents, data mapped to the right pixels (equal spacing, midpoints, gaps at NaN, bar heights in
// proportion), error bars, marker-only series, grids, and InputErrors on charts that cannot be drawn.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import { MARGIN, barChart, chartGrid, escapeXml, formatTick, lineChart, niceTicks, svgSize } from '../../src/cli/svgPlot.ts';
import { expectClose } from '../helpers/close.ts';

const TOL = { atol: 0.011, rtol: 0 }; // coordinates are written with 2 decimals

/** Throws unless every element opened is closed in order (self-closing allowed); returns the root's tag count. */
function checkWellFormed(svg: string): number {
  const stack: string[] = [];
  let count = 0;
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)\b[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    count++;
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (!self) stack.push(name);
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(', ')}`);
  expect(svg.trimStart().startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  // No raw ampersands outside entities.
  expect(/&(?!(amp|lt|gt|quot|apos);)/.test(svg)).toBe(false);
  return count;
}

/** The [x, y] vertices of the series path(s) in drawing order, and how many subpaths (M commands). */
function seriesPaths(svg: string): { points: [number, number][]; moves: number }[] {
  return [...svg.matchAll(/<path class="series" d="([^"]+)"/g)].map((m) => {
    const d = m[1];
    const points = [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((p) => [Number(p[1]), Number(p[2])] as [number, number]);
    return { points, moves: (d.match(/M/g) ?? []).length };
  });
}

describe('niceTicks', () => {
  it('covers the range with steps of 1, 2 or 5 × 10ⁿ, worked by hand', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]); // raw step 0.2
    expect(niceTicks(1, 8)).toEqual([0, 2, 4, 6, 8]); // raw 1.4 → 2; floor(1/2)·2 = 0
    expect(niceTicks(0.93, 0.97)).toEqual([0.93, 0.94, 0.95, 0.96, 0.97]); // raw 0.008 → 0.01
    expect(niceTicks(-3, 12)).toEqual([-5, 0, 5, 10, 15]); // raw 3 → 5
    expect(niceTicks(0.1, 0.7, 3)).toEqual([0, 0.2, 0.4, 0.6, 0.8]); // raw 0.2; no 0.6000000000000001
  });

  it('a single value gets a step from its magnitude and two ticks around it', () => {
    expect(niceTicks(5, 5)).toEqual([5, 6]); // span |5| → raw 1
    expect(niceTicks(0, 0)).toEqual([0, 0.2]); // span 1 → raw 0.2
  });

  it('rejects reversed or non-finite ranges', () => {
    expect(() => niceTicks(2, 1)).toThrow(InputError);
    expect(() => niceTicks(0, Infinity)).toThrow(/finite lo ≤ hi, got \[0, Infinity\]/);
  });
});

describe('formatTick and escapeXml', () => {
  it('format ticks compactly', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(8)).toBe('8');
    expect(formatTick(0.30000000000000004)).toBe('0.3');
    expect(formatTick(12345)).toBe('1.2e4');
    expect(formatTick(0.0002)).toBe('2.0e-4');
  });

  it('escape the five XML specials', () => {
    expect(escapeXml(`<a & "b"> 'c'`)).toBe('&lt;a &amp; &quot;b&quot;&gt; &apos;c&apos;');
  });
});

describe('lineChart', () => {
  const base = { title: 'EV vs J <test>', xLabel: "J'", yLabel: 'EV', width: 400, height: 300, xTicks: [0, 1, 2], yRange: [0, 1] as const };

  it('maps equally spaced x to equal pixel steps and y = 0.5 to the middle of y = 0 and y = 1', () => {
    const svg = lineChart({ ...base, series: [{ name: 'bagging & co', color: '#1f77b4', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 0.5 }] }] });
    checkWellFormed(svg);
    expect(svgSize(svg)).toEqual({ width: 400, height: 300 });
    const [path] = seriesPaths(svg);
    expect(path.moves).toBe(1);
    const [[x0, y0], [x1, y1], [x2, y2]] = path.points;
    expectClose([x1 - x0], [x2 - x1], TOL, 'equal x steps');
    expect(x1 - x0).toBeGreaterThan(100);
    expectClose([y2], [(y0 + y1) / 2], TOL, 'y = 0.5 midway');
    expect(y0).toBeGreaterThan(y1); // SVG y grows downward: y = 0 lies below y = 1
    // y = 1 is the top of the plot area, y = 0 its bottom: one legend row, so bottom = 300 − 48 − 16.
    expectClose([y1, y0], [MARGIN.top, 300 - MARGIN.bottom - 16], TOL, 'y range ends');
    // Title and legend text are escaped.
    expect(svg).toContain('EV vs J &lt;test&gt;');
    expect(svg).toContain('>bagging &amp; co</text>');
  });

  it('breaks the line at a non-finite point and draws no marker there', () => {
    const svg = lineChart({ ...base, series: [{ name: 's', color: 'red', points: [{ x: 0, y: 0.2 }, { x: 1, y: NaN }, { x: 2, y: 0.4 }] }] });
    checkWellFormed(svg);
    const [path] = seriesPaths(svg);
    expect(path.moves).toBe(2);
    expect(path.points).toHaveLength(2);
    // Two plot markers plus one legend marker.
    expect(svg.match(/<circle /g)).toHaveLength(3);
  });

  it('a marker-only series has no line; error bars span lo..hi; a dashed series is dashed', () => {
    const svg = lineChart({
      ...base,
      series: [
        { name: 'expanded', color: 'green', style: 'markers', marker: 'square', points: [{ x: 2, y: 0.6, lo: 0.5, hi: 0.7 }] },
        { name: 'exact', color: 'blue', style: 'dashed', marker: 'none', points: [{ x: 0, y: 0.1 }, { x: 1, y: 0.3 }] },
      ],
    });
    checkWellFormed(svg);
    expect(seriesPaths(svg)).toHaveLength(1); // only the dashed one
    expect(svg).toMatch(/<path class="series" d="[^"]+" fill="none" stroke="blue" stroke-width="2" stroke-dasharray="5 3"\/>/);
    const bars = [...svg.matchAll(/<path class="errorbar" d="M(-?[\d.]+) (-?[\d.]+)V(-?[\d.]+)/g)];
    expect(bars).toHaveLength(1);
    const [, , yLo, yHi] = bars[0].map(Number);
    const bottom = 300 - MARGIN.bottom - 16;
    const yOf = (v: number): number => bottom - v * (bottom - MARGIN.top);
    expectClose([yLo, yHi], [yOf(0.5), yOf(0.7)], TOL, 'error bar ends');
    // Plot marker + legend marker, both squares; no circles anywhere (the dashed series has none).
    expect(svg.match(/<rect x=/g)).toHaveLength(2);
    expect(svg).not.toContain('<circle');
  });

  it('without a y range, the axis covers the data and error bars with nice ticks', () => {
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', color: 'k', points: [{ x: 1, y: 0.91, lo: 0.905, hi: 0.93 }, { x: 8, y: 0.96 }] }] });
    checkWellFormed(svg);
    const labels = [...svg.matchAll(/text-anchor="end" fill="#444">([^<]+)</g)].map((m) => Number(m[1]));
    expect(labels[0]).toBeLessThanOrEqual(0.905);
    expect(labels[labels.length - 1]).toBeGreaterThanOrEqual(0.96);
    expect(labels.length).toBeGreaterThanOrEqual(3);
  });

  it('a constant series gets ±10% around it; non-negative data get no negative axis from the headroom', () => {
    const ticksOf = (svg: string): number[] => [...svg.matchAll(/text-anchor="end" fill="#444">([^<]+)</g)].map((m) => Number(m[1]));
    const flat = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', color: 'k', points: [{ x: 1, y: 1 }, { x: 2, y: 1 }] }] });
    expect(ticksOf(flat)).toEqual([0.9, 0.95, 1, 1.05, 1.1]); // [0.9, 1.1], raw step 0.04 → 0.05
    const zeroToSmall = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', color: 'k', points: [{ x: 1, y: 0 }, { x: 2, y: 0.004 }] }] });
    expect(ticksOf(zeroToSmall)[0]).toBe(0); // 0 − 4% headroom would be −0.00016 → −0.001 without the clamp
  });

  it('labels x ticks with xTickLabel (equally spaced positions for log-spaced values), escaped', () => {
    const ns = [1, 2, 5, 10, 20];
    const svg = lineChart({ ...base, xTicks: [0, 1, 2, 3, 4], xTickLabel: (i) => `N<${ns[i]}`, series: [{ name: 's', color: 'k', points: ns.map((_, i) => ({ x: i, y: 0.5 })) }] });
    checkWellFormed(svg);
    const labels = [...svg.matchAll(/text-anchor="middle" fill="#444">([^<]+)</g)].map((m) => m[1]);
    expect(labels).toEqual(['N&lt;1', 'N&lt;2', 'N&lt;5', 'N&lt;10', 'N&lt;20']);
  });

  it('rejects charts it cannot draw, naming the chart and the numbers', () => {
    expect(() => lineChart({ ...base, series: [] })).toThrow(/series: expected at least one series, got none/);
    expect(() => lineChart({ ...base, series: [{ name: 's', color: 'k', points: [{ x: 0, y: NaN }] }] })).toThrow(/at least one point with finite x and y/);
    expect(() => lineChart({ ...base, width: 100, series: [{ name: 's', color: 'k', points: [{ x: 0, y: 1 }] }] })).toThrow(/got 100 × 300/);
    expect(() => lineChart({ ...base, yRange: [1, 1], series: [{ name: 's', color: 'k', points: [{ x: 0, y: 1 }] }] })).toThrow(InputError);
  });
});

describe('barChart', () => {
  it('bar heights are proportional to the values from a zero baseline; null draws no bar; negatives go down', () => {
    const svg = barChart({
      title: 'accuracy',
      yLabel: 'acc',
      categories: ['kp=1', 'kp=2'],
      series: [
        { name: 'a', color: '#111', values: [1, 2] },
        { name: 'b', color: '#222', values: [null, -1] },
      ],
      reference: { y: 1.5, label: 'input baseline' },
      valueLabels: true,
      yRange: [-2, 2],
      width: 400,
      height: 300,
    });
    checkWellFormed(svg);
    const bars = [...svg.matchAll(/<rect class="bar" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="([^"]+)"/g)].map((m) => ({
      x: Number(m[1]),
      y: Number(m[2]),
      h: Number(m[4]),
      fill: m[5],
    }));
    expect(bars).toHaveLength(3);
    const [a1, a2, bNeg] = bars;
    expectClose([a2.h], [2 * a1.h], TOL, 'value 2 is twice as tall as value 1');
    expectClose([a1.y + a1.h], [a2.y + a2.h], TOL, 'positive bars share the zero baseline');
    expectClose([bNeg.y], [a2.y + a2.h], TOL, 'the negative bar hangs from zero');
    expectClose([bNeg.h], [a1.h], TOL, '|−1| = 1');
    expect(bNeg.x).toBeGreaterThan(a2.x); // series b sits right of series a in the kp=2 group
    expect(svg.match(/<line class="reference"/g)).toHaveLength(1);
    expect(svg).toContain('>input baseline</text>');
    expect(svg).toContain('<title>a, kp=2: 2</title>');
    // Value labels: 3 significant digits by default, above positive bars and below negative ones.
    const labels = [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" font-size="9" text-anchor="middle" fill="#333">([^<]+)</g)].map((m) => ({ y: Number(m[1]), text: m[2] }));
    expect(labels.map((l) => l.text)).toEqual(['1', '2', '-1']);
    expect(labels[0].y).toBeLessThan(a1.y);
    expect(labels[2].y).toBeGreaterThan(bNeg.y + bNeg.h);
  });

  it('formats value labels with valueFormat', () => {
    const svg = barChart({ title: 't', yLabel: 'y', categories: ['c'], series: [{ name: 's', color: 'k', values: [0.7] }], valueLabels: true, valueFormat: (v) => v.toFixed(3) });
    expect(svg).toContain('>0.700</text>');
  });

  it('rejects a series whose length does not match the categories', () => {
    expect(() => barChart({ title: 't', yLabel: 'y', categories: ['x', 'y'], series: [{ name: 's', color: 'k', values: [1] }] })).toThrow(/series "s": values: expected 2 \(one per category\), got 1/);
  });
});

describe('chartGrid', () => {
  it('places charts row-major in cells as large as the largest, under a title', () => {
    const one = lineChart({ title: 'a', xLabel: 'x', yLabel: 'y', width: 300, height: 200, series: [{ name: 's', color: 'k', points: [{ x: 0, y: 1 }, { x: 1, y: 2 }] }] });
    const two = barChart({ title: 'b', yLabel: 'y', width: 400, height: 250, categories: ['c'], series: [{ name: 's', color: 'k', values: [3] }] });
    const svg = chartGrid([one, two, one], 2, 'three & more');
    checkWellFormed(svg);
    expect(svgSize(svg)).toEqual({ width: 800, height: 30 + 2 * 250 });
    const placed = [...svg.matchAll(/<svg x="(\d+)" y="(\d+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(placed).toEqual([
      [0, 30],
      [400, 30],
      [0, 280],
    ]);
    expect(svg.match(/xmlns=/g)).toHaveLength(1); // nested charts inherit the namespace
    expect(svg).toContain('three &amp; more');
    expect(() => chartGrid([], 2)).toThrow(/at least one chart/);
    expect(() => chartGrid([one], 0)).toThrow(/columns: expected an integer ≥ 1, got 0/);
    expect(() => svgSize('<g/>')).toThrow(InputError);
  });
});
