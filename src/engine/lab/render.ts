// Draws a lab panel's partition as region ids (issue #12 §2): geometry's WGSL partition kernel
// (engine/geometry/partitionGpu.ts) at the canvas's resolution when a hardware adapter exists, else geometry's
// CPU twin (core/geometry/regions.ts) at a resolution chosen from a time budget, and says which in the image's
// note. Also the distinct regions' exact labels (to highlight a unit's cells) and, when asked, the per-pixel
// reconstruction error. Never computes a partition itself. Imports src/core only (the GPU path comes in as an object).

import type { LabModel } from '../../core/lab/model.ts';
import type { Grid } from '../../core/geometry/regions.ts';
import { gridPoint, regionIds, regionLabel } from '../../core/geometry/regions.ts';
import { chooseResolution } from '../../core/geometry/resolution.ts';
import type { PlaneScores } from '../../core/geometry/scores.ts';
import type { LabImage, LabRenderRequest } from '../api/lab.ts';

/** The CPU path's budget per panel redraw: three panels stay near 10 redraws per second. */
export const LAB_CPU_BUDGET_MS = 30;
/** Never coarser than this on the CPU (geometry's MIN_SIDE is 64; the lab's small phone panels go a little lower), never finer than the canvas. */
export const LAB_CPU_MIN_SIDE = 48;
/** Most distinct regions whose labels an image carries (a TopK SAE with 256 latents and k = 4 can have thousands). */
export const LAB_MAX_LABELS = 4096;

/** The GPU partition (engine/geometry/partitionGpu.ts's shape): why it cannot draw a job (null: it can), and the ids. */
export interface GpuPartition {
  refusal(scores: PlaneScores, grid: Grid): string | null;
  regionIds(scores: PlaneScores, grid: Grid): Promise<Uint32Array>;
}

/** What can be drawn: scores on the plane, and x̂ of plane points for the error shading (a lab panel's model; a slice has no error). */
export type Drawable = Pick<LabModel, 'scores'> & Partial<Pick<LabModel, 'reconstruct'>>;

export interface LabRenderer {
  /** budgetMs: the CPU path's time budget (LAB_CPU_BUDGET_MS for a live panel; a one-off drawing may take more). */
  render(model: Drawable, req: LabRenderRequest, view: { u0: number; u1: number; v0: number; v1: number }, budgetMs?: number): Promise<LabImage>;
  /** The exact region label at (x, y). */
  label(model: Drawable, x: number, y: number): number[];
}

/**
 * gpu: the WGSL partition when a hardware adapter exists (null: always the CPU). `why` says in words why the
 * CPU draws when it does (no WebGPU, a software adapter).
 */
export function createLabRenderer(gpu: () => Promise<GpuPartition | null>, why: () => string, now: () => number = () => performance.now()): LabRenderer {
  /** Milliseconds per pixel per unit on the CPU, measured (EMA), per panel kind of work; a guess before the first draw. */
  let cpuMsPerPixelUnit = 2e-5;

  const labelsOf = (scores: PlaneScores, grid: Grid, ids: Uint32Array) => {
    const regions: LabImage['regions'] = [];
    const seen = new Set<number>();
    for (let p = 0; p < ids.length && regions.length < LAB_MAX_LABELS; p++) {
      if (seen.has(ids[p])) continue;
      seen.add(ids[p]);
      const [u, v] = gridPoint(grid, p % grid.width, Math.floor(p / grid.width));
      regions.push({ id: ids[p], label: regionLabel(scores, u, v) });
    }
    return regions;
  };

  const errorOf = (model: Drawable, grid: Grid): Float32Array => {
    if (!model.reconstruct) return new Float32Array(0);
    const n = grid.width * grid.height;
    const xy = new Float32Array(2 * n);
    for (let p = 0; p < n; p++) xy.set(gridPoint(grid, p % grid.width, Math.floor(p / grid.width)), 2 * p);
    const xHat = model.reconstruct(xy, n);
    const err = new Float32Array(n);
    for (let p = 0; p < n; p++) err[p] = (xy[2 * p] - xHat[2 * p]) ** 2 + (xy[2 * p + 1] - xHat[2 * p + 1]) ** 2;
    return err;
  };

  return {
    label: (model, x, y) => regionLabel(model.scores(), x, y),
    async render(model, req, view, budgetMs = LAB_CPU_BUDGET_MS) {
      const t0 = now();
      const scores = model.scores();
      const device = await gpu();
      let width = req.width;
      let height = req.height;
      let note: string;
      // The kernel draws at the canvas's full resolution unless it refuses the job (too many units for its TopK).
      const refused = device ? device.refusal(scores, { width, height, ...view }) : null;
      const partition = refused ? null : device;
      let chosen = '';
      if (!partition && Math.max(req.width, req.height) > LAB_CPU_MIN_SIDE) {
        // geometry's chooseResolution: the largest side the budget allows at the measured speed, never above the canvas.
        const big = Math.max(req.width, req.height);
        const r = chooseResolution(cpuMsPerPixelUnit * Math.max(1, scores.units) * 1e6, budgetMs, Math.min(LAB_CPU_MIN_SIDE, big), big);
        width = Math.max(1, Math.round((req.width * r.side) / big));
        height = Math.max(1, Math.round((req.height * r.side) / big));
        chosen = r.side < big ? `: ${r.note}` : '';
      }
      const grid: Grid = { width, height, ...view };
      let ids: Uint32Array;
      let computedBy: LabImage['computedBy'];
      if (partition) {
        ids = await partition.regionIds(scores, grid);
        computedBy = 'webgpu';
        note = `GPU (WGSL partition kernel) at ${width} × ${height}`;
      } else {
        const t1 = now();
        ids = regionIds(scores, grid);
        const ms = now() - t1;
        if (ms > 0.5) cpuMsPerPixelUnit = 0.7 * cpuMsPerPixelUnit + (0.3 * ms) / (width * height * Math.max(1, scores.units));
        computedBy = 'cpu';
        note = `CPU (${refused ?? why()}) at ${width} × ${height}${chosen}`;
      }
      const regions = labelsOf(scores, grid, ids);
      const error = req.error ? errorOf(model, grid) : new Float32Array(0);
      return { panel: req.panel, width, height, ids, regions, error, computedBy, note, ms: now() - t0 };
    },
  };
}
