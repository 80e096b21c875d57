// The classroom lessons (issue #12 §3): one-click scenarios, each a complete lab state, the steps it plays
// to, and a two-line caption with one formula (TeX, rendered by KaTeX in the UI). Plain data; imports only
// src/core. Maths: seed-papers §3.2 (SAEs as splines), §3.3 (k-means), §3.4 (k-flats), §3.5 (power diagrams).

import type { LabState } from './state.ts';
import { DEFAULT_LAB_STATE } from './state.ts';

export interface Lesson {
  /** Stable id: the URL's lesson=… and the UI's data-testid lesson-<name>. */
  name: string;
  title: string;
  /** Two lines: what to look at, and why. */
  caption: [string, string];
  /** The formula, TeX. */
  tex: string;
  state: LabState;
  /** The lesson plays to this many steps, then pauses. */
  playTo: number;
}

const base = (patch: Partial<LabState>): LabState => ({ ...DEFAULT_LAB_STATE, ...patch, steps: 0 });
const TOY = DEFAULT_LAB_STATE.data;

export const LESSONS: readonly Lesson[] = [
  {
    name: 'sae',
    title: 'What an SAE is',
    caption: [
      'The encoder scores every latent, TopK keeps the K largest, the decoder adds up their directions (the arrows).',
      'Each colour is one set of firing latents: a cell of an order-K power diagram, and on each cell the SAE is affine.',
    ],
    tex: String.raw`z = W_{\mathrm{enc}}(x - b_{\mathrm{dec}}) + b_{\mathrm{enc}},\quad f = \mathrm{ReLU}(\mathrm{TopK}_K(z)),\quad \hat x = W_{\mathrm{dec}} f + b_{\mathrm{dec}}`,
    state: base({ data: TOY, dSae: 8, k: 1, lr: 0.01 }),
    playTo: 600,
  },
  {
    name: 'k',
    title: 'What k does',
    caption: [
      'With K = 2 every cell is a pair of latents: many more cells than latents, and a rank-2 affine map on each.',
      'Larger K reconstructs better but each point is explained by more latents: sparsity against accuracy.',
    ],
    tex: String.raw`\Omega_S = \{x : S(x) = S\},\ |S| = K,\qquad \hat x = D_S\,(E_S x + \beta_S) + b_{\mathrm{dec}}\ \text{ on } \Omega_S`,
    state: base({ data: TOY, dSae: 8, k: 2, lr: 0.01 }),
    playTo: 600,
  },
  {
    name: 'superposition',
    title: 'Superposition',
    caption: [
      'Five sparse features live in two dimensions: more features than dimensions, so no basis of the plane can hold them.',
      'With K = 1 each point is one latent times a value: the arrows turn onto the five spokes (this seed finds all five; other seeds may miss one).',
    ],
    tex: String.raw`x = \sum_{j \in S} a_j\, d_j,\quad a_j \ge 0,\quad |S| \ll n,\quad n = 5 > 2 = \dim x`,
    state: base({ data: { source: 'preset', preset: 'superposition', points: 300, seed: 0, features: 5 }, dSae: 8, k: 1, clusters: 5, lr: 0.01, seed: 2 }),
    playTo: 1000,
  },
  {
    name: 'dead-latents',
    title: 'Dead latents and AuxK',
    caption: [
      'With AuxK off most of the 32 latents win no point: no gradient reaches them, their sites turn grey and they have no cell.',
      'Tick AuxK: dead latents learn the residual and some come back (26 dead become about 21 here); in 2-D few cells are left to win.',
    ],
    tex: String.raw`\mathcal L = \lVert x - \hat x\rVert^2 + \alpha\, \lVert e - \hat e_{\mathrm{dead}} \rVert^2,\qquad e = x - \hat x,\ \alpha = 1/32`,
    state: base({ data: { source: 'preset', preset: 'toy', points: 200, seed: 0, features: 5 }, dSae: 32, k: 1, auxk: false, lr: 0.01 }),
    playTo: 600,
  },
  {
    name: 'local-pca',
    title: 'Local PCA against the SAE',
    caption: [
      'Local PCA (k-flats) fits its own line to each region: the best piecewise-affine autoencoder, lowest MSE.',
      'The SAE must build every cell from one shared dictionary: less accurate, but one set of features explains all cells.',
    ],
    tex: String.raw`\min_{R_j,\,\mu_j,\,U_j} \sum_{j} \sum_{x \in R_j} \big\lVert (I - U_j U_j^{\top})(x - \mu_j) \big\rVert^2,\quad U_j^{\top} U_j = I_r`,
    state: base({ data: TOY, clusters: 3, rank: 1, dSae: 3, k: 1, lr: 0.01 }),
    playTo: 800,
  },
  {
    name: 'relu',
    title: 'ReLU cells are lines',
    caption: [
      'A ReLU SAE switches latent i on where its pre-activation is positive: each boundary is one straight line.',
      'The lines cut the plane into an arrangement; the map is continuous across them (TopK’s is not).',
    ],
    tex: String.raw`S(x) = \{\, i : p_i(x) = w_i^{\top} x + \beta_i > 0 \,\},\qquad \beta_i = b_{\mathrm{enc},i} - w_i^{\top} b_{\mathrm{dec}}`,
    state: base({ data: TOY, arch: 'relu', dSae: 6, l1: 0.01, lr: 0.01 }),
    playTo: 600,
  },
];

export const LESSON_NAMES: readonly string[] = LESSONS.map((l) => l.name);

export const lessonNamed = (name: string | null): Lesson | null => LESSONS.find((l) => l.name === name) ?? null;
