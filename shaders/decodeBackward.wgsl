// decodeBackward.wgsl — ∂L/∂z at the selected entries: the dot of each (row, member)'s residual with the
// decoder rows it selected, through the ReLU.
//
// Math:      gVal[b, j, s] = (2/batch)·coeff·scale_j·dot(e[j, b, :], wDec[j·dSae + idx[b, j, s], :])
//            where val[b, j, s] > 0 and the slot is not empty (idx < dSae), else 0.
//            scale_j = useMemberScale ? memberScale[j] : 1.  Main term: coeff 1; AuxK: coeff α, scale_j =
//            min(nDead_j/kAux, 1) from the GPU's dead counts.
// Bindings:  @group(0)
//   0  e           : array<f32>  [M, batch, dIn]   read
//   1  wDec        : array<f32>  [N, dIn]          read
//   2  idx         : array<u32>  [batch, M, k]     read
//   3  val         : array<f32>  [batch, M, k]     read
//   4  memberScale : array<f32>  [M]               read (only when useMemberScale ≠ 0)
//   5  gVal        : array<f32>  [batch, M, k]     read_write
//   6  params      : Params {batch, M, dIn, dSae, k, useMemberScale: u32, coeff: f32, _pad: u32}  uniform
// Dispatch:  batch·M workgroups (folded past 65,535); workgroup wg = b·M + j owns the k slots of (row b,
//            member j). WG invocations (override, default 64) form WG/SPLIT groups of SPLIT lanes (override,
//            default 16; both powers of two, SPLIT ≤ WG): a group takes one slot, its lanes stride over dIn,
//            then a tree over the SPLIT lanes in workgroup memory; slots go WG/SPLIT at a time.
// Edges:     any dIn, k; empty or val ≤ 0 slots write 0 (every slot is written); wg ≥ batch·M returns.
//            Fixed summation order: deterministic.
// Twin:      src/core/sae/sparse.ts:decodeBackwardSparse

override WG: u32 = 64u;
override SPLIT: u32 = 16u;

struct Params {
  batch: u32,
  M: u32,
  dIn: u32,
  dSae: u32,
  k: u32,
  useMemberScale: u32,
  coeff: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> e: array<f32>;
@group(0) @binding(1) var<storage, read> wDec: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read> val: array<f32>;
@group(0) @binding(4) var<storage, read> memberScale: array<f32>;
@group(0) @binding(5) var<storage, read_write> gVal: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

var<workgroup> partial: array<f32, WG>;

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
  let slot0 = wg * params.k;
  let e0 = (j * params.batch + b) * dIn;
  var factor = 2.0 / f32(params.batch) * params.coeff;
  if (params.useMemberScale != 0u) {
    factor *= memberScale[j];
  }
  let lane = lid % SPLIT;
  let team = lid / SPLIT;
  let slotsPerPass = WG / SPLIT;

  for (var s0 = 0u; s0 < params.k; s0 += slotsPerPass) {
    let s = s0 + team;
    var live = false;
    var row = 0u;
    if (s < params.k) {
      let i = idx[slot0 + s];
      live = i < params.dSae && val[slot0 + s] > 0.0;
      row = (j * params.dSae + select(0u, i, live)) * dIn;
    }
    var p = 0.0;
    if (live) {
      for (var d = lane; d < dIn; d += SPLIT) {
        p += e[e0 + d] * wDec[row + d];
      }
    }
    partial[lid] = p;
    workgroupBarrier();
    for (var st = SPLIT / 2u; st > 0u; st = st >> 1u) {
      if (lane < st) {
        partial[lid] += partial[lid + st];
      }
      workgroupBarrier();
    }
    if (lane == 0u && s < params.k) {
      gVal[slot0 + s] = select(0.0, factor * partial[lid], live);
    }
    workgroupBarrier();
  }
}
