// KaTeX, loaded on first use as a chunk of its own (like plotlyLoader.ts), so the first screen does not grow:
// the lessons' captions and the how-it-works strip render their formulas through renderTex, which shows the
// TeX source as plain text until KaTeX arrives. KaTeX writes MathML, which every current browser typesets
// itself: no stylesheet and no web fonts to fetch (the page stays one origin, offline-friendly). Imports katex
// (dynamically) only.

import type KatexModule from 'katex';

type Katex = typeof KatexModule;

let loading: Promise<Katex> | null = null;

/** katex, imported once. */
export function loadKatex(): Promise<Katex> {
  loading ??= import('katex').then((m) => m.default);
  return loading;
}

/** Renders `tex` into `el` (inline math); never throws: a formula KaTeX cannot parse stays as its source. */
export async function renderTex(el: HTMLElement, tex: string): Promise<void> {
  try {
    const katex = await loadKatex();
    katex.render(tex, el, { throwOnError: false, output: 'mathml' });
  } catch {
    el.textContent = tex;
  }
}
