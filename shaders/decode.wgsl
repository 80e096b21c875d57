// decode.wgsl — sparse decode: gathers the k selected decoder rows of each (row, member), writes the
// reconstruction, the residual against a target and the per-(member, row) squared error.
//
// Math:      xHat[j, b, :] = (withBias ? bDec[j, :] : 0) + Σ_s val[b, j, s]·wDec[j·dSae + idx[b, j, s], :]
//            e[j, b, :]    = xHat[j, b, :] − targetScale·tgt[j·targetMemberStride + b·dIn + :]
//            sqErr[j, b]   = Σ_d e[j, b, d]²
//            main term: tgt = x [batch, dIn] (stride 0), targetScale 1, withBias 1;
//            AuxK:      tgt = e_main [M, batch, dIn] (stride batch·dIn), targetScale −1 (so e = ê − (x − x̂)), withBias 0.
// Bindings:  @group(0)
//   0  tgt     : array<f32>  [batch, dIn] or [M, batch, dIn]   read
//   1  wDec    : array<f32>  [N, dIn]      N = M·dSae          read
//   2  bDec    : array<f32>  [M, dIn]                          read
//   3  idx     : array<u32>  [batch, M, k] latent within member read
//   4  val     : array<f32>  [batch, M, k]                     read
//   5  xHat    : array<f32>  [M, batch, dIn]                   read_write
//   6  e       : array<f32>  [M, batch, dIn]                   read_write
//   7  sqErr   : array<f32>  [M, batch]                        read_write
//   8  params  : Params {batch, M, dIn, dSae, k, withBias, targetMemberStride: u32, targetScale: f32}  uniform
// Dispatch:  batch·M workgroups (folded past 65,535 by foldGrid); workgroup wg = b·M + j owns (row b, member j).
//            WG invocations (override, power of two, default 64): invocation t owns dims t, t+WG, …; the
//            k (idx, val) pairs are staged WG at a time in workgroup memory; sqErr by a tree over the WG partials.
// Edges:     any dIn, k (chunks of WG with bounds checks); slots with idx ≥ dSae (0xFFFFFFFF = empty) add
//            nothing; wg ≥ batch·M (the fold's last row) returns. Sums in slot order: deterministic.
// Twin:      src/core/sae/sparse.ts:decodeSparse

override WG: u32 = 64u;

struct Params {
  batch: u32,
  M: u32,
  dIn: u32,
  dSae: u32,
  k: u32,
  withBias: u32,
  targetMemberStride: u32,
  targetScale: f32,
}

@group(0) @binding(0) var<storage, read> tgt: array<f32>;
@group(0) @binding(1) var<storage, read> wDec: array<f32>;
@group(0) @binding(2) var<storage, read> bDec: array<f32>;
@group(0) @binding(3) var<storage, read> idx: array<u32>;
@group(0) @binding(4) var<storage, read> val: array<f32>;
@group(0) @binding(5) var<storage, read_write> xHat: array<f32>;
@group(0) @binding(6) var<storage, read_write> e: array<f32>;
@group(0) @binding(7) var<storage, read_write> sqErr: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

var<workgroup> shIdx: array<u32, WG>;
var<workgroup> shVal: array<f32, WG>;
var<workgroup> shSq: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let wg = wid.x + wid.y * nwg.x;
  if (wg >= params.batch * params.M) {
    return;
  }
  let b = wg / params.M;
  let j = wg % params.M;
  let dIn = params.dIn;
  let slot0 = wg * params.k; // (b·M + j)·k
  let row0 = j * params.dSae; // member j's first global latent
  let out0 = (j * params.batch + b) * dIn;
  let tgt0 = j * params.targetMemberStride + b * dIn;

  var sq = 0.0;
  for (var d0 = 0u; d0 < dIn; d0 += WG) {
    let d = d0 + lid;
    var acc = 0.0;
    if (params.withBias != 0u && d < dIn) {
      acc = bDec[j * dIn + d];
    }
    for (var s0 = 0u; s0 < params.k; s0 += WG) {
      if (s0 + lid < params.k) {
        shIdx[lid] = idx[slot0 + s0 + lid];
        shVal[lid] = val[slot0 + s0 + lid];
      }
      workgroupBarrier();
      let n = min(WG, params.k - s0);
      if (d < dIn) {
        for (var t = 0u; t < n; t++) {
          let i = shIdx[t];
          if (i < params.dSae) {
            acc += shVal[t] * wDec[(row0 + i) * dIn + d];
          }
        }
      }
      workgroupBarrier();
    }
    if (d < dIn) {
      xHat[out0 + d] = acc;
      let r = acc - params.targetScale * tgt[tgt0 + d];
      e[out0 + d] = r;
      sq += r * r;
    }
  }

  shSq[lid] = sq;
  workgroupBarrier();
  for (var st = WG / 2u; st > 0u; st = st >> 1u) {
    if (lid < st) {
      shSq[lid] += shSq[lid + st];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    sqErr[j * params.batch + b] = shSq[0];
  }
}
