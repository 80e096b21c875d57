// encodeBias.wgsl — the encoder's effective bias: folds each member's bDec into bEnc so that one GEMM
// (encode.wgsl) computes z = (x − bDec_j)·wEncᵀ + bEnc for all members j.
//
// Math:      bEff[m] = bEnc[m] − Σ_d wEnc[m, d]·bDec[member(m), d]     0 ≤ m < N = M·dSae,
//            member(m) = m / dSae. f32: each invocation sums d ≡ lane (mod WG) in d order, then a
//            fixed-shape tree over the WG lanes (deterministic: no atomics).
// Bindings:  @group(0)
//   0  wEnc    : array<f32>   [N, dIn]      read   (latent-major)
//   1  bEnc    : array<f32>   [N]           read
//   2  bDec    : array<f32>   [M, dIn]      read   (one decoder bias per member)
//   3  bEff    : array<f32>   [N]           read_write
//   4  params  : Params {N: u32, dSae: u32, dIn: u32, _pad: u32}   uniform, 16 bytes
// Dispatch:  one workgroup of WG invocations per latent m: N workgroups, linear id wid.x + wid.y·nwg.x
//            (folded past 65,535 by foldGrid). The lanes read row m of wEnc contiguously (coalesced).
//            Override: WG (default 64, a power of two ≤ 256).
// Edges:     workgroups past N return at once (uniformly, before any barrier); dIn < WG leaves lanes
//            with an empty sum; dIn = 0 gives bEff = bEnc. N = 0: dispatch nothing.
// Twin:      src/core/sae/gemm.ts:effectiveBias.

override WG: u32 = 64u;

struct Params {
  N: u32,
  dSae: u32,
  dIn: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> wEnc: array<f32>;
@group(0) @binding(1) var<storage, read> bEnc: array<f32>;
@group(0) @binding(2) var<storage, read> bDec: array<f32>;
@group(0) @binding(3) var<storage, read_write> bEff: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lane: u32) {
  let m = wid.x + wid.y * nwg.x;
  if (m >= params.N) {
    return;
  }
  let dIn = params.dIn;
  let w0 = m * dIn;
  let b0 = (m / params.dSae) * dIn;
  var s = 0.0;
  for (var d = lane; d < dIn; d += WG) {
    s = fma(wEnc[w0 + d], bDec[b0 + d], s);
  }
  partial[lane] = s;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lane < half) {
      partial[lane] += partial[lane + half];
    }
    workgroupBarrier();
  }
  if (lane == 0u) {
    bEff[m] = bEnc[m] - partial[0];
  }
}
