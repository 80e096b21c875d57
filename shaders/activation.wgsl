// activation.wgsl — dense activations of the ReLU / JumpReLU / BatchTopK steps: per-latent preparation, forward
// codes, the elementwise backward to ∂L/∂z and JumpReLU's straight-through threshold gradient.
//
// Math:      prepNorm:          latent[m] = ‖wDec[m, :]‖                                   (relu: for the L1 term)
//            prepTheta:         latent[m] = θ_m = exp(logThreshold[m])                      (jumprelu)
//            forwardRelu:       out[b, m] = z > 0 ? z : 0
//            forwardJumprelu:   out[b, m] = z > θ_m ? z : 0                                 (θ = latent)
//            with g = gScale·gF(j, b, i) (gScale = 2/batch; gF = e·wDecᵀ, member j's block, see below):
//            backwardRelu:      out[b, m] = z > 0 ? g + l1c·‖wDec[m]‖ : 0                    (l1c = λ/batch; latent = ‖wDec‖)
//            backwardJumprelu:  out[b, m] = z > θ_m ? g : 0
//            backwardMasked:    out[b, m] = f > 0 ? g : 0                                    (batchtopk)
//            thresholdGrad:     latentGrad[m] = θ_m·Σ_b [−ε/2 < z − θ_m < ε/2]·(−θ_m·invEps·g − l0c)
//                               (invEps = 1/ε, l0c = λ/(batch·ε), halfEps = ε/2; loss.ts's STE for log θ)
//            m = j·dSae + i; gF(j, b, i) = gF[(j·batch + b)·gfRowStride + j·gfMemberCol + i]: [M, batch, dSae]
//            (gfRowStride dSae, gfMemberCol 0), [batch, N] (M = 1: N, 0) or the block diagonal of
//            [M·batch, N] (N, dSae) — whichever src/gpu/kernels/dense.ts:decoderGradRecorder wrote.
// Bindings:  @group(0) (one layout for every entry point; unused bindings get any buffer that is not an output)
//   0  z            : array<f32>  [batch, N]        read
//   1  f            : array<f32>  [batch, N]        read        (backwardMasked)
//   2  gF           : array<f32>  see above         read        (backward*, thresholdGrad)
//   3  wDec         : array<f32>  [N, dIn]          read        (prepNorm)
//   4  logThreshold : array<f32>  [N]               read        (prepTheta)
//   5  out          : array<f32>  [batch, N]        read_write  (forward*: f; backward*: gz)
//   6  latent       : array<f32>  [N]               read_write  (prep*: written; forward*/backward*/thresholdGrad: read)
//   7  latentGrad   : array<f32>  [N]               read_write  (thresholdGrad: dLogThreshold)
//   8  params       : Params {batch, M, dSae, dIn, gfRowStride, gfMemberCol: u32,
//                             gScale, l1c, invEps, l0c, halfEps: f32, _pad: u32}   uniform, 48 bytes
// Dispatch:  forward*, backward*: ⌈batch·N/WG⌉ workgroups, one element per invocation. prepTheta: ⌈N/WG⌉.
//            prepNorm, thresholdGrad: N workgroups, workgroup m owns latent m; invocation t sums d (or b)
//            = t, t+WG, … in order, then a fixed tree over the WG partials. All grids folded past 65,535 by
//            foldGrid (wg = wid.x + wid.y·nwg.x). Override: WG (power of two, default 64).
// Edges:     any sizes; invocations / workgroups past the end return (uniformly per workgroup where a
//            barrier follows). θ and ‖wDec‖ are computed once per step here so forward, backward and the
//            STE compare against the same f32 bits. Deterministic: no atomics, fixed summation order.
// Twin:      src/core/sae/dense.ts:latentNorms, thresholds, activationForward, activationBackward, thresholdGrad

override WG: u32 = 64u;

struct Params {
  batch: u32,
  M: u32,
  dSae: u32,
  dIn: u32,
  gfRowStride: u32,
  gfMemberCol: u32,
  gScale: f32,
  l1c: f32,
  invEps: f32,
  l0c: f32,
  halfEps: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read> gF: array<f32>;
@group(0) @binding(3) var<storage, read> wDec: array<f32>;
@group(0) @binding(4) var<storage, read> logThreshold: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> latent: array<f32>;
@group(0) @binding(7) var<storage, read_write> latentGrad: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

var<workgroup> partial: array<f32, WG>;

fn linearWg(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// gScale·gF for element (b, m) of [batch, N].
fn scaledGrad(b: u32, m: u32) -> f32 {
  let j = m / params.dSae;
  let i = m % params.dSae;
  return params.gScale * gF[(j * params.batch + b) * params.gfRowStride + j * params.gfMemberCol + i];
}

// Sums partial[0 .. WG) into partial[0] by a fixed tree (every invocation of the workgroup calls this).
fn treeSum(lid: u32) -> f32 {
  for (var st = WG / 2u; st > 0u; st = st >> 1u) {
    if (lid < st) {
      partial[lid] += partial[lid + st];
    }
    workgroupBarrier();
  }
  return partial[0];
}

@compute @workgroup_size(WG)
fn prepNorm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let m = linearWg(wid, nwg);
  let N = params.M * params.dSae;
  if (m >= N) {
    return; // the whole workgroup: uniform
  }
  var s = 0.0;
  for (var d = lid; d < params.dIn; d += WG) {
    let w = wDec[m * params.dIn + d];
    s = fma(w, w, s);
  }
  partial[lid] = s;
  workgroupBarrier();
  let total = treeSum(lid);
  if (lid == 0u) {
    latent[m] = sqrt(total);
  }
}

@compute @workgroup_size(WG)
fn prepTheta(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let m = linearWg(wid, nwg) * WG + lid;
  if (m < params.M * params.dSae) {
    latent[m] = exp(logThreshold[m]);
  }
}

@compute @workgroup_size(WG)
fn forwardRelu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let q = linearWg(wid, nwg) * WG + lid;
  if (q < params.batch * params.M * params.dSae) {
    let v = z[q];
    out[q] = select(0.0, v, v > 0.0);
  }
}

@compute @workgroup_size(WG)
fn forwardJumprelu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let N = params.M * params.dSae;
  let q = linearWg(wid, nwg) * WG + lid;
  if (q < params.batch * N) {
    let v = z[q];
    out[q] = select(0.0, v, v > latent[q % N]);
  }
}

@compute @workgroup_size(WG)
fn backwardRelu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let N = params.M * params.dSae;
  let q = linearWg(wid, nwg) * WG + lid;
  if (q < params.batch * N) {
    let m = q % N;
    var g = 0.0;
    if (z[q] > 0.0) {
      g = scaledGrad(q / N, m) + params.l1c * latent[m];
    }
    out[q] = g;
  }
}

@compute @workgroup_size(WG)
fn backwardJumprelu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let N = params.M * params.dSae;
  let q = linearWg(wid, nwg) * WG + lid;
  if (q < params.batch * N) {
    let m = q % N;
    var g = 0.0;
    if (z[q] > latent[m]) {
      g = scaledGrad(q / N, m);
    }
    out[q] = g;
  }
}

@compute @workgroup_size(WG)
fn backwardMasked(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let N = params.M * params.dSae;
  let q = linearWg(wid, nwg) * WG + lid;
  if (q < params.batch * N) {
    var g = 0.0;
    if (f[q] > 0.0) {
      g = scaledGrad(q / N, q % N);
    }
    out[q] = g;
  }
}

@compute @workgroup_size(WG)
fn thresholdGrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let m = linearWg(wid, nwg);
  let N = params.M * params.dSae;
  if (m >= N) {
    return; // the whole workgroup: uniform
  }
  let theta = latent[m];
  var s = 0.0;
  for (var b = lid; b < params.batch; b += WG) {
    let d = z[b * N + m] - theta;
    if (d > -params.halfEps && d < params.halfEps) {
      s += -theta * params.invEps * scaledGrad(b, m) - params.l0c;
    }
  }
  partial[lid] = s;
  workgroupBarrier();
  let total = treeSum(lid);
  if (lid == 0u) {
    latentGrad[m] = theta * total;
  }
}
