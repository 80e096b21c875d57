// How the feature page draws one row of a dataset (engine InputView): a token context with each token
// shaded by the latent's activation (value on hover, and on tap or click in a readout line: touch has no
// hover), a thumbnail at least 112 px wide (issue #14: large enough to project) with its row number and
// label, a word, or a row. Also the canvas of pixels shared with the decoder image. Must not import engine,
// gpu or core values (types only).

import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { InputView, TokenView } from '../../engine/api.ts';
import { fmt, showToken } from './format.ts';

/** Thumbnails and decoder images are drawn at least this wide (CSS px). */
export const MIN_IMAGE_PX = 112;
export const scaleFor = (width: number, minPx = MIN_IMAGE_PX): number => Math.max(2, Math.ceil(minPx / width));

/** One input; `max` is the activation that gets full shading (the latent's top value). */
export function InputRow({ view, max }: { view: InputView; max: number }) {
  const value = (
    <span className="act" title={`f = ${view.value} on row ${view.row}`}>
      {fmt(view.value, 3)}
    </span>
  );
  switch (view.kind) {
    case 'token':
      return <TokenContextView value={value} tokens={view.tokens} max={max} />;
    case 'image':
      return (
        <span className="thumb" title={`row ${view.row}${view.label ? `, ${view.label}` : ''}: f = ${view.value}`}>
          <Pixels values={view.pixels} width={view.width} height={view.height} scale={scaleFor(view.width)} mode="grey" />
          <span className="thumb-caption" data-testid="thumb-caption">
            #{view.row}
            {view.label ? ` · ${view.label}` : ''}
          </span>
          {value}
        </span>
      );
    case 'word':
      return (
        <span>
          {value} <span className="word">{view.word}</span> <span className="muted">#{view.row}</span>
        </span>
      );
    default:
      return (
        <span>
          {value} row {view.row}
          {view.label ? ` (${view.label})` : ''}
        </span>
      );
  }
}

/** A context's tokens, shaded by f / max; a tapped token's value shows in the readout after it. */
function TokenContextView({ value, tokens, max }: { value: ReactNode; tokens: TokenView[]; max: number }) {
  const [picked, setPicked] = useState<TokenView | null>(null);
  return (
    <span className="token-context">
      {value}{' '}
      {tokens.map((tok) => (
        <span
          key={tok.row}
          className={tok.focus ? 'tok focus' : 'tok'}
          style={{ background: `rgba(255, 140, 0, ${Math.max(0, Math.min(1, tok.value / (max || 1))).toFixed(3)})` }}
          title={`“${showToken(tok.text)}” row ${tok.row}, position ${tok.position}: f = ${fmt(tok.value, 4)}`}
          onClick={() => setPicked((p) => (p?.row === tok.row ? null : tok))}
        >
          {showToken(tok.text, false)}
        </span>
      ))}
      {picked && (
        <span className="tok-readout" data-testid="token-readout">
          {' '}
          “{showToken(picked.text)}”: f = {fmt(picked.value, 4)}
        </span>
      )}
    </span>
  );
}

/** A canvas of [height·width] values: 'grey' maps [min, max] to black..white; 'diverging' maps ±max|v| to blue..white..red. */
export function Pixels({ values, width, height, scale, mode }: { values: Float32Array; width: number; height: number; scale: number; mode: 'grey' | 'diverging' }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(width, height);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    for (let i = 0; i < width * height; i++) {
      const v = values[i];
      let r: number, g: number, b: number;
      if (mode === 'grey') {
        r = g = b = hi > lo ? Math.round((255 * (v - lo)) / (hi - lo)) : 0;
      } else {
        const a = Math.min(1, Math.abs(v) / m);
        r = v >= 0 ? 255 : Math.round(255 * (1 - a));
        b = v <= 0 ? 255 : Math.round(255 * (1 - a));
        g = Math.round(255 * (1 - a));
      }
      img.data.set([r, g, b, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
  }, [values, width, height, mode]);
  return <canvas ref={ref} width={width} height={height} style={{ width: width * scale, height: height * scale, imageRendering: 'pixelated' }} />;
}
