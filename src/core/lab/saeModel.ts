// The lab's SAE panel: an SAE of any architecture and trainer on the lab's 2-D points, trained full-batch
// by core's reference trainers (train.ts SGD, pamTrain.ts PAM-SGD; dIn = 2 is tiny), with the drawing of
// seed-papers §3.5 (geometry/power.ts: sites c_i = ½ w_i, circles √(α_i − min α); decoder arrows from b_dec) and direct
// manipulation of a site or a decoder row. Imports only src/core.

import { identityPlane } from '../geometry/plane.ts';
import { powerDiagramOfScores, type PowerDiagram } from '../geometry/power.ts';
import { planeScoresOfSae } from '../geometry/scores.ts';
import type { TrainConfig } from '../sae/config.ts';
import { createPamTrainer } from '../sae/pamTrain.ts';
import { decode, encode } from '../sae/sae.ts';
import { createTrainer, type Trainer } from '../sae/train.ts';
import type { Sae } from '../sae/types.ts';
import type { LabPoints } from './datasets.ts';
import type { LabHover, LabModel, PanelOverlay } from './model.ts';
import { meanSquaredError } from './model.ts';
import type { LabState } from './state.ts';
import { LAB_MAX_STEPS } from './state.ts';

/** The lab's plane: 2-D models are drawn in their own input space. */
const PLANE = identityPlane();

/** Steps without firing after which a latent counts as dead (AuxK's window): 20 full-batch steps. */
export const LAB_DEAD_STEPS = 20;

/** The lab's training config: full batch, constant learning rate (no warm-up or decay: the lab has no planned end). */
export function labSaeConfig(s: LabState, rows: number): Partial<TrainConfig> {
  return {
    arch: s.arch,
    trainer: s.trainer,
    dSae: s.dSae,
    k: s.k,
    lr: s.lr,
    l1Coefficient: s.l1,
    l1WarmupSteps: 0,
    steps: LAB_MAX_STEPS * 10,
    batch: rows,
    lrWarmupSteps: 0,
    lrDecaySteps: 0,
    auxkCoefficient: s.auxk ? 1 / 32 : 0,
    kAux: Math.max(1, Math.min(s.dSae, Math.floor(s.dSae / 2))),
    deadWindowTokens: LAB_DEAD_STEPS * rows,
    bDecInit: 'mean',
    seed: s.seed,
  };
}

/** β_i = b_enc,i − w_i·b_dec: the pre-activation p_i(x) = w_i·x + β_i in data space (seed-papers §3.2, SAELens convention). */
export function effectiveBias(sae: Sae, i: number): number {
  let b = sae.bEnc[i];
  for (let d = 0; d < sae.dIn; d++) b -= sae.wEnc[i * sae.dIn + d] * sae.bDec[d];
  return b;
}

/**
 * The SAE's power diagram on the plane (geometry/power.ts, seed-papers §3.5): sites c_i = ½ w_i, weights α_i and
 * circles √(α_i − min α). For ReLU-type SAEs the same sites and weights are drawn (their scores ranked as a Top-1
 * would be): the cells are then the activation patterns, but c_i still points along w_i and shows its bias.
 */
export function powerOf(sae: Sae): PowerDiagram {
  const scores = planeScoresOfSae(sae, PLANE, sae.arch === 'topk' && !sae.topkSigned ? 'power' : 'active');
  return powerDiagramOfScores(scores.rule.kind === 'topk' && !scores.rule.abs ? scores : { ...scores, rule: { kind: 'topk', k: 1 } });
}

export interface LabSaeModel extends LabModel {
  /** The live parameters (the trainer's: mutated by each step and by a drag). */
  readonly sae: Sae;
}

export function createSaeModel(points: LabPoints, s: LabState): LabSaeModel {
  const data = { name: 'lab', rows: points.n, dIn: 2, x: points.xy };
  const config = labSaeConfig(s, points.n);
  const trainer: Trainer = s.trainer === 'pam-sgd' ? createPamTrainer(data, config) : createTrainer(data, config);
  const sae = trainer.sae;
  if (sae.inputScale !== 1) throw new Error('unreachable: the lab trains without input scaling');

  const codes = (xy: Float32Array, n: number) => encode(sae, xy, n).f; // [n, dSae]
  const reconstruct = (xy: Float32Array, n: number): Float32Array => decode(sae, codes(xy, n), n);

  return {
    panel: 'sae',
    sae,
    get steps() {
      return trainer.step;
    },
    step: () => void trainer.trainStep(),
    mse: () => meanSquaredError(points.xy, reconstruct(points.xy, points.n), points.n),
    reconstruct,
    overlay(): PanelOverlay {
      const m = sae.dSae;
      const pd = powerOf(sae);
      const sites = Float32Array.from(pd.sites);
      const radii = Float32Array.from(pd.radii);
      // Arrows: b_dec → b_dec + w_dec,i · L, L the mean code of the latent where it fires (else 1), so the
      // arrow's head sits where a typical point of its cell is reconstructed.
      const f = codes(points.xy, points.n);
      const sum = new Float64Array(m);
      const fired = new Float64Array(m);
      for (let t = 0; t < points.n; t++)
        for (let i = 0; i < m; i++) {
          const v = f[t * m + i];
          if (v !== 0) {
            sum[i] += Math.abs(v);
            fired[i]++;
          }
        }
      const arrows = new Float32Array(4 * m);
      const dead = new Uint8Array(m);
      for (let i = 0; i < m; i++) {
        const L = fired[i] > 0 ? sum[i] / fired[i] : 1;
        dead[i] = fired[i] > 0 ? 0 : 1;
        arrows.set([sae.bDec[0], sae.bDec[1], sae.bDec[0] + L * sae.wDec[2 * i], sae.bDec[1] + L * sae.wDec[2 * i + 1]], 4 * i);
      }
      return { units: m, sites, radii, arrows, dead };
    },
    scores: () => planeScoresOfSae(sae, PLANE),
    hover(x, y): LabHover {
      const xy = Float32Array.of(x, y);
      const f = codes(xy, 1);
      const xHat = decode(sae, f, 1);
      const active: LabHover['active'] = [];
      for (let i = 0; i < sae.dSae; i++) if (f[i] !== 0) active.push({ unit: i, value: f[i] });
      active.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.unit - b.unit);
      return { active, xHat: [xHat[0], xHat[1]], error: (x - xHat[0]) ** 2 + (y - xHat[1]) ** 2 };
    },
    drag(what, i, x, y) {
      if (what === 'site') {
        // The site moves to (x, y): w_i = 2·(x, y) with β_i kept, so b_enc,i = β_i + w_i·b_dec (§3.5).
        const beta = effectiveBias(sae, i);
        sae.wEnc[2 * i] = 2 * x;
        sae.wEnc[2 * i + 1] = 2 * y;
        sae.bEnc[i] = beta + sae.wEnc[2 * i] * sae.bDec[0] + sae.wEnc[2 * i + 1] * sae.bDec[1];
      } else {
        // The arrow's head moves to (x, y): the decoder row points from b_dec to it, unit norm as in training.
        const dx = x - sae.bDec[0];
        const dy = y - sae.bDec[1];
        const norm = Math.hypot(dx, dy);
        if (norm > 0) {
          sae.wDec[2 * i] = dx / norm;
          sae.wDec[2 * i + 1] = dy / norm;
        }
      }
    },
  };
}
