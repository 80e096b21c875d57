// sparsityLoss.wgsl — the λ-weighted sparsity term of a dense-code step, per member, for the metrics.
//
// Math:      relu (mode 0):     term_j = λ/B · Σ_b Σ_{i ∈ member j} f[b, i]·latent[i]    (latent = ‖wDec_i‖)
//            jumprelu (mode 1): term_j = λ/B · Σ_b Σ_{i ∈ member j} [f[b, i] > 0]        (L0; f > 0 ⇔ z > θ > 0)
// Bindings:  @group(0)
//   0  f       : array<f32>  [B, N] codes           read
//   1  latent  : array<f32>  [N] ‖wDec_i‖ (relu)     read (any buffer for jumprelu)
//   2  term    : array<f32>  [M]                     read_write
//   3  params  : Params {B, N, dSae, mode: u32, lambda: f32}   uniform
// Dispatch:  M workgroups of WG (override, power of two); workgroup j owns member j; fixed tree: deterministic.
// Edges:     B, dSae ≥ 1.
// Twin:      src/core/sae/loss.ts (sparsityLoss of lossAndGrads)

override WG: u32 = 64u;

struct Params {
  B: u32,
  N: u32,
  dSae: u32,
  mode: u32,
  lambda: f32,
}

@group(0) @binding(0) var<storage, read> f: array<f32>;
@group(0) @binding(1) var<storage, read> latent: array<f32>;
@group(0) @binding(2) var<storage, read_write> term: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x;
  let count = params.B * params.dSae;
  var acc = 0.0;
  for (var q = lid; q < count; q = q + WG) {
    let b = q / params.dSae;
    let m = j * params.dSae + q % params.dSae;
    let v = f[b * params.N + m];
    if (params.mode == 0u) {
      acc = acc + v * latent[m];
    } else if (v > 0.0) {
      acc = acc + 1.0;
    }
  }
  red[lid] = acc;
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid < s) {
      red[lid] = red[lid] + red[lid + s];
    }
  }
  if (lid == 0u) {
    term[j] = params.lambda * red[0] / f32(params.B);
  }
}
