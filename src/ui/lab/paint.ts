// The lab's pixels (issue #12 §2): region ids → RGBA (a stable colour per id, boundaries darker, optionally
// shaded by the reconstruction error, a highlighted unit's cells bright and the rest faded), and the mapping
// between data units and canvas pixels. Pure functions over typed arrays (tested in test/ui/labPaint.test.ts);
// imports nothing.

/** The window drawn, data units. */
export interface View {
  u0: number;
  u1: number;
  v0: number;
  v1: number;
}

/** Data (x, y) → canvas pixel (px, py) on a w × h canvas; row 0 at the top (v = v1), as the region grid. */
export const toPixel = (v: View, w: number, h: number, x: number, y: number): [number, number] => [((x - v.u0) / (v.u1 - v.u0)) * w, ((v.v1 - y) / (v.v1 - v.v0)) * h];
export const toData = (v: View, w: number, h: number, px: number, py: number): [number, number] => [v.u0 + (px / w) * (v.u1 - v.u0), v.v1 - (py / h) * (v.v1 - v.v0)];

/**
 * A pastel colour per region id, the same on every redraw and in every panel: the id's bits pick the hue
 * (golden-ratio spaced) and a little of the lightness, so neighbouring cells rarely look alike. → [r, g, b].
 */
export function regionColour(id: number): [number, number, number] {
  let h = Math.imul(id ^ (id >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  const hue = ((h & 0xffff) / 0x10000 + 0.618034 * ((h >>> 16) & 0xff)) % 1;
  const light = 0.78 + 0.1 * (((h >>> 24) & 0xff) / 255);
  return hslToRgb(hue, 0.55, light);
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const f = (t: number) => {
    const x = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    const c = x < 1 / 6 ? p + (q - p) * 6 * x : x < 1 / 2 ? q : x < 2 / 3 ? p + (q - p) * (2 / 3 - x) * 6 : p;
    return Math.round(255 * c);
  };
  return [f(h + 1 / 3), f(h), f(h - 1 / 3)];
}

export interface PaintOptions {
  /** Darken pixels whose right or lower neighbour is another region. */
  boundaries: boolean;
  /** [w·h] per-pixel ‖x − x̂‖², or empty: shade each pixel darker as its error grows (relative to `errorScale`). */
  error: Float32Array;
  errorScale: number;
  /** Ids of the highlighted unit's regions (null: nothing highlighted). */
  highlight: Set<number> | null;
}

/** RGBA [w·h·4] of region ids [w·h] (row 0 at the top). */
export function paintIds(ids: Uint32Array, w: number, h: number, o: PaintOptions): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(w * h * 4);
  const cache = new Map<number, [number, number, number]>();
  for (let p = 0; p < w * h; p++) {
    const id = ids[p];
    let c = cache.get(id);
    if (!c) cache.set(id, (c = regionColour(id)));
    let [r, g, b] = c;
    let k = 1;
    if (o.highlight) k = o.highlight.has(id) ? 1 : 0.55;
    if (o.error.length === w * h && o.errorScale > 0) k *= 1 - 0.6 * Math.min(1, Math.sqrt(o.error[p] / o.errorScale));
    if (o.boundaries) {
      const col = p % w;
      if ((col + 1 < w && ids[p + 1] !== id) || (p + w < w * h && ids[p + w] !== id)) k *= 0.55;
    }
    if (o.highlight && !o.highlight.has(id)) {
      // Faded towards white, so the highlighted cells stand out in any colour.
      r = 255 - (255 - r) * 0.35;
      g = 255 - (255 - g) * 0.35;
      b = 255 - (255 - b) * 0.35;
      k = Math.max(k, 0.9);
    }
    rgba[4 * p] = r * k;
    rgba[4 * p + 1] = g * k;
    rgba[4 * p + 2] = b * k;
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}

/** A stable strong colour per unit (sites, arrows, the latent chips): evenly spaced hues. */
export function unitColour(unit: number, units: number): string {
  const hue = Math.round((360 * unit) / Math.max(1, units)) % 360;
  return `hsl(${hue} 70% 38%)`;
}
