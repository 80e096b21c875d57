// The Workbench contract — the geometry lab (issue #12): a session in the engine holding 2-D points and three
// live models (k-means | local PCA | SAE), stepped, reset, dragged, hovered and drawn as region ids.
// Re-exported by src/engine/api.ts. Types and plain-data DTOs only (they survive structuredClone through
// Comlink); imports only types, from src/core.

import type { LabHover, PanelOverlay } from '../../core/lab/model.ts';
import type { LabPanel } from '../../core/lab/state.ts';

export type { LabData, LabOverlay, LabPanel, LabState, ProjectionHow } from '../../core/lab/state.ts';
export type { LabHover, PanelOverlay } from '../../core/lab/model.ts';

/** One panel now. */
export interface LabPanelInfo {
  panel: LabPanel;
  /** false while this engine has no model for the panel (then `note` says why); nothing else is meaningful. */
  available: boolean;
  /** Mean over the points of ‖x − x̂‖² (summed over the 2 dims). */
  mse: number;
  /** Iterations done (SGD steps, Lloyd / k-flats alternations). */
  steps: number;
  overlay: PanelOverlay;
  note: string;
}

/** The session after a call: the points, the window every panel draws, the panels. */
export interface LabInfo {
  /** Steps the session has taken (each panel's model took one iteration per step). */
  steps: number;
  /** [n, 2] in data units. */
  points: Float32Array;
  n: number;
  /** The window drawn, in data units: [u0, u1] × [v0, v1] (square). */
  view: { u0: number; u1: number; v0: number; v1: number };
  panels: LabPanelInfo[];
  /** Where the points came from, one line (e.g. "builtin:digits: 500 rows on PC1, PC2 (41% of the variance)"). */
  source: string;
  /** superposition data: the true directions [features, 2], else empty. */
  truth: Float32Array;
}

export interface LabDragRequest {
  panel: LabPanel;
  what: 'site' | 'arrow';
  unit: number;
  /** Where it was dropped, data units. */
  x: number;
  y: number;
}

export interface LabHoverRequest {
  panel: LabPanel;
  x: number;
  y: number;
}

export interface LabHoverInfo extends LabHover {
  panel: LabPanel;
  /** The exact region label at the point (sorted active units; [cell] for k-means / k-flats). */
  label: number[];
}

export interface LabRenderRequest {
  panel: LabPanel;
  /** The canvas size in pixels; the engine may draw fewer (`LabImage.width`) to stay within its time budget. */
  width: number;
  height: number;
  /** Also return the per-pixel reconstruction error (the 'error' overlay). */
  error?: boolean;
}

/** A panel's partition as region ids, row 0 at the top (v = view.v1). */
export interface LabImage {
  panel: LabPanel;
  width: number;
  height: number;
  /** [height·width] u32 hash of each pixel's exact region label (same ids on the GPU and the CPU). */
  ids: Uint32Array;
  /** The distinct ids and their labels (for highlighting a unit's cells), at most LAB_MAX_LABELS of them. */
  regions: { id: number; label: number[] }[];
  /** [height·width] ‖x − x̂‖² at each pixel centre, when asked for; else empty. */
  error: Float32Array;
  /** Which engine drew it, and why at this resolution: e.g. "CPU (no hardware GPU): 96 × 96 to stay under 30 ms". */
  computedBy: 'webgpu' | 'cpu';
  note: string;
  ms: number;
}

/** The current run's SAE on the plane through three rows of its dataset (SplineCam-style slice). */
export interface LabSliceRequest {
  /** Row indices of the run's dataset (its preprocessed rows, as datasetRows numbers them). */
  rows: [number, number, number];
  width: number;
  height: number;
  /** Ensemble member (default 0). */
  member?: number;
}

export interface LabSliceImage extends LabImage {
  run: number;
  dataset: string;
  /** [3, 2]: the rows' (u, v) on the plane: row a at (0, 0), row b on the u axis. */
  anchors: Float32Array;
  /** The window drawn (plane units = input-space distances). */
  view: { u0: number; u1: number; v0: number; v1: number };
}
