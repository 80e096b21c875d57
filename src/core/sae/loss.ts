// The reference training objective and its exact gradients for all four architectures, with AuxK.
// Plain loops, f64 accumulation. Imports only src/core. Checked by finite differences in
// test/core/loss.test.ts. Math: seed-papers.md §1, sae-libraries.md §3.2 (AuxK).
//
//   mse      = (1/B) Σ_t ‖x_t − x̂_t‖²                      (summed over dims, mean over tokens)
//   relu     + λ·(1/B) Σ_t Σ_i f_ti·‖wDec_i‖                (decoder-norm-weighted L1)
//   jumprelu + λ·(1/B) Σ_t Σ_i H(z_ti − θ_i)                (L0; straight-through gradient to log θ)
//   topk, batchtopk + α·aux, aux = scale·(1/B) Σ_t ‖ê_t − e_t‖², e = stopgrad(x − x̂),
//             ê = a·wDec (no bDec), a = ReLU(top-kAux dead z), scale = min(nDead/kAux, 1)
//   topk with sae.topkSigned (the SplInterp scripts' sparsifier, seed-papers §3.6): f keeps the k largest
//             |z| with their signs (sae.ts signedTopkCodes); ∂f/∂z = 1 on every kept entry, whatever its
//             sign. AuxK (if on) is unchanged: it ranks the dead latents' z and applies ReLU.

import type { Sae } from './types.ts';
import { batchTopkCodes, decode, encodePre, jumpreluCodes, reluCodes, topkCodesOf, topkRow } from './sae.ts';

/** Gradients of the loss, same shapes as the parameters. */
export interface SaeGrads {
  wEnc: Float32Array; // [dSae, dIn]
  bEnc: Float32Array; // [dSae]
  wDec: Float32Array; // [dSae, dIn]
  bDec: Float32Array; // [dIn]
  logThreshold: Float32Array; // [dSae] jumprelu, else [0]
}

/** What the step needs besides the parameters and the batch. */
export interface LossContext {
  /** Current sparsity coefficient λ (relu: L1, jumprelu: L0); after warm-up. */
  l1Coefficient: number;
  /** jumprelu: STE rectangle bandwidth ε. */
  bandwidth: number;
  /** AuxK coefficient α; 0 = off. */
  auxkCoefficient: number;
  kAux: number;
  /** [dSae] 1 where the latent is dead (tokens since fired ≥ dead window). */
  dead: Uint8Array;
  /**
   * The detached AuxK target e ([rows, dIn]). Default: x − x̂ of this forward pass. Given explicitly only
   * by gradient checks, which must hold the stop-gradient target fixed while perturbing parameters.
   */
  auxTarget?: Float32Array;
}

export interface LossResult {
  loss: number;
  mse: number;
  /** AuxK term before α (0 when off or nothing is dead). */
  auxLoss: number;
  /** Sparsity term after λ (relu/jumprelu), else 0. */
  sparsityLoss: number;
  f: Float32Array; // [rows, dSae] codes used for the step
  xHat: Float32Array; // [rows, dIn]
  /** batchtopk: smallest positive kept activation of the batch (0 if none). */
  minKept: number;
}

/** Allocates zero gradients shaped like `sae`. */
export function zeroGrads(sae: Sae): SaeGrads {
  return {
    wEnc: new Float32Array(sae.wEnc.length),
    bEnc: new Float32Array(sae.bEnc.length),
    wDec: new Float32Array(sae.wDec.length),
    bDec: new Float32Array(sae.bDec.length),
    logThreshold: new Float32Array(sae.logThreshold.length),
  };
}

/** Rectangle kernel of the JumpReLU straight-through estimator: 1 on (−½, ½). */
const rect = (u: number): number => (u > -0.5 && u < 0.5 ? 1 : 0);

/**
 * Loss of one batch and, when `grads` is given, its gradient written into `grads` (overwritten).
 * x: [rows, dIn] in the SAE's scaled space.
 */
export function lossAndGrads(sae: Sae, x: Float32Array, rows: number, ctx: LossContext, grads?: SaeGrads): LossResult {
  const { dIn, dSae, wEnc, wDec, bDec } = sae;
  const B = rows;
  const z = encodePre(sae, x, rows);
  let f: Float32Array;
  let minKept = 0;
  switch (sae.arch) {
    case 'topk':
      f = topkCodesOf(sae, z, rows);
      break;
    case 'batchtopk': {
      const r = batchTopkCodes(z, rows, dSae, sae.k);
      f = r.f;
      minKept = r.minKept;
      break;
    }
    case 'relu':
      f = reluCodes(z);
      break;
    case 'jumprelu':
      f = jumpreluCodes(z, rows, dSae, sae.logThreshold);
      break;
    case 'kmeans':
    case 'kflats':
      // Their fits are in src/core/cluster/ (Lloyd, the k-flats alternation, top1.ts's gradient form); the SAE losses do not apply.
      throw new Error(`lossAndGrads: ${sae.arch} is a cluster model, trained by src/core/cluster/ (trainer.ts), not by the SAE loss`);
    default:
      return sae.arch satisfies never;
  }
  const xHat = decode(sae, f, rows, true);

  // Main reconstruction term.
  let sse = 0;
  for (let i = 0; i < rows * dIn; i++) {
    const r = xHat[i] - x[i];
    sse += r * r;
  }
  const mse = sse / B;

  // Sparsity term.
  const decNorm = new Float64Array(dSae);
  for (let i = 0; i < dSae; i++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += wDec[i * dIn + d] ** 2;
    decNorm[i] = Math.sqrt(s);
  }
  let sparsityLoss = 0;
  if (sae.arch === 'relu') {
    let s = 0;
    for (let t = 0; t < rows; t++) for (let i = 0; i < dSae; i++) s += f[t * dSae + i] * decNorm[i];
    sparsityLoss = (ctx.l1Coefficient * s) / B;
  } else if (sae.arch === 'jumprelu') {
    let s = 0;
    for (let i = 0; i < dSae; i++) {
      const theta = Math.exp(sae.logThreshold[i]);
      for (let t = 0; t < rows; t++) if (z[t * dSae + i] > theta) s += 1;
    }
    sparsityLoss = (ctx.l1Coefficient * s) / B;
  }

  // AuxK term (topk family only): dead latents reconstruct the detached residual, without bDec.
  let auxLoss = 0;
  let aux: { a: Float32Array; eHatMinusE: Float64Array; scale: number } | null = null;
  if ((sae.arch === 'topk' || sae.arch === 'batchtopk') && ctx.auxkCoefficient > 0) {
    let nDead = 0;
    for (let i = 0; i < dSae; i++) nDead += ctx.dead[i];
    if (nDead > 0) {
      const kAux = Math.min(ctx.kAux, nDead);
      const scale = Math.min(nDead / ctx.kAux, 1);
      const a = new Float32Array(rows * dSae);
      for (let t = 0; t < rows; t++) {
        for (const i of topkRow(z, t * dSae, dSae, kAux, ctx.dead)) a[t * dSae + i] = Math.max(0, z[t * dSae + i]);
      }
      const eHat = decode(sae, a, rows, false);
      const diff = new Float64Array(rows * dIn);
      let s = 0;
      for (let j = 0; j < rows * dIn; j++) {
        diff[j] = eHat[j] - (ctx.auxTarget ? ctx.auxTarget[j] : x[j] - xHat[j]);
        s += diff[j] * diff[j];
      }
      auxLoss = (scale * s) / B;
      aux = { a, eHatMinusE: diff, scale };
    }
  }

  const loss = mse + sparsityLoss + ctx.auxkCoefficient * auxLoss;
  const result: LossResult = { loss, mse, auxLoss, sparsityLoss, f, xHat, minKept };
  if (!grads) return result;

  // ---- backward ----
  const gWEnc = new Float64Array(dSae * dIn);
  const gBEnc = new Float64Array(dSae);
  const gWDec = new Float64Array(dSae * dIn);
  const gBDec = new Float64Array(dIn);
  const gLogT = new Float64Array(sae.logThreshold.length);
  const gz = new Float64Array(rows * dSae); // ∂L/∂z
  const gx = new Float64Array(dIn); // ∂L/∂x̂_t for the current row
  const signed = sae.arch === 'topk' && sae.topkSigned === true;

  for (let t = 0; t < rows; t++) {
    for (let d = 0; d < dIn; d++) {
      gx[d] = (2 / B) * (xHat[t * dIn + d] - x[t * dIn + d]);
      gBDec[d] += gx[d];
    }
    for (let i = 0; i < dSae; i++) {
      const c = f[t * dSae + i];
      const w = i * dIn;
      // ∂L/∂f_ti through the decoder: g_t·wDec_i
      let gf = 0;
      for (let d = 0; d < dIn; d++) gf += gx[d] * wDec[w + d];
      if (c !== 0) for (let d = 0; d < dIn; d++) gWDec[w + d] += c * gx[d];
      switch (sae.arch) {
        case 'topk':
        case 'batchtopk':
        case 'relu': {
          // f = ReLU(z) on the kept set: gradient passes where f > 0 (signed TopK: wherever f is kept, f ≠ 0).
          if (c > 0 || (signed && c !== 0)) {
            if (sae.arch === 'relu') gf += (ctx.l1Coefficient / B) * decNorm[i];
            gz[t * dSae + i] += gf;
          }
          break;
        }
        case 'jumprelu': {
          const theta = Math.exp(sae.logThreshold[i]);
          const zv = z[t * dSae + i];
          if (zv > theta) gz[t * dSae + i] += gf;
          // Straight-through estimator (Rajamanoharan et al. 2024): ∂f/∂θ = −(θ/ε)·K((z−θ)/ε),
          // ∂H/∂θ = −(1/ε)·K((z−θ)/ε); ∂/∂logθ = θ·∂/∂θ.
          const k = rect((zv - theta) / ctx.bandwidth);
          if (k !== 0) {
            const dTheta = -(theta / ctx.bandwidth) * gf - (ctx.l1Coefficient / B) * (1 / ctx.bandwidth);
            gLogT[i] += theta * dTheta;
          }
          break;
        }
        default:
          sae.arch satisfies never;
      }
    }
  }

  // relu: ∂/∂wDec_i of λ(1/B)Σ_t f_ti‖wDec_i‖ = λ(1/B)(Σ_t f_ti)·wDec_i/‖wDec_i‖.
  if (sae.arch === 'relu' && ctx.l1Coefficient > 0) {
    for (let i = 0; i < dSae; i++) {
      if (decNorm[i] === 0) continue;
      let sf = 0;
      for (let t = 0; t < rows; t++) sf += f[t * dSae + i];
      const c = (ctx.l1Coefficient / B) * (sf / decNorm[i]);
      for (let d = 0; d < dIn; d++) gWDec[i * dIn + d] += c * wDec[i * dIn + d];
    }
  }

  // AuxK: ∂(α·aux)/∂ê_t = α·scale·(2/B)(ê_t − e_t); flows to wDec and, through a = ReLU(z), to z.
  if (aux) {
    const c0 = (ctx.auxkCoefficient * aux.scale * 2) / B;
    for (let t = 0; t < rows; t++) {
      for (let i = 0; i < dSae; i++) {
        const av = aux.a[t * dSae + i];
        if (av <= 0) continue;
        const w = i * dIn;
        let ga = 0;
        for (let d = 0; d < dIn; d++) {
          const h = c0 * aux.eHatMinusE[t * dIn + d];
          gWDec[w + d] += av * h;
          ga += h * wDec[w + d];
        }
        gz[t * dSae + i] += ga;
      }
    }
  }

  // Encoder: z = wEnc·(x − bDec) + bEnc.
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < dSae; i++) {
      const g = gz[t * dSae + i];
      if (g === 0) continue;
      gBEnc[i] += g;
      const w = i * dIn;
      for (let d = 0; d < dIn; d++) {
        gWEnc[w + d] += g * (x[t * dIn + d] - bDec[d]);
        gBDec[d] -= g * wEnc[w + d]; // bDec also enters the encoder input
      }
    }
  }

  grads.wEnc.set(gWEnc);
  grads.bEnc.set(gBEnc);
  grads.wDec.set(gWDec);
  grads.bDec.set(gBDec);
  grads.logThreshold.set(gLogT);
  return result;
}
