// The lab's k-means and local-PCA panels (issue #12 §2; seed-papers §3.3–3.4) on the cluster families of
// src/core/cluster/: k-means++ then one Lloyd step per lab step; k-flats of rank r, either the exact
// alternation (one step per lab step) or the paper's toy (one Lloyd step of the underlying k-means, then the
// local PCA of each k-means cell). Drawn as sites (the means), arrows along each flat's direction, and the
// Voronoi / smallest-residual cells (geometry/scores.ts). Imports only src/core.

import { assign, reconstruct, type ClusterModel } from '../cluster/model.ts';
import { initKFlats, pcaPerCluster } from '../cluster/kflats.ts';
import { initKMeans, lloydStep } from '../cluster/kmeans.ts';
import { alternationStep } from '../cluster/lloyd.ts';
import { identityPlane } from '../geometry/plane.ts';
import { planeScoresOfKFlats, planeScoresOfKMeans } from '../geometry/scores.ts';
import { InputError } from '../errors.ts';
import type { LabPoints } from './datasets.ts';
import type { LabHover, LabModel, PanelOverlay } from './model.ts';
import { meanSquaredError } from './model.ts';
import type { LabState } from './state.ts';

const PLANE = identityPlane();

/** The k-means panel: k-means++ from the lab's seed, then Lloyd (one step per lab step). */
export function createKMeansModel(points: LabPoints, s: LabState): LabModel {
  checkClusters(points, s.clusters);
  const m = initKMeans(points.xy, points.n, 2, s.clusters, s.seed);
  let steps = 0;
  const step = () => {
    lloydStep(m, points.xy, points.n);
    steps++;
  };
  return clusterPanel('kmeans', points, () => m, step, () => steps);
}

/**
 * The local-PCA panel. 'kflats': initKFlats then the exact alternation (assign to the flat with the smallest
 * residual, refit local PCA). 'kmeans-pca' (the SplInterp toy): k-means runs underneath and the drawn model is
 * the local PCA of its cells; it encodes, like every k-flats model, by the smallest residual (so its MSE can
 * only be lower than the toy's own number, which uses the k-means assignment).
 */
export function createKFlatsModel(points: LabPoints, s: LabState): LabModel {
  checkClusters(points, s.clusters);
  let steps = 0;
  if (s.flats === 'kflats') {
    const m = initKFlats(points.xy, points.n, 2, s.clusters, s.rank, s.seed);
    const step = () => {
      alternationStep(m, points.xy, points.n);
      steps++;
    };
    return clusterPanel('kflats', points, () => m, step, () => steps);
  }
  const km = initKMeans(points.xy, points.n, 2, s.clusters, s.seed);
  const toy = () => pcaPerCluster(km, points.xy, points.n, s.rank).model;
  let m = toy();
  return clusterPanel(
    'kflats',
    points,
    () => m,
    () => {
      lloydStep(km, points.xy, points.n);
      m = toy();
      steps++;
    },
    () => steps,
    (j, x, y) => {
      // The toy's pieces are the local PCA of k-means cells: a dragged mean moves the centroid underneath.
      km.means[2 * j] = x;
      km.means[2 * j + 1] = y;
      m = toy();
    },
  );
}

function checkClusters(points: LabPoints, clusters: number): void {
  if (clusters > points.n) throw new InputError(`k = ${clusters} regions but only ${points.n} points: lower k or add points`);
}

function clusterPanel(
  panel: 'kmeans' | 'kflats',
  points: LabPoints,
  model: () => ClusterModel,
  step: () => void,
  steps: () => number,
  /** Replaces the default site drag (move the mean) where the model is derived from another one. */
  dragSite?: (j: number, x: number, y: number) => void,
): LabModel {
  const scores = () => {
    const m = model();
    return m.rank === 0 ? planeScoresOfKMeans(m.means, m.clusters, PLANE) : planeScoresOfKFlats(m.means, m.bases, m.clusters, m.rank, PLANE);
  };
  return {
    panel,
    get steps() {
      return steps();
    },
    step,
    mse: () => meanSquaredError(points.xy, reconstruct(model(), points.xy, points.n), points.n),
    reconstruct: (xy, n) => reconstruct(model(), xy, n),
    scores,
    overlay(): PanelOverlay {
      const m = model();
      const k = m.clusters;
      const { cluster } = assign(m, points.xy, points.n);
      const count = new Float64Array(k);
      const spread = new Float64Array(k); // mean |coordinate| along the first direction: the arrow's length
      for (let t = 0; t < points.n; t++) {
        const j = cluster[t];
        count[j]++;
        if (m.rank > 0) spread[j] += Math.abs((points.xy[2 * t] - m.means[2 * j]) * m.bases[2 * j * m.rank] + (points.xy[2 * t + 1] - m.means[2 * j + 1]) * m.bases[2 * j * m.rank + 1]);
      }
      const arrows = new Float32Array(m.rank > 0 ? 4 * k : 0);
      for (let j = 0; j < k && m.rank > 0; j++) {
        const L = count[j] > 0 ? (2 * spread[j]) / count[j] : 0.5;
        const [mx, my] = [m.means[2 * j], m.means[2 * j + 1]];
        const [ux, uy] = [m.bases[2 * j * m.rank], m.bases[2 * j * m.rank + 1]];
        arrows.set([mx - L * ux, my - L * uy, mx + L * ux, my + L * uy], 4 * j);
      }
      return { units: k, sites: m.means.slice(), radii: new Float32Array(0), arrows, dead: Uint8Array.from(count, (c) => (c > 0 ? 0 : 1)) };
    },
    hover(x, y): LabHover {
      const m = model();
      const xy = Float32Array.of(x, y);
      const j = assign(m, xy, 1).cluster[0];
      const xHat = reconstruct(m, xy, 1);
      const active = [{ unit: j, value: 1 }];
      // k-flats: the coordinate along the flat's direction is the value that matters.
      if (m.rank > 0) active[0].value = (x - m.means[2 * j]) * m.bases[2 * j * m.rank] + (y - m.means[2 * j + 1]) * m.bases[2 * j * m.rank + 1];
      return { active, xHat: [xHat[0], xHat[1]], error: (x - xHat[0]) ** 2 + (y - xHat[1]) ** 2 };
    },
    drag(what, j, x, y) {
      const m = model();
      if (what === 'site' && dragSite) dragSite(j, x, y);
      else if (what === 'site') {
        m.means[2 * j] = x;
        m.means[2 * j + 1] = y;
      } else if (m.rank > 0) {
        const dx = x - m.means[2 * j];
        const dy = y - m.means[2 * j + 1];
        const norm = Math.hypot(dx, dy);
        if (norm > 0) {
          m.bases[2 * j * m.rank] = dx / norm;
          m.bases[2 * j * m.rank + 1] = dy / norm;
        }
      }
    },
  };
}
