// lmQkvRope.wgsl — one layer's query, key and value projections of every token row, RoPE on q and k.
//
// Math:      for row t at position p = rowPos[t] in its context, output column pair (2j, 2j+1) of
//            qkv[t] = [wq·h_t | wk·h_t | wv·h_t]  (widths dim | kvDim | kvDim):
//              a = W[2j]·h_t, b = W[2j+1]·h_t   (f32 dots over dim, in order, fma)
//            q and k pairs are rotated by the angle of (p, i = (2j mod headSize)/2):
//              (a, b) ← (a·cos − b·sin, a·sin + b·cos),  cos/sin = rope[p, i] (made on the CPU in f64:
//              angle = p · 10000^(−2i/headSize), then rounded to f32), v pairs are stored as they are.
// Bindings:  @group(0)
//   0  h       : array<f32>   [rows, dim]                  read   (the attention-normed stream)
//   1  w       : array<f32>   all weights; this layer's [wq; wk; wv] stored transposed at wOff:
//                             [dim, dim + 2·kvDim] row-major read   (neighbouring pairs, neighbouring weights)
//   2  rope    : array<f32>   [seqLen, headSize/2, 2]       read   (cos, sin)
//   3  rowPos  : array<u32>   [rows]                        read   (position of row t in its context)
//   4  qkv     : array<f32>   [rows, dim + 2·kvDim]         read_write
//   5  params  : Params {rows, dim, kvDim, headSize, wOff: u32}   uniform, 32 bytes
// Dispatch:  ceil(rows · (dim + 2·kvDim)/2 / WG) workgroups, folded past 65,535 (foldGrid); invocation
//            i owns the pair j = i mod P of row t = i / P, P = (dim + 2·kvDim)/2. Override: WG (64).
// Edges:     invocations past rows·P return; rows = 0: dispatch nothing. dim, kvDim and headSize are even
//            (the model loader checks headSize; dim and kvDim are multiples of it).
// Twin:      src/core/lm/forward.ts:forwardToken (matVec of wq, wk, wv, then applyRope on q and k)

override WG: u32 = 64u;

struct Params {
  rows: u32,
  dim: u32,
  kvDim: u32,
  headSize: u32,
  wOff: u32,
}

@group(0) @binding(0) var<storage, read> h: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> rope: array<f32>;
@group(0) @binding(3) var<storage, read> rowPos: array<u32>;
@group(0) @binding(4) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let dim = params.dim;
  let kvDim = params.kvDim;
  let width = dim + 2u * kvDim;
  let pairs = width / 2u;
  let i = (wid.x + wid.y * nwg.x) * WG + lane;
  if (i >= params.rows * pairs) {
    return;
  }
  let t = i / pairs;
  let col = 2u * (i % pairs);
  let hs = t * dim;
  var a = 0.0;
  var b = 0.0;
  for (var d = 0u; d < dim; d++) {
    let hv = h[hs + d];
    let wd = params.wOff + d * width + col;
    a = fma(w[wd], hv, a);
    b = fma(w[wd + 1u], hv, b);
  }
  if (col < dim + kvDim) {
    let half = params.headSize / 2u;
    let pair = (col % params.headSize) / 2u;
    let at = 2u * (rowPos[t] * half + pair);
    let c = rope[at];
    let s = rope[at + 1u];
    let a0 = a;
    a = a0 * c - b * s;
    b = a0 * s + b * c;
  }
  let o = t * width + col;
  qkv[o] = a;
  qkv[o + 1u] = b;
}
