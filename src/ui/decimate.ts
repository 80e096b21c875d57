// Thins a long series for drawing: at most `maxPoints` points, keeping each bucket's lowest and highest value
// in step order (a spike or a divergence still shows). Why: the wasm engine trains thousands of tiny steps per
// second, and a loss curve of 10⁵ SVG points took plotly seconds per redraw, freezing the page (issue #14:
// no main-thread task over 50 ms while training). Series at or under maxPoints come back unchanged. Pure.

/** x, y: one point per index (y may hold NaN: a bucket's NaN is kept, so a non-finite loss stays visible). */
export function decimate(x: readonly number[], y: readonly number[], maxPoints = 2000): { x: number[]; y: number[] } {
  const n = Math.min(x.length, y.length);
  if (n <= maxPoints) return { x: x.slice(0, n), y: y.slice(0, n) };
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const size = n / buckets;
  const ox: number[] = [];
  const oy: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = b === buckets - 1 ? n : Math.floor((b + 1) * size);
    let lo = start, hi = start;
    for (let i = start; i < end; i++) {
      if (Number.isNaN(y[i])) {
        lo = hi = i; // a non-finite value is what the user must see
        break;
      }
      if (y[i] < y[lo]) lo = i;
      if (y[i] > y[hi]) hi = i;
    }
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) {
      ox.push(x[i]);
      oy.push(y[i]);
    }
  }
  // The last point is the one a user reads: always drawn.
  if (ox[ox.length - 1] !== x[n - 1]) {
    ox.push(x[n - 1]);
    oy.push(y[n - 1]);
  }
  return { x: ox, y: oy };
}
