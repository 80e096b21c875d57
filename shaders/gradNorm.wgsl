// gradNorm.wgsl — per-member gradient norm and clip factor, as a deterministic two-stage reduction.
//
// Math:      for member j: ‖g‖_j² = Σ over ALL of j's gradient elements (its rows of dWEnc, dBEnc, dWDec,
//            its dBDec row, its rows of dLogThreshold) of g²;
//            gradClip[j] = (scale, ‖g‖_j) with scale = maxNorm/‖g‖_j when maxNorm > 0 and ‖g‖_j > maxNorm,
//            else 1 (maxNorm = 0: clipping off). adam.wgsl multiplies member j's gradients by `scale`;
//            ‖g‖_j (before clipping) stays in gradClip for snapshot readback.
// Stages:    one file, one entry point, specialised by the override FINAL:
//   FINAL = false  (stage A, once per gradient tensor)  src = one gradient tensor [M, segLen] (member j
//                  owns the contiguous segment [j·segLen, (j+1)·segLen)); workgroup (j, c) sums the squares
//                  of chunk c (CHUNK = WG·ITEMS elements) of segment j into
//                  dst[j·stride + offset + c]  (partials [M, stride]; offset = this tensor's first column).
//   FINAL = true   (stage B, once)  src = partials [M, stride]; workgroup j sums row j in a fixed order and
//                  writes dst[2j] = scale, dst[2j+1] = ‖g‖_j  (gradClip [M, 2]).
// Bindings:  @group(0)
//   0  src     : array<f32>   A: gradient [M, segLen] / B: partials [M, stride]   read
//   1  dst     : array<f32>   A: partials [M, stride] / B: gradClip [M, 2]        read_write
//   2  params  : Params {segLen, chunks, members, stride, offset: u32, maxNorm: f32}  uniform, 32 bytes
//                (A reads segLen, chunks = ceil(segLen/CHUNK), stride, offset; B reads stride, maxNorm)
// Dispatch:  A: foldGrid(M·chunks) workgroups, workgroup id = j·chunks + c; B: M workgroups.
//            WG (default 256, a power of two) and ITEMS (default 8) are overrides; CHUNK = WG·ITEMS.
//            Every sum has a fixed shape (per-thread strided sum, then a tree in workgroup memory;
//            partials summed in column order), so the result is bitwise the same run to run.
// Edges:     segLen need not be a multiple of CHUNK (elements past the segment count 0); a tensor with
//            segLen = 0 (no dLogThreshold) has no chunks and is not dispatched; stride = 0 gives ‖g‖ = 0,
//            scale 1. Workgroups past the grid's end (partial last line of a fold) return at once.
// Twin:      src/core/sae/optim.ts:gradNorm / clipGradNorm, applied to each member's SaeGrads separately.

override WG: u32 = 256u;
override ITEMS: u32 = 8u;
override FINAL: bool = false;

struct Params {
  segLen: u32,
  chunks: u32,
  members: u32,
  stride: u32,
  offset: u32,
  maxNorm: f32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> partial: array<f32, WG>;

/** Tree sum of partial[0..WG) into partial[0]; every thread must call it (uniform control flow). */
fn treeSum(lid: u32) -> f32 {
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      partial[lid] += partial[lid + s];
    }
    workgroupBarrier();
  }
  return partial[0];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wg = wid.x + wid.y * nwg.x; // uniform across the workgroup
  if (FINAL) {
    let j = wg;
    if (j >= params.members) {
      return;
    }
    let stride = params.stride;
    var acc = 0.0;
    for (var i = lid; i < stride; i += WG) {
      acc += src[j * stride + i];
    }
    partial[lid] = acc;
    let normSq = treeSum(lid);
    if (lid == 0u) {
      let norm = sqrt(normSq);
      let maxNorm = params.maxNorm;
      var scale = 1.0;
      if (maxNorm > 0.0 && norm > maxNorm) {
        scale = maxNorm / norm;
      }
      dst[2u * j] = scale;
      dst[2u * j + 1u] = norm;
    }
    return;
  }
  let chunks = params.chunks;
  if (wg >= params.members * chunks) {
    return;
  }
  let j = wg / chunks;
  let c = wg - j * chunks;
  let segLen = params.segLen;
  let chunkSize = WG * ITEMS;
  var acc = 0.0;
  for (var r = 0u; r < ITEMS; r++) {
    let e = c * chunkSize + r * WG + lid;
    if (e < segLen) {
      let g = src[j * segLen + e];
      acc += g * g;
    }
  }
  partial[lid] = acc;
  let total = treeSum(lid);
  if (lid == 0u) {
    dst[j * params.stride + params.offset + c] = total;
  }
}
