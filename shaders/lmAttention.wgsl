// lmAttention.wgsl — causal grouped-query attention of every token row over the earlier rows of its
// context (a prefill: all positions of one or more packed contexts at once, no KV cache).
//
// Math:      for row t at position p = rowPos[t] (its context's rows are t − p .. t) and query head hd,
//            key/value head g = hd / (nHeads / nKvHeads):
//              s_u = scale · q[t, hd]·k[u, g]            u = t − p .. t    (scale = 1/sqrt(headSize))
//              att[t, hd·headSize + i] = Σ_u exp(s_u − max s) · v[u, g, i] / Σ_u exp(s_u − max s)
//            f32; two passes over u (the max, then the exponentials, their sum and the weighted values),
//            sums in u order.
// Bindings:  @group(0)
//   0  qkv     : array<f32>   [rows, dim + 2·kvDim]   read   (q | k | v, RoPE applied: lmQkvRope.wgsl)
//   1  rowPos  : array<u32>   [rows]                  read
//   2  att     : array<f32>   [rows, dim]             read_write
//   3  params  : Params {rows, nHeads, nKvHeads, headSize: u32, scale: f32}   uniform, 32 bytes
// Dispatch:  ceil(rows·nHeads / WG) workgroups, folded past 65,535 (foldGrid); invocation i owns
//            (row t = i / nHeads, head hd = i mod nHeads). Override: WG (default 64).
// Edges:     invocations past rows·nHeads return; rows = 0: dispatch nothing. p = 0 (BOS, or a context
//            of one token) attends to itself only: att = v. headSize ≤ HEAD_MAX (32; the TypeScript
//            side checks it). Rows of different contexts never see each other (rowPos bounds the range).
// Twin:      src/core/lm/forward.ts:forwardToken (the attention loop over the KV cache)

override WG: u32 = 64u;
const HEAD_MAX: u32 = 32u;

struct Params {
  rows: u32,
  nHeads: u32,
  nKvHeads: u32,
  headSize: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> rowPos: array<u32>;
@group(0) @binding(2) var<storage, read_write> att: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let nHeads = params.nHeads;
  let i = (wid.x + wid.y * nwg.x) * WG + lane;
  if (i >= params.rows * nHeads) {
    return;
  }
  let t = i / nHeads;
  let hd = i % nHeads;
  let hs = params.headSize;
  let dim = nHeads * hs;
  let kvDim = params.nKvHeads * hs;
  let width = dim + 2u * kvDim;
  let g = hd / (nHeads / params.nKvHeads);
  let qo = t * width + hd * hs;
  let first = t - rowPos[t];
  var q: array<f32, HEAD_MAX>;
  for (var e = 0u; e < hs; e++) {
    q[e] = qkv[qo + e];
  }
  // The max starts from the row's own score (always in range): no ±inf sentinels in f32 math.
  var mx = 0.0;
  for (var u = first; u <= t; u++) {
    let ko = u * width + dim + g * hs;
    var s = 0.0;
    for (var e = 0u; e < hs; e++) {
      s = fma(q[e], qkv[ko + e], s);
    }
    if (u == first) {
      mx = s * params.scale;
    }
    mx = max(mx, s * params.scale);
  }
  var acc: array<f32, HEAD_MAX>;
  var sum = 0.0;
  for (var u = first; u <= t; u++) {
    let ko = u * width + dim + g * hs;
    var s = 0.0;
    for (var e = 0u; e < hs; e++) {
      s = fma(q[e], qkv[ko + e], s);
    }
    let p = exp(s * params.scale - mx);
    sum += p;
    let vo = ko + kvDim;
    for (var e = 0u; e < hs; e++) {
      acc[e] = fma(p, qkv[vo + e], acc[e]);
    }
  }
  let o = t * dim + hd * hs;
  for (var e = 0u; e < hs; e++) {
    att[o + e] = acc[e] / sum;
  }
}
