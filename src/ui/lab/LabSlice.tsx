// The current run's SAE, whatever its width, on the plane through three rows of its dataset (issue #12 §2,
// SplineCam-style): pick the rows, draw, and see the cells its encoder cuts that plane into, with the three rows
// marked a, b, c. Reads the store; imports React, zustand and paint.ts.

import { useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import type { LabSliceImage } from '../../engine/api.ts';
import type { AppStore } from '../store.ts';
import { paintIds, toPixel } from './paint.ts';

const SIDE = 360;

export function LabSlice({ store }: { store: AppStore }) {
  const run = useStore(store, (s) => (s.snapshot && s.snapshot.run > 0 && s.snapshot.step > 0 ? s.snapshot.run : null));
  const labSlice = useStore(store, (s) => s.labSlice);
  const [rows, setRows] = useState<[number, number, number]>([0, 1, 2]);
  const [image, setImage] = useState<LabSliceImage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx || !image) return;
    const off = document.createElement('canvas');
    off.width = image.width;
    off.height = image.height;
    off.getContext('2d')?.putImageData(new ImageData(paintIds(image.ids, image.width, image.height, { boundaries: true, error: new Float32Array(0), errorScale: 0, highlight: null }), image.width, image.height), 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, c.width, c.height);
    ctx.font = `bold ${Math.round(c.width / 22)}px system-ui, sans-serif`;
    ['a', 'b', 'c'].forEach((name, i) => {
      const [x, y] = toPixel(image.view, c.width, c.height, image.anchors[2 * i], image.anchors[2 * i + 1]);
      ctx.fillStyle = '#111';
      ctx.beginPath();
      ctx.arc(x, y, c.width / 80, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillText(name, x + c.width / 60, y - c.width / 60);
    });
  }, [image]);

  const draw = async () => {
    setBusy(true);
    setError(null);
    try {
      setImage(await labSlice({ rows, width: SIDE, height: SIDE }));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="lab-slice" data-testid="lab-slice">
      <h3>Your trained SAE on a plane through three data rows</h3>
      <p className="muted">
        The same cells for a real, high-dimensional SAE: the plane through rows a, b and c of its dataset (distances on it are distances in input space), coloured by which
        latents fire at each point.
      </p>
      {run === null ? (
        <p className="muted" data-testid="lab-slice-empty">
          Train an SAE first (the “Train an SAE” tab), then draw it here.
        </p>
      ) : (
        <div className="lab-slice-form">
          {(['a', 'b', 'c'] as const).map((name, i) => (
            <label key={name}>
              row {name}
              <input
                type="number"
                min={0}
                data-testid={`lab-slice-row-${name}`}
                value={rows[i]}
                onChange={(e) => {
                  const next: [number, number, number] = [...rows];
                  next[i] = Number(e.currentTarget.value);
                  setRows(next);
                }}
              />
            </label>
          ))}
          <button type="button" data-testid="lab-slice-draw" disabled={busy} onClick={() => void draw()}>
            Draw run {run}’s SAE
          </button>
        </div>
      )}
      {error && (
        <p role="alert" className="error" data-testid="lab-slice-error">
          {error}
        </p>
      )}
      {image && (
        <figure className="lab-panel lab-slice-figure">
          <canvas ref={ref} width={SIDE} height={SIDE} className="lab-canvas" data-testid="lab-canvas-slice" aria-label="the run's SAE on the plane" />
          <figcaption className="lab-note muted" data-testid="lab-slice-note">
            run {image.run} on {image.dataset}: {image.regions.length} regions in view. {image.note}.
          </figcaption>
        </figure>
      )}
    </section>
  );
}
