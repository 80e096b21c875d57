// lmRmsNorm.wgsl — RMSNorm of each token row of the language model's residual stream, times its weight.
//
// Math:      h[t, d] = weight[d] · (x[t, d] · r_t),   r_t = 1 / sqrt(Σ_d x[t, d]² / dim + eps)
//            for rows t < rows; f32, the sum of squares in d order (dim terms).
// Bindings:  @group(0)
//   0  x       : array<f32>   [.., rows, dim] at xOff     read        (one layer's residual stream)
//   1  w       : array<f32>   all weights, weight at wOff read        (rmsAtt[l], rmsFfn[l] or rmsFinal)
//   2  h       : array<f32>   [rows, dim] at hOff         read_write
//   3  params  : Params {rows, dim, xOff, wOff, hOff: u32, eps: f32}   uniform, 32 bytes
// Dispatch:  ceil(rows / WG) workgroups, folded into 2-D past 65,535 (foldGrid); invocation i owns row
//            t = (wid.x + wid.y·nwg.x)·WG + lane. Override: WG (default 64).
// Edges:     invocations past `rows` return; rows = 0: dispatch nothing. A zero row gives h = 0
//            (r = 1/sqrt(eps) is finite).
// Twin:      src/core/lm/forward.ts:rmsNorm

override WG: u32 = 64u;

struct Params {
  rows: u32,
  dim: u32,
  xOff: u32,
  wOff: u32,
  hOff: u32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> h: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let t = (wid.x + wid.y * nwg.x) * WG + lane;
  if (t >= params.rows) {
    return;
  }
  let dim = params.dim;
  let xs = params.xOff + t * dim;
  var ss = 0.0;
  for (var d = 0u; d < dim; d++) {
    let v = x[xs + d];
    ss = fma(v, v, ss);
  }
  let r = 1.0 / sqrt(ss / f32(dim) + params.eps);
  let hs = params.hOff + t * dim;
  for (var d = 0u; d < dim; d++) {
    h[hs + d] = w[params.wOff + d] * (x[xs + d] * r);
  }
}
