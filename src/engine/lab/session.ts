// The geometry lab's session (issue #12 §2): the 2-D points and the three live models (k-means | local PCA |
// SAE) of one lab state, stepped, reset, dragged and hovered; render() draws a panel's partition as region ids
// (render.ts). One session per Workbench; calls run one at a time, in order. Imports src/core and engine
// modules only.

import { InputError } from '../../core/errors.ts';
import { viewOf } from '../../core/lab/datasets.ts';
import type { LabModel, PanelOverlay } from '../../core/lab/model.ts';
import { createKFlatsModel, createKMeansModel } from '../../core/lab/clusterModel.ts';
import { createSaeModel } from '../../core/lab/saeModel.ts';
import type { LabPanel, LabState } from '../../core/lab/state.ts';
import { LAB_MAX_STEPS, LAB_PANELS, labStateProblems } from '../../core/lab/state.ts';
import type { LabDragRequest, LabHoverInfo, LabHoverRequest, LabImage, LabInfo, LabPanelInfo, LabRenderRequest } from '../api/lab.ts';
import type { LoadedDataset } from '../data/datasets.ts';
import { pointsOf, type SessionPoints } from './points.ts';
import type { LabRenderer } from './render.ts';

/** Most steps one labStep call takes (the UI asks for `speed` per frame; a script may ask for more at once). */
export const LAB_MAX_STEP_CALL = 5000;

export interface LabSessionDeps {
  datasetFor(id: string): Promise<LoadedDataset>;
  renderer: LabRenderer;
}

export interface LabSession {
  open(state: LabState): Promise<LabInfo>;
  step(n: number): Promise<LabInfo>;
  reset(): Promise<LabInfo>;
  setPoints(xy: Float32Array): Promise<LabInfo>;
  drag(req: LabDragRequest): Promise<LabInfo>;
  hover(req: LabHoverRequest): Promise<LabHoverInfo>;
  render(req: LabRenderRequest): Promise<LabImage>;
}

/** A panel's models, or why this engine has none. */
type Slot = { model: LabModel; note: string } | { model: null; note: string };

const EMPTY_OVERLAY: PanelOverlay = { units: 0, sites: new Float32Array(0), radii: new Float32Array(0), arrows: new Float32Array(0), dead: new Uint8Array(0) };

/** The models of the three panels for these points; a panel whose family this engine lacks says so. */
function modelsOf(points: SessionPoints, s: LabState): Record<LabPanel, Slot> {
  const { n } = points.points;
  const sae: Slot = { model: createSaeModel(points.points, s), note: `${s.arch} SAE, ${s.dSae} latents${s.arch === 'topk' || s.arch === 'batchtopk' ? `, k = ${s.k}` : ''}, ${s.trainer}, full batch of ${n}` };
  // A panel whose model cannot be made on these points (k above the number of points) says why; the others run.
  const slot = (make: () => LabModel, note: string): Slot => {
    try {
      return { model: make(), note };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return { model: null, note: e.message };
    }
  };
  const flats = s.flats === 'kflats' ? `k-flats of rank ${s.rank}, exact alternation` : `k-means, then rank-${s.rank} PCA per cluster (the paper's toy)`;
  return {
    kmeans: slot(() => createKMeansModel(points.points, s), `k-means, k = ${s.clusters}: k-means++ then Lloyd`),
    kflats: slot(() => createKFlatsModel(points.points, s), `${flats}, k = ${s.clusters}`),
    sae,
  };
}

export function createLabSession(deps: LabSessionDeps): LabSession {
  let state: LabState | null = null;
  let points: SessionPoints | null = null;
  let slots: Record<LabPanel, Slot> | null = null;
  let steps = 0;

  /** Calls run in turn (a render never sees half a step). */
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => T | Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const opened = (what: string) => {
    if (!state || !points || !slots) throw new InputError(`${what}: the lab is not open: call labOpen(state) first`);
    return { state, points, slots };
  };

  const info = (): LabInfo => {
    const o = opened('lab');
    const panels: LabPanelInfo[] = LAB_PANELS.map((panel) => {
      const slot = o.slots[panel];
      if (!slot.model) return { panel, available: false, mse: NaN, steps: 0, overlay: EMPTY_OVERLAY, note: slot.note };
      return { panel, available: true, mse: slot.model.mse(), steps: slot.model.steps, overlay: slot.model.overlay(), note: slot.note };
    });
    const p = o.points.points;
    return { steps, points: p.xy.slice(), n: p.n, view: viewOf(p), panels, source: o.points.source, truth: o.points.truth.slice() };
  };

  const stepAll = (n: number) => {
    const o = opened('labStep');
    for (let i = 0; i < n; i++) {
      for (const panel of LAB_PANELS) o.slots[panel].model?.step();
      steps++;
    }
  };

  const rebuild = (s: LabState, p: SessionPoints) => {
    const models = modelsOf(p, s);
    state = s;
    points = p;
    slots = models;
    steps = 0;
  };

  const model = (what: string, panel: LabPanel): LabModel => {
    const o = opened(what);
    if (!(LAB_PANELS as readonly string[]).includes(panel)) throw new InputError(`${what}: panel "${String(panel)}" is unknown: use ${LAB_PANELS.join(', ')}`);
    const m = o.slots[panel].model;
    if (!m) throw new InputError(`${what}: ${o.slots[panel].note}`);
    return m;
  };

  const finite = (what: string, ...v: number[]) => {
    if (v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) throw new InputError(`${what}: coordinates must be finite numbers, got ${v.join(', ')}`);
  };

  return {
    open: (s) =>
      serial(async () => {
        const wrong = labStateProblems(s);
        if (wrong.length > 0) throw new InputError(`labOpen: ${wrong.join('; ')}`);
        const p = await pointsOf(s.data, deps.datasetFor);
        rebuild(s, p); // only now: a bad state leaves the open session as it was
        stepAll(s.steps);
        return info();
      }),
    step: (n) =>
      serial(() => {
        if (!Number.isSafeInteger(n) || n < 1 || n > LAB_MAX_STEP_CALL) throw new InputError(`labStep: n must be an integer in [1, ${LAB_MAX_STEP_CALL}], got ${n}`);
        if (steps + n > LAB_MAX_STEPS * 10) throw new InputError(`labStep: the lab stops at ${LAB_MAX_STEPS * 10} steps: reset it`);
        stepAll(n);
        return info();
      }),
    reset: () =>
      serial(() => {
        const o = opened('labReset');
        rebuild(o.state, o.points);
        return info();
      }),
    setPoints: (xy) =>
      serial(() => {
        const o = opened('labSetPoints');
        if (!(xy instanceof Float32Array)) throw new InputError('labSetPoints: expected a Float32Array of (x, y) pairs');
        const data = { source: 'painted' as const, xy: Array.from(xy) };
        const s = { ...o.state, data, steps: 0 };
        const wrong = labStateProblems(s);
        if (wrong.length > 0) throw new InputError(`labSetPoints: ${wrong.join('; ')}`);
        rebuild(s, { points: { n: xy.length / 2, xy: xy.slice() }, source: `${xy.length / 2} painted points`, truth: new Float32Array(0) });
        return info();
      }),
    drag: (req) =>
      serial(() => {
        const m = model('labDrag', req.panel);
        finite('labDrag', req.x, req.y);
        const units = m.overlay().units;
        if (!Number.isSafeInteger(req.unit) || req.unit < 0 || req.unit >= units) throw new InputError(`labDrag: unit must be an integer in [0, ${units - 1}], got ${req.unit}`);
        if (req.what !== 'site' && req.what !== 'arrow') throw new InputError(`labDrag: what must be site or arrow, got ${String(req.what)}`);
        m.drag(req.what, req.unit, req.x, req.y);
        return info();
      }),
    hover: (req) =>
      serial(() => {
        const m = model('labHover', req.panel);
        finite('labHover', req.x, req.y);
        return { panel: req.panel, ...m.hover(req.x, req.y), label: deps.renderer.label(m, req.x, req.y) };
      }),
    render: (req) =>
      serial(async () => {
        const m = model('labRender', req.panel);
        const { width, height } = req;
        if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1 || width > 4096 || height > 4096)
          throw new InputError(`labRender: width and height must be integers in [1, 4096], got ${width} × ${height}`);
        return deps.renderer.render(m, req, viewOf(opened('labRender').points.points));
      }),
  };
}
