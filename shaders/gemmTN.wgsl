// gemmTN.wgsl — dense per-latent weight gradients: a TN GEMM coefᵀ·src over the batch, member by member, with an
// optional bias on src, column sums of coef, relu's decoder L1 term, overwrite or accumulate.
//
// Math:      for each global latent m = j·dSae + i and dim d, summing b = 0, 1, …, batch−1 in order (f32 fma):
//              acc[m, d] = Σ_b coef[b, m]·(src[j·srcMemberStride + b·dIn + d] − (subtractBias ? bDec[j, d] : 0))
//              sum[m]    = Σ_b coef[b, m]
//              v[m, d]   = factor·acc[m, d] + (useL1 && decNorm[m] > 0 ? l1Scale·sum[m]/decNorm[m]·wDec[m, d] : 0)
//              out[m, d] = (accumulate ? out[m, d] : 0) + v[m, d]
//              outSum[m] = (accumulate ? outSum[m] : 0) + factor·sum[m]            (writeSum ≠ 0)
//            Decoder pass: coef = f, src = e [M, batch, dIn] (stride batch·dIn), factor 2/batch, relu: useL1 with
//                          l1Scale = λ/batch → dWDec.
//            Encoder pass: coef = gz, src = x [batch, dIn] (stride 0), subtractBias, factor 1 → dWEnc, outSum = dBEnc.
// Bindings:  @group(0)
//   0  coef     : array<f32>  [batch, N]   N = M·dSae                 read
//   1  src      : array<f32>  [batch, dIn] or [M, batch, dIn]         read
//   2  bDec     : array<f32>  [M, dIn]     (subtractBias)             read
//   3  wDec     : array<f32>  [N, dIn]     (useL1)                    read
//   4  decNorm  : array<f32>  [N]          (useL1; activation.wgsl:prepNorm)  read
//   5  out      : array<f32>  [N, dIn]                                read_write
//   6  outSum   : array<f32>  [N]          (writeSum)                 read_write
//   7  params   : Params {batch, M, dIn, dSae, srcMemberStride, subtractBias, writeSum, accumulate, useL1: u32,
//                         factor, l1Scale: f32, _pad: u32}   uniform, 48 bytes
// Dispatch:  M·tilesM·tilesD workgroups (tilesM = ⌈dSae/TM⌉ per member, tilesD = ⌈dIn/TD⌉; TM = WG_M·4,
//            TD = WG_D·4), wg = (j·tilesD + dt)·tilesM + mt, folded past 65,535 by foldGrid. A tile never spans
//            two members, so its src rows are one member's. Invocation (tx, ty) owns latents ty·4 .. +3 and dims
//            tx·4 .. +3 (4 vec4 accumulators and a vec4 of column sums, which every invocation forms in the same
//            order); the batch advances KT rows at a time through workgroup memory. outSum is written by the
//            invocations with tx = 0 of the tiles with dt = 0. Overrides: WG_M (16), WG_D (16), KT (16).
// Edges:     tiles past the member's dSae, dIn or batch are zero-filled by the loads; stores check latents and
//            dims. Any sizes ≥ 1. Summation over b in order, no atomics: deterministic.
// Twin:      src/core/sae/dense.ts:gemmTN

override WG_M: u32 = 16u; // invocations along latents (4 latents each)
override WG_D: u32 = 16u; // invocations along dIn (4 dims each)
override KT: u32 = 16u;   // batch rows per workgroup-memory step
override CS_VEC4: u32 = KT * WG_M;  // vec4 slots of the coef tile (derived: do not set)
override SS_VEC4: u32 = KT * WG_D;  // vec4 slots of the src tile (derived: do not set)
override LANES: u32 = WG_M * WG_D;  // invocations per workgroup (derived: do not set)

struct Params {
  batch: u32,
  M: u32,
  dIn: u32,
  dSae: u32,
  srcMemberStride: u32,
  subtractBias: u32,
  writeSum: u32,
  accumulate: u32,
  useL1: u32,
  factor: f32,
  l1Scale: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> coef: array<f32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> bDec: array<f32>;
@group(0) @binding(3) var<storage, read> wDec: array<f32>;
@group(0) @binding(4) var<storage, read> decNorm: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> outSum: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

// csTile[b·WG_M + r/4][r%4] = coef[b0 + b, m0 + r];  ssTile[b·WG_D + c/4][c%4] = src row b0 + b, dim d0 + c (− bias).
var<workgroup> csTile: array<vec4<f32>, CS_VEC4>;
var<workgroup> ssTile: array<vec4<f32>, SS_VEC4>;

@compute @workgroup_size(WG_D, WG_M)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let TM = WG_M * 4u;
  let TD = WG_D * 4u;
  let tilesM = (params.dSae + TM - 1u) / TM;
  let tilesD = (params.dIn + TD - 1u) / TD;
  let wg = wid.x + wid.y * nwg.x;
  if (wg >= params.M * tilesM * tilesD) {
    return; // the whole workgroup: uniform
  }
  let j = wg / (tilesM * tilesD);
  let rest = wg % (tilesM * tilesD);
  let i0 = (rest % tilesM) * TM;  // first latent of the tile within member j
  let d0 = (rest / tilesM) * TD;
  let dt = rest / tilesM;
  let N = params.M * params.dSae;
  let m0 = j * params.dSae + i0;
  let rowBase = j * params.srcMemberStride;
  let tx = lid3.x;
  let ty = lid3.y;

  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  var sums = vec4<f32>(0.0);
  let steps = (params.batch + KT - 1u) / KT;
  for (var s = 0u; s < steps; s++) {
    let b0 = s * KT;
    for (var q = lid; q < KT * TM; q += LANES) {
      let b = q / TM;
      let r = q % TM;  // consecutive invocations read consecutive latents of one coef row
      var v = 0.0;
      if (b0 + b < params.batch && i0 + r < params.dSae) {
        v = coef[(b0 + b) * N + m0 + r];
      }
      csTile[b * WG_M + r / 4u][r % 4u] = v;
    }
    for (var q = lid; q < KT * TD; q += LANES) {
      let b = q / TD;
      let c = q % TD;
      var v = 0.0;
      if (b0 + b < params.batch && d0 + c < params.dIn) {
        v = src[rowBase + (b0 + b) * params.dIn + d0 + c];
        if (params.subtractBias != 0u) {
          v -= bDec[j * params.dIn + d0 + c];
        }
      }
      ssTile[b * WG_D + c / 4u][c % 4u] = v;
    }
    workgroupBarrier();
    for (var b = 0u; b < KT; b++) {
      let w = ssTile[b * WG_D + tx];
      let c4 = csTile[b * WG_M + ty];
      a0 = fma(vec4<f32>(c4.x), w, a0);
      a1 = fma(vec4<f32>(c4.y), w, a1);
      a2 = fma(vec4<f32>(c4.z), w, a2);
      a3 = fma(vec4<f32>(c4.w), w, a3);
      sums += c4;
    }
    workgroupBarrier();
  }
  let iBase = i0 + ty * 4u;
  let d = d0 + tx * 4u;
  store(j, iBase, d, a0, sums.x);
  store(j, iBase + 1u, d, a1, sums.y);
  store(j, iBase + 2u, d, a2, sums.z);
  store(j, iBase + 3u, d, a3, sums.w);
  if (dt == 0u && tx == 0u && params.writeSum != 0u) {
    for (var r = 0u; r < 4u; r++) {
      if (iBase + r < params.dSae) {
        let m = j * params.dSae + iBase + r;
        var v = params.factor * sums[r];
        if (params.accumulate != 0u) {
          v = outSum[m] + v;
        }
        outSum[m] = v;
      }
    }
  }
}

// out[m, d .. d+3] for latent i of member j, where they exist.
fn store(j: u32, i: u32, d: u32, acc: vec4<f32>, sum: f32) {
  if (i >= params.dSae) {
    return;
  }
  let m = j * params.dSae + i;
  var l1 = 0.0;
  if (params.useL1 != 0u) {
    let norm = decNorm[m];
    if (norm > 0.0) {
      l1 = params.l1Scale * sum / norm;
    }
  }
  for (var c = 0u; c < 4u; c++) {
    if (d + c < params.dIn) {
      let o = m * params.dIn + d + c;
      var v = params.factor * acc[c];
      if (params.useL1 != 0u) {
        v += l1 * wDec[o];
      }
      if (params.accumulate != 0u) {
        v = out[o] + v;
      }
      out[o] = v;
    }
  }
}
