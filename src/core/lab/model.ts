// The shape every lab panel's model has (k-means | local PCA | SAE), and what the panels draw over the
// partition: sites, circles, arrows. One interface, so the engine's lab session never branches on the
// panel. Types only plus one tiny helper; imports only src/core.

import type { PlaneScores } from '../geometry/scores.ts';
import type { LabPanel } from './state.ts';

/** What a panel draws over its partition, in data units (2-D). */
export interface PanelOverlay {
  /** Number of units: centroids, flats or latents. */
  units: number;
  /** [units, 2]: k-means centroids, k-flats means, the SAE's power-diagram sites c_i = ½ w_i (seed-papers §3.5). */
  sites: Float32Array;
  /** [units]: circle radii √(α_i − min α) (the SAE's power weights, §3.5); empty for the others. */
  radii: Float32Array;
  /** [units, 4]: arrow from (x0, y0) to (x1, y1): the SAE's decoder rows from b_dec, a flat's direction from its mean; empty for k-means. */
  arrows: Float32Array;
  /** [units]: 1 where the unit wins no data point (a dead latent, an empty cluster). */
  dead: Uint8Array;
}

/** What fires at one point: the hover readout (issue #12 §2: "which latents fire, with what values, its reconstruction and error"). */
export interface LabHover {
  /** Active units and their values (the SAE's codes; 1 for the k-means cell; the coordinate along a flat). */
  active: { unit: number; value: number }[];
  /** x̂: [2]. */
  xHat: [number, number];
  /** ‖x − x̂‖². */
  error: number;
}

export interface LabModel {
  readonly panel: LabPanel;
  /** Iterations done (SGD steps; Lloyd or k-flats alternations). */
  readonly steps: number;
  /** One iteration on every point. */
  step(): void;
  /** Mean over the points of ‖x − x̂‖² (summed over the 2 dims, as the SAE's MSE). */
  mse(): number;
  overlay(): PanelOverlay;
  /** x̂ of each of n points xy [n, 2] → [n, 2]. */
  reconstruct(xy: Float32Array, n: number): Float32Array;
  hover(x: number, y: number): LabHover;
  /** The model on the lab's plane (geometry/scores.ts, identity plane: (u, v) = (x, y)): what the partition is drawn from. */
  scores(): PlaneScores;
  /** Direct manipulation: moves unit `unit`'s site (or its arrow's head) to (x, y) at once. */
  drag(what: 'site' | 'arrow', unit: number, x: number, y: number): void;
}

/** Mean over n points of ‖x − x̂‖²: xy, xHat [n, 2]. */
export function meanSquaredError(xy: Float32Array, xHat: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < 2 * n; i++) s += (xy[i] - xHat[i]) ** 2;
  return n > 0 ? s / n : 0;
}
