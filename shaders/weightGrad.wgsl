// weightGrad.wgsl — per-latent weight gradient as a segmented sparse-transpose product: each latent walks its
// (row, slot) segment from latentIndex.wgsl in order and sums coefficient × row. Run twice per loss term.
//
// Math:      for each global latent m (member j = ⌊m/dSae⌋), over (b, s) in its segment, in order:
//              c = factor·scale_j·coef[b, j, s]                      scale_j = useMemberScale ? memberScale[j] : 1
//              out[m, :]  = (accumulate ? out[m, :] : 0)  + Σ c·(src[j·srcMemberStride + b·dIn + :] − (subtractBias ? bDec[j, :] : 0))
//              outSum[m]  = (accumulate ? outSum[m] : 0)  + Σ c               (only when writeSum ≠ 0)
//            The segment sum is formed in f32, then added once to the stored value when accumulating.
//            Decoder pass: coef = val, src = e [M, batch, dIn] (stride batch·dIn), factor = (2/batch)·coeff,
//                          scale = AuxK's per-member scale → out = dWDec.
//            Encoder pass: coef = gVal, src = x [batch, dIn] (stride 0), subtractBias, factor 1
//                          → out = dWEnc, outSum = dBEnc.
//            The engine runs the main term with accumulate = 0 (overwrites every row: rows of unselected
//            latents become 0) and then AuxK with accumulate = 1, which adds the AuxK segment sums.
// Bindings:  @group(0)
//   0  offsets     : array<u32>  [N + 1]          read
//   1  entries     : array<u32>  [batch·M·k]      read  (codes b·k + s, sorted per segment)
//   2  coef        : array<f32>  [batch, M, k]    read
//   3  src         : array<f32>  [batch, dIn] or [M, batch, dIn]   read
//   4  bDec        : array<f32>  [M, dIn]         read (only when subtractBias ≠ 0)
//   5  memberScale : array<f32>  [M]              read (only when useMemberScale ≠ 0)
//   6  out         : array<f32>  [N, dIn]         read_write
//   7  outSum      : array<f32>  [N]              read_write (only when writeSum ≠ 0)
//   8  params      : Params {batch, M, dIn, dSae, k, srcMemberStride, subtractBias, useMemberScale,
//                            writeSum, accumulate: u32, factor: f32, _pad: u32}  uniform
// Dispatch:  N workgroups (folded past 65,535); workgroup m owns latent m's gradient row. WG invocations
//            (override, default 64): invocation t owns dims t, t+WG, …, and walks the whole segment for each;
//            invocation 0 also forms outSum. No barriers, no atomics.
// Edges:     any dIn; empty segments write 0 (accumulate = 0) or leave the row as it is (accumulate = 1);
//            m ≥ N returns. Summation in segment order (row, slot): deterministic.
// Twin:      src/core/sae/sparse.ts:segmentGrad

override WG: u32 = 64u;

struct Params {
  batch: u32,
  M: u32,
  dIn: u32,
  dSae: u32,
  k: u32,
  srcMemberStride: u32,
  subtractBias: u32,
  useMemberScale: u32,
  writeSum: u32,
  accumulate: u32,
  factor: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> offsets: array<u32>;
@group(0) @binding(1) var<storage, read> entries: array<u32>;
@group(0) @binding(2) var<storage, read> coef: array<f32>;
@group(0) @binding(3) var<storage, read> src: array<f32>;
@group(0) @binding(4) var<storage, read> bDec: array<f32>;
@group(0) @binding(5) var<storage, read> memberScale: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read_write> outSum: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let m = wid.x + wid.y * nwg.x;
  if (m >= params.M * params.dSae) {
    return;
  }
  let j = m / params.dSae;
  let dIn = params.dIn;
  let k = params.k;
  let begin = offsets[m];
  let end = offsets[m + 1u];
  var f = params.factor;
  if (params.useMemberScale != 0u) {
    f *= memberScale[j];
  }
  let src0 = j * params.srcMemberStride;

  for (var d = lid; d < dIn; d += WG) {
    var bias = 0.0;
    if (params.subtractBias != 0u) {
      bias = bDec[j * dIn + d];
    }
    var acc = 0.0;
    for (var p = begin; p < end; p++) {
      let code = entries[p];
      let b = code / k;
      let c = f * coef[(b * params.M + j) * k + code % k];
      acc += c * (src[src0 + b * dIn + d] - bias);
    }
    let o = m * dIn + d;
    if (params.accumulate != 0u) {
      out[o] = out[o] + acc;
    } else {
      out[o] = acc;
    }
  }

  if (lid == 0u && params.writeSum != 0u) {
    var sum = 0.0;
    for (var p = begin; p < end; p++) {
      let code = entries[p];
      sum += f * coef[((code / k) * params.M + j) * k + code % k];
    }
    if (params.accumulate != 0u) {
      outSum[m] = outSum[m] + sum;
    } else {
      outSum[m] = sum;
    }
  }
}
