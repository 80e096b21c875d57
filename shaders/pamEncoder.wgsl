// pamEncoder.wgsl — PAM-SGD's encoder-side terms (SplInterp §3.6): the stay-close gradient of the encoder block
// (`proxGrad`) and the bias fold that keeps the codes fixed when a decoder solve moves bDec (`foldBias`).
//
// Math:      The paper's encoder is z = ρ(E·x + b_enc); ours is z = act(wEnc·(x − bDec) + bEnc), so E = wEnc and
//            b_enc = bEnc − wEnc·bDec = bEff (encodeBias.wgsl). With r_m = bEff[m] − anchorB[m] and member j = ⌊m/dSae⌋:
//            proxGrad: the gradient of P = μ‖wEnc − E_t‖² + μ‖b_enc − b_enc,t‖², added to the step's gradients:
//                dWEnc[m, d] += twoMu·((wEnc[m, d] − anchorW[m, d]) − r_m·bDec[j, d])
//                dBEnc[m]    += twoMu·r_m                                               (twoMu = 2μ, f32)
//            foldBias: bEnc[m] += Σ_d wEnc[m, d]·(bDecNew[j, d] − bDec[j, d])   (run before bDec ← bDecNew), so
//                bEnc − wEnc·bDec, and with it every row's code, is unchanged by the solve (up to f32 rounding).
// Bindings:  @group(0)  (one layout for both entry points; each uses a subset)
//   0  wEnc    : array<f32>  [N, dIn]    read
//   1  anchorW : array<f32>  [N, dIn]    read   (proxGrad: E_t, wEnc at the start of the epoch)
//   2  bEff    : array<f32>  [N]         read   (proxGrad: this update's b_enc, from encodeBias.wgsl)
//   3  anchorB : array<f32>  [N]         read   (proxGrad: b_enc,t, bEff at the start of the epoch)
//   4  bDec    : array<f32>  [M, dIn]    read   (the current decoder bias)
//   5  bDecNew : array<f32>  [M, dIn]    read   (foldBias: the solved decoder bias)
//   6  dWEnc   : array<f32>  [N, dIn]    read_write (proxGrad)
//   7  bias    : array<f32>  [N]         read_write (proxGrad: dBEnc; foldBias: bEnc)
//   8  params  : Params {N, dSae, dIn: u32, twoMu: f32}  uniform
// Dispatch:  proxGrad: ceil(N·dIn / WG) workgroups (folded past 65,535), one invocation per entry of wEnc; the
//            invocation with d = 0 also owns dBEnc[m]. foldBias: ceil(N / WG) workgroups (folded), one invocation
//            per latent, looping over dIn. WG: override, default 64.
// Edges:     any N, dIn ≥ 1; invocations past the end return. μ = 0 adds exact zeros (the caller may skip it).
// Twin:      src/core/sae/pamTrain.ts:addEncoderProx (proxGrad), src/core/sae/pam.ts:applyDecoderSolve (foldBias)

override WG: u32 = 64u;

struct Params {
  N: u32,
  dSae: u32,
  dIn: u32,
  twoMu: f32,
}

@group(0) @binding(0) var<storage, read> wEnc: array<f32>;
@group(0) @binding(1) var<storage, read> anchorW: array<f32>;
@group(0) @binding(2) var<storage, read> bEff: array<f32>;
@group(0) @binding(3) var<storage, read> anchorB: array<f32>;
@group(0) @binding(4) var<storage, read> bDec: array<f32>;
@group(0) @binding(5) var<storage, read> bDecNew: array<f32>;
@group(0) @binding(6) var<storage, read_write> dWEnc: array<f32>;
@group(0) @binding(7) var<storage, read_write> bias: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn proxGrad(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let dIn = params.dIn;
  let e = (wid.x + wid.y * nwg.x) * WG + lid;
  if (e >= params.N * dIn) {
    return;
  }
  let m = e / dIn;
  let d = e % dIn;
  let j = m / params.dSae;
  let r = bEff[m] - anchorB[m];
  dWEnc[e] = dWEnc[e] + params.twoMu * ((wEnc[e] - anchorW[e]) - r * bDec[j * dIn + d]);
  if (d == 0u) {
    bias[m] = bias[m] + params.twoMu * r;
  }
}

@compute @workgroup_size(WG)
fn foldBias(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let m = (wid.x + wid.y * nwg.x) * WG + lid;
  if (m >= params.N) {
    return;
  }
  let dIn = params.dIn;
  let o = (m / params.dSae) * dIn;
  var s = 0.0;
  for (var d = 0u; d < dIn; d++) {
    s += wEnc[m * dIn + d] * (bDecNew[o + d] - bDec[o + d]);
  }
  bias[m] = bias[m] + s;
}
