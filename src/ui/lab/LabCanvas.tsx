// One lab panel's canvas (issue #12 §2): the partition (region ids from the engine, coloured per id by
// paint.ts, boundaries darker, optionally shaded by the error, a highlighted unit's cells bright) and over it
// the data points, the sites, the circles √(α_i − min α), the decoder arrows (and a superposition preset's true
// directions, dashed). Pointer events (mouse, pen and touch alike): drag a site or an arrow head, paint points,
// hover for the readout. Redraws outside React's render: it subscribes to the store and keeps one render
// request in flight per canvas. Reads the store; imports React, zustand and paint.ts.

import { useEffect, useRef } from 'react';
import type { LabImage, LabInfo, LabPanel } from '../../engine/api.ts';
import type { AppState, AppStore } from '../store.ts';
import { paintIds, toData, toPixel, unitColour, type View } from './paint.ts';

/** The most backing pixels a side asks the engine for (the 512 × 512 target). */
export const LAB_MAX_SIDE = 512;
/** Grab radius around a site or an arrow head, CSS px (a finger needs more than a mouse). */
const GRAB_MOUSE = 10;
const GRAB_TOUCH = 22;
/** Painted points at least this far apart along a stroke, CSS px. */
const PAINT_SPACING = 10;

type Grab = { what: 'site' | 'arrow'; unit: number } | null;

export function LabCanvas({ store, panel, testId }: { store: AppStore; panel: LabPanel; testId: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const off = document.createElement('canvas');
    let image: LabImage | null = null;
    let inFlight = false;
    let again = false;
    let disposed = false;

    const sizeOf = () => {
      const css = canvas.clientWidth || 300;
      const side = Math.min(LAB_MAX_SIDE, Math.round(css * (window.devicePixelRatio || 1)));
      if (canvas.width !== side) {
        canvas.width = side;
        canvas.height = side;
      }
      return side;
    };

    /** Draws the last image and the overlays now (cheap: no engine call). */
    const draw = () => {
      const s = store.getState();
      const info = s.labInfo;
      const side = sizeOf();
      ctx.clearRect(0, 0, side, side);
      if (!info) return;
      const p = info.panels.find((x) => x.panel === panel);
      if (image && p?.available) {
        const hl = s.labHighlight?.panel === panel ? new Set(image.regions.filter((r) => r.label.includes(s.labHighlight?.unit ?? -1)).map((r) => r.id)) : null;
        let scale = 0;
        for (const e of image.error) scale = Math.max(scale, e);
        const rgba = paintIds(image.ids, image.width, image.height, { boundaries: s.lab.overlays.includes('boundaries'), error: image.error, errorScale: scale, highlight: hl });
        off.width = image.width;
        off.height = image.height;
        off.getContext('2d')?.putImageData(new ImageData(rgba, image.width, image.height), 0, 0);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(off, 0, 0, side, side);
      } else {
        ctx.fillStyle = '#f2f4f7';
        ctx.fillRect(0, 0, side, side);
      }
      overlays(ctx, s, info, panel, side);
      canvas.dataset.handles = JSON.stringify(handles(s, info, panel, canvas.clientWidth));
    };

    /** Asks the engine for this panel's partition (one request in flight; a change meanwhile asks again after). */
    const refresh = async () => {
      if (inFlight) {
        again = true;
        return;
      }
      const s = store.getState();
      const p = s.labInfo?.panels.find((x) => x.panel === panel);
      if (!p?.available) {
        image = null;
        draw();
        return;
      }
      inFlight = true;
      try {
        const side = sizeOf();
        image = await s.labRender({ panel, width: side, height: side, error: s.lab.overlays.includes('error') });
        if (disposed) return;
        s.setLabNote(panel, image.note);
        draw();
      } catch {
        // The session changed under the request (a new lab state): the next change redraws.
      } finally {
        inFlight = false;
        if (again && !disposed) {
          again = false;
          void refresh();
        }
      }
    };

    const unsubscribe = store.subscribe((s, prev) => {
      if (s.labInfo !== prev.labInfo || s.lab.overlays !== prev.lab.overlays) void refresh();
      else if (s.labHighlight !== prev.labHighlight || s.labPaint !== prev.labPaint) draw();
    });
    const resize = new ResizeObserver(() => void refresh());
    resize.observe(canvas);
    void refresh();

    // ---- pointer: drag a site or arrow, paint, hover ----
    let grab: Grab = null;
    let last: [number, number] | null = null;
    const local = (e: PointerEvent): { px: number; py: number; x: number; y: number } | null => {
      const info = store.getState().labInfo;
      if (!info) return null;
      const r = canvas.getBoundingClientRect();
      const px = e.clientX - r.left;
      const py = e.clientY - r.top;
      const [x, y] = toData(info.view, r.width, r.height, px, py);
      return { px, py, x, y };
    };
    const grabAt = (px: number, py: number, radius: number): Grab => {
      const s = store.getState();
      const p = s.labInfo?.panels.find((q) => q.panel === panel);
      if (!s.labInfo || !p?.available || panel === 'kflats') return null;
      const r = canvas.getBoundingClientRect();
      const at = (x: number, y: number) => toPixel((s.labInfo as LabInfo).view, r.width, r.height, x, y);
      let best: Grab = null;
      let bestD = radius;
      const o = p.overlay;
      for (let i = 0; i < o.units; i++) {
        if (s.lab.overlays.includes('sites')) {
          const [sx, sy] = at(o.sites[2 * i], o.sites[2 * i + 1]);
          const d = Math.hypot(sx - px, sy - py);
          if (d < bestD) [best, bestD] = [{ what: 'site', unit: i }, d];
        }
        if (s.lab.overlays.includes('arrows') && o.arrows.length === 4 * o.units) {
          const [ax, ay] = at(o.arrows[4 * i + 2], o.arrows[4 * i + 3]);
          const d = Math.hypot(ax - px, ay - py);
          if (d < bestD) [best, bestD] = [{ what: 'arrow', unit: i }, d];
        }
      }
      return best;
    };
    /** Keeps the pointer's moves on this canvas while dragging or painting (a pointer the browser does not track, e.g. a synthetic one, just goes without). */
    const capture = (id: number) => {
      try {
        canvas.setPointerCapture(id);
      } catch {
        // no active pointer with that id: moves still arrive while over the canvas
      }
    };
    const down = (e: PointerEvent) => {
      const q = local(e);
      if (!q) return;
      const s = store.getState();
      if (s.labPaint) {
        capture(e.pointerId);
        last = [q.px, q.py];
        void s.labAddPoints([q.x, q.y]);
        return;
      }
      grab = grabAt(q.px, q.py, e.pointerType === 'touch' ? GRAB_TOUCH : GRAB_MOUSE);
      if (grab) {
        capture(e.pointerId);
        s.labPause();
        e.preventDefault();
      } else void s.labHoverAt(panel, q.x, q.y);
    };
    const move = (e: PointerEvent) => {
      const q = local(e);
      if (!q) return;
      const s = store.getState();
      if (s.labPaint && last) {
        if (Math.hypot(q.px - last[0], q.py - last[1]) >= PAINT_SPACING) {
          last = [q.px, q.py];
          void s.labAddPoints([q.x, q.y]);
        }
      } else if (grab) void s.labDrag({ panel, what: grab.what, unit: grab.unit, x: q.x, y: q.y });
      else if (e.pointerType !== 'touch') {
        canvas.style.cursor = s.labPaint ? 'crosshair' : grabAt(q.px, q.py, GRAB_MOUSE) ? 'grab' : 'default';
        void s.labHoverAt(panel, q.x, q.y);
      }
    };
    const up = () => {
      grab = null;
      last = null;
    };
    canvas.addEventListener('pointerdown', down);
    canvas.addEventListener('pointermove', move);
    canvas.addEventListener('pointerup', up);
    canvas.addEventListener('pointercancel', up);
    return () => {
      disposed = true;
      unsubscribe();
      resize.disconnect();
      canvas.removeEventListener('pointerdown', down);
      canvas.removeEventListener('pointermove', move);
      canvas.removeEventListener('pointerup', up);
      canvas.removeEventListener('pointercancel', up);
    };
  }, [store, panel]);
  return <canvas ref={ref} className="lab-canvas" data-testid={testId} aria-label={`${panel} partition`} />;
}

/**
 * Where the draggable handles are, in CSS px from the canvas's top-left: [{ what, unit, x, y }] (the canvas's
 * data-handles attribute, for scripts and tests that drive the lab: issue #12 §7).
 */
function handles(s: AppState, info: LabInfo, panel: LabPanel, css: number): { what: 'site' | 'arrow'; unit: number; x: number; y: number }[] {
  const p = info.panels.find((q) => q.panel === panel);
  if (!p?.available || panel === 'kflats') return [];
  const o = p.overlay;
  const out: { what: 'site' | 'arrow'; unit: number; x: number; y: number }[] = [];
  const round = (v: number) => Math.round(v * 10) / 10;
  for (let i = 0; i < o.units; i++) {
    if (s.lab.overlays.includes('sites')) {
      const [x, y] = toPixel(info.view, css, css, o.sites[2 * i], o.sites[2 * i + 1]);
      out.push({ what: 'site', unit: i, x: round(x), y: round(y) });
    }
    if (s.lab.overlays.includes('arrows') && o.arrows.length === 4 * o.units) {
      const [x, y] = toPixel(info.view, css, css, o.arrows[4 * i + 2], o.arrows[4 * i + 3]);
      out.push({ what: 'arrow', unit: i, x: round(x), y: round(y) });
    }
  }
  return out;
}

/** Points, truth spokes, circles, arrows and sites over the partition, in canvas pixels (side × side). */
function overlays(ctx: CanvasRenderingContext2D, s: AppState, info: LabInfo, panel: LabPanel, side: number): void {
  const v: View = info.view;
  const at = (x: number, y: number) => toPixel(v, side, side, x, y);
  const on = (o: string) => s.lab.overlays.includes(o as never);
  const px = side / 300; // line widths scale with the canvas
  const p = info.panels.find((q) => q.panel === panel);
  if (info.truth.length > 0) {
    ctx.save();
    ctx.setLineDash([4 * px, 4 * px]);
    ctx.strokeStyle = 'rgba(30,40,60,0.45)';
    ctx.lineWidth = px;
    const [ox, oy] = at(0, 0);
    for (let j = 0; j < info.truth.length / 2; j++) {
      const [tx, ty] = at(2 * info.truth[2 * j], 2 * info.truth[2 * j + 1]);
      ctx.beginPath();
      ctx.moveTo(ox, oy);
      ctx.lineTo(tx, ty);
      ctx.stroke();
    }
    ctx.restore();
  }
  const paint = s.labPaint;
  const pts = paint && paint.length < 6 ? Float32Array.from(paint) : info.points;
  if (on('points') || paint) {
    ctx.fillStyle = 'rgba(20,24,32,0.8)';
    for (let i = 0; i + 1 < pts.length; i += 2) {
      const [x, y] = at(pts[i], pts[i + 1]);
      ctx.beginPath();
      ctx.arc(x, y, 2.2 * px, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  if (!p?.available) return;
  const o = p.overlay;
  const hl = s.labHighlight?.panel === panel ? s.labHighlight.unit : -1;
  if (on('circles') && o.radii.length === o.units) {
    ctx.lineWidth = px;
    for (let i = 0; i < o.units; i++) {
      if (o.radii[i] <= 0) continue;
      const [cx, cy] = at(o.sites[2 * i], o.sites[2 * i + 1]);
      ctx.strokeStyle = i === hl ? '#111' : 'rgba(40,50,70,0.35)';
      ctx.beginPath();
      ctx.arc(cx, cy, (o.radii[i] / (v.u1 - v.u0)) * side, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  if (on('arrows') && o.arrows.length === 4 * o.units) {
    for (let i = 0; i < o.units; i++) {
      const [x0, y0] = at(o.arrows[4 * i], o.arrows[4 * i + 1]);
      const [x1, y1] = at(o.arrows[4 * i + 2], o.arrows[4 * i + 3]);
      arrow(ctx, x0, y0, x1, y1, o.dead[i] ? 'rgba(120,120,120,0.6)' : unitColour(i, o.units), (i === hl ? 3 : 1.8) * px);
    }
  }
  if (on('sites')) {
    for (let i = 0; i < o.units; i++) {
      const [x, y] = at(o.sites[2 * i], o.sites[2 * i + 1]);
      ctx.beginPath();
      ctx.arc(x, y, (i === hl ? 7 : 5) * px, 0, 2 * Math.PI);
      ctx.fillStyle = o.dead[i] ? '#9aa3b0' : unitColour(i, o.units);
      ctx.fill();
      ctx.lineWidth = 1.5 * px;
      ctx.strokeStyle = '#fff';
      ctx.stroke();
    }
  }
}

function arrow(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number, colour: string, width: number): void {
  const a = Math.atan2(y1 - y0, x1 - x0);
  const head = 4 * width;
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineWidth = width;
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1 - head * 0.8 * Math.cos(a), y1 - head * 0.8 * Math.sin(a));
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - head * Math.cos(a - 0.4), y1 - head * Math.sin(a - 0.4));
  ctx.lineTo(x1 - head * Math.cos(a + 0.4), y1 - head * Math.sin(a + 0.4));
  ctx.closePath();
  ctx.fill();
}
