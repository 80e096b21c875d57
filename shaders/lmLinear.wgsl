// lmLinear.wgsl — the language model's other projections of every token row: attention output and MLP
// down-projection with the residual add (`residual`), and the SwiGLU hidden layer (`swiglu`).
//
// Math:      residual: out[t, o] = res[t, o] + W[o]·inp[t]              (wo: nIn = dim; w2: nIn = hiddenDim)
//            swiglu:   out[t, o] = silu(W1[o]·inp[t]) · (W3[o]·inp[t]),  silu(g) = g / (1 + exp(−g))
//            W is stored transposed, Wᵀ [nIn, nOut] row-major at wOff (W3ᵀ at w3Off), so that neighbouring
//            invocations (neighbouring o) read neighbouring weights; f32 dots over nIn in order (fma).
// Bindings:  @group(0)
//   0  inp     : array<f32>   [rows, nIn] at inOff            read
//   1  w       : array<f32>   all weights (lmGpu.ts layout)   read
//   2  res     : array<f32>   [rows, nOut] at resOff          read   (residual; `swiglu` ignores it)
//   3  out     : array<f32>   [rows, nOut] at outOff          read_write
//   4  params  : Params {rows, nOut, nIn, inOff, wOff, w3Off, resOff, outOff: u32}   uniform, 32 bytes
// Dispatch:  ceil(rows·nOut / WG) workgroups, folded past 65,535 (foldGrid); invocation i owns
//            out[t = i / nOut, o = i mod nOut]. Override: WG (default 64). Both entry points share the
//            layout; `res` must be a buffer other than `out` (bind `inp` again for `swiglu`).
// Edges:     invocations past rows·nOut return; rows = 0: dispatch nothing. silu of a very negative g:
//            exp(−g) is clamped at exp(80) (no inf in f32 math), giving |silu| < |g|·1.9e-35 where the
//            twin gives −0 or a denormal.
// Twin:      src/core/lm/forward.ts:forwardToken (matVec of wo / w2 and the residual adds; w1, w3, silu)

override WG: u32 = 64u;

struct Params {
  rows: u32,
  nOut: u32,
  nIn: u32,
  inOff: u32,
  wOff: u32,
  w3Off: u32,
  resOff: u32,
  outOff: u32,
}

@group(0) @binding(0) var<storage, read> inp: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> res: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn residual(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lane;
  if (i >= params.rows * params.nOut) {
    return;
  }
  let t = i / params.nOut;
  let o = i % params.nOut;
  let nIn = params.nIn;
  let xs = params.inOff + t * nIn;
  let nOut = params.nOut;
  var s = 0.0;
  for (var c = 0u; c < nIn; c++) {
    s = fma(w[params.wOff + c * nOut + o], inp[xs + c], s);
  }
  out[params.outOff + i] = res[params.resOff + i] + s;
}

@compute @workgroup_size(WG)
fn swiglu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lane;
  if (i >= params.rows * params.nOut) {
    return;
  }
  let t = i / params.nOut;
  let o = i % params.nOut;
  let nIn = params.nIn;
  let xs = params.inOff + t * nIn;
  let nOut = params.nOut;
  var g = 0.0;
  var u = 0.0;
  for (var c = 0u; c < nIn; c++) {
    let xv = inp[xs + c];
    g = fma(w[params.wOff + c * nOut + o], xv, g);
    u = fma(w[params.w3Off + c * nOut + o], xv, u);
  }
  out[params.outOff + i] = (g / (1.0 + exp(min(-g, 80.0)))) * u;
}
