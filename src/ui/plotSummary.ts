// A plot's text alternative (issue #14, accessibility: "plots have no text alternative"): one sentence per
// trace saying what a sighted user reads off the chart — its extent, last value and range — built from the
// same figure plotly draws. plotlyLoader.reactPlot puts it on every plot div as role="img" + aria-label.
// Pure: imports nothing (plotly's figure objects are plain data).

type Figure = Record<string, unknown>;

const num = (v: number): string => {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
};

/** The finite numbers of a plotly data array (plain array or typed array), or [] when it holds none. */
function numbers(a: unknown): number[] {
  if (!a || typeof a !== 'object' || !('length' in a)) return [];
  const out: number[] = [];
  for (const v of Array.from(a as ArrayLike<unknown>)) if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  return out;
}

function range(xs: number[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const x of xs) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

const textOf = (t: unknown): string => (typeof t === 'string' ? t : t && typeof t === 'object' && typeof (t as Figure).text === 'string' ? ((t as Figure).text as string) : '');

/** One trace in words. */
function describeTrace(t: Figure, i: number): string {
  const name = typeof t.name === 'string' && t.name ? t.name : `series ${i + 1}`;
  const type = typeof t.type === 'string' ? t.type : 'scatter';
  if (type === 'histogram') {
    const xs = numbers(t.x).sort((a, b) => a - b);
    if (xs.length === 0) return `${name}: no values`;
    return `${name}: histogram of ${xs.length} values from ${num(xs[0])} to ${num(xs[xs.length - 1])}, median ${num(xs[(xs.length - 1) >> 1])}`;
  }
  if (type === 'heatmap') {
    const z = Array.isArray(t.z) ? (t.z as unknown[]) : [];
    const all = z.flatMap((row) => numbers(row));
    if (all.length === 0) return `${name}: empty heatmap`;
    const [lo, hi] = range(all);
    return `${name}: ${z.length}×${Array.isArray(z[0]) || ArrayBuffer.isView(z[0]) ? (z[0] as ArrayLike<unknown>).length : 0} heatmap, values ${num(lo)} to ${num(hi)}`;
  }
  const ys = numbers(t.y);
  const xs = numbers(t.x);
  if (ys.length === 0) return `${name}: no points`;
  const [lo, hi] = range(ys);
  const at = xs.length === ys.length ? ` at ${num(xs[xs.length - 1])}` : '';
  const span = xs.length === ys.length && xs.length > 1 ? ` over ${num(xs[0])}–${num(xs[xs.length - 1])}` : '';
  return `${name}: ${ys.length} point${ys.length === 1 ? '' : 's'}${span}, last ${num(ys[ys.length - 1])}${at}, min ${num(lo)}, max ${num(hi)}`;
}

/** The text alternative of a figure: its title (or "chart"), then each trace. */
export function describePlot(data: readonly Figure[], layout: Figure): string {
  const title = textOf(layout.title) || 'chart';
  if (data.length === 0) return `${title}: no data yet`;
  return `${title}. ${data.map(describeTrace).join('; ')}.`;
}
