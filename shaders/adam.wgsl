// adam.wgsl — one bias-corrected Adam step on one parameter tensor, its gradient scaled by the member's
// clip factor first.
//
// Math:      for each element e of member j = floor(e / segLen):
//              g ← gradClip[2j]·g[e]                       (1 when clipping is off or not engaged)
//              m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g·g
//              p ← p − lr·(m/c1) / (√(v/c2) + ε)         c1 = 1−β1ᵗ, c2 = 1−β2ᵗ
//            c1, c2, 1−β1 and 1−β2 are computed in f64 on the CPU and passed rounded to f32: 1 − f32(β2)
//            would be off by 1.3·10⁻⁵ relative for β2 = 0.999, 1 − f32(0.999) being inexact.
// Bindings:  @group(0)
//   0  g        : array<vec4<f32>>  [n] padded to ceil(n/4)·4   read
//   1  gradClip : array<f32>        [M, 2] (scale, ‖g‖) from gradNorm.wgsl   read
//   2  p        : array<vec4<f32>>  [n] padded                   read_write
//   3  m        : array<vec4<f32>>  [n] padded                   read_write
//   4  v        : array<vec4<f32>>  [n] padded                   read_write
//   5  params   : Params {n, segLen: u32, lr, beta1, beta2, eps, c1, c2, oneMinusBeta1,
//                 oneMinusBeta2: f32}   uniform, 48 bytes;
//                 the engine rewrites lr, c1, c2 each step with queue.writeBuffer
// Dispatch:  foldGrid(ceil(ceil(n/4) / WG)) workgroups (WG override, default 256); invocation i owns the
//            vec4 of elements 4i..4i+3 (computed as one vec4; each lane takes its own member's scale).
// Edges:     buffers are allocated to a multiple of 16 bytes; lanes past n (the tail of the last vec4)
//            are written back unchanged; segLen need not be a multiple of 4 (a vec4 may straddle two
//            members). n = 0 is not dispatched. Invocations past ceil(n/4) return at once.
// Twin:      src/core/sae/optim.ts:adamStep (after clipGradNorm), per member

override WG: u32 = 256u;

struct Params {
  n: u32,
  segLen: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  c1: f32,
  c2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
}

@group(0) @binding(0) var<storage, read> g: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> gradClip: array<f32>;
@group(0) @binding(2) var<storage, read_write> p: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

/** The clip factor of the member owning element e (clamped to the last element for tail lanes). */
fn scaleAt(e: u32) -> f32 {
  return gradClip[2u * (min(e, params.n - 1u) / params.segLen)];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  let n = params.n;
  let base = 4u * i;
  if (base >= n) {
    return;
  }
  let scale = vec4<f32>(scaleAt(base), scaleAt(base + 1u), scaleAt(base + 2u), scaleAt(base + 3u));
  let gi = g[i] * scale;
  let b1 = params.beta1;
  let b2 = params.beta2;
  let pOld = p[i];
  let mNew = b1 * m[i] + params.oneMinusBeta1 * gi;
  let vNew = b2 * v[i] + params.oneMinusBeta2 * gi * gi;
  let mHat = mNew / params.c1;
  let vHat = vNew / params.c2;
  let pNew = pOld - params.lr * mHat / (sqrt(vHat) + params.eps);
  let tail = vec4<bool>(base >= n, base + 1u >= n, base + 2u >= n, base + 3u >= n);
  p[i] = select(pNew, pOld, tail);
  m[i] = select(mNew, m[i], tail);
  v[i] = select(vNew, v[i], tail);
}
