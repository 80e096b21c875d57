// pamSystem.wgsl — PAM-SGD's decoder system from the accumulated statistics (SplInterp §3.6, seed-papers.md):
// the matrix A (`formA`), the right-hand sides B = Cᵀ written over the previous decoder (`formB`), and after the
// solve the closed-form decoder bias (`bDecSolve`).
//
// Math:      N rows seen, z̄ = sz/N, x̄ = sx/N, γ = N/(N + β + ν), ridge = α + μ, gn = γ/N (so Nγ z̄z̄ᵀ = gn·sz szᵀ):
//            formA:  A[i, j] = G[i, j] − (gn·sz[i])·sz[j] + (i = j ? ridge : 0)                    [dSae, dSae]
//            formB:  wDec[i, d] ← μ·wDec[i, d] + H[i, d] − gn·(sx[d] + ν·bDec[d])·sz[i]             B = Cᵀ, [dSae, dIn]
//                    (C = μDᵗ + Σ x zᵀ − γ(N x̄ + ν bᵗ) z̄ᵀ; wDec is latent-major, so its rows are Dᵗ's columns)
//            bDecSolve: bDec[d] ← (ν·bDec[d] + sx[d] − Σ_i wDec[i, d]·sz[i]) · invDen,  invDen = 1/(N + β + ν)
//                     (run after pamCholesky.wgsl has replaced wDec by the solution D^{t+1}ᵀ: b = (ν bᵗ + N(x̄ − D z̄))/(N+β+ν))
//            G − gn·sz szᵀ is the uncentred form: when a latent's mean is large against its spread the subtraction
//            cancels (an f32 error ≈ 2⁻²⁴·G[i, i] on a variance that can be much smaller); the ridge bounds what
//            that does to the solve. It is the formula of the paper; centring the codes per chunk would fix it.
// Bindings:  @group(0)  (one layout for the three entry points; each uses a subset)
//   0  G      : array<f32>  [dSae, dSae]   read   (pamGram.wgsl)
//   1  H      : array<f32>  [dSae, dIn]    read   (weightGrad.wgsl: Σ val·x per latent, latent-major)
//   2  sz     : array<f32>  [dSae]         read
//   3  sx     : array<f32>  [dIn]          read
//   4  A      : array<f32>  [dSae, dSae]   read_write (formA writes it whole, symmetric)
//   5  wDec   : array<f32>  [dSae, dIn]    read_write (in: Dᵗ; formB: B; the solve: D^{t+1}; in place)
//   6  bDec   : array<f32>  [dIn]          read_write (in: bᵗ; bDecSolve: b^{t+1}, in place)
//   7  params : Params {dSae, dIn: u32, ridge, gn, mu, nu, invDen: f32, _pad: u32}  uniform
// Dispatch:  formA: ceil(dSae²/WG) workgroups (folded), one invocation per entry; formB: ceil(dSae·dIn/WG)
//            (folded), one per entry; bDecSolve: ceil(dIn/WG), one per column d summing over the dSae latents.
//            WG: override, default 256.
// Edges:     dead latents (sz = 0, zero G row/column) get A[i, i] = ridge alone and B[i, :] = μ·Dᵗ[i, :], so their
//            solved rows are μ/(α+μ)·Dᵗ[i, :]; any dSae, dIn ≥ 1; invocations past the end return.
//            In place: copy wDec / bDec first if the previous decoder must survive a failed solve.
// Twin:      src/core/sae/pamStats.ts:formPamSystem, pamBDec

override WG: u32 = 256u;

struct Params {
  dSae: u32,
  dIn: u32,
  ridge: f32,
  gn: f32,
  mu: f32,
  nu: f32,
  invDen: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read> H: array<f32>;
@group(0) @binding(2) var<storage, read> sz: array<f32>;
@group(0) @binding(3) var<storage, read> sx: array<f32>;
@group(0) @binding(4) var<storage, read_write> A: array<f32>;
@group(0) @binding(5) var<storage, read_write> wDec: array<f32>;
@group(0) @binding(6) var<storage, read_write> bDec: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn formA(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let m = params.dSae;
  let e = (wid.x + wid.y * nwg.x) * WG + lid;
  if (e >= m * m) {
    return;
  }
  let i = e / m;
  let j = e % m;
  var a = G[e] - (params.gn * sz[i]) * sz[j];
  if (i == j) {
    a += params.ridge;
  }
  A[e] = a;
}

@compute @workgroup_size(WG)
fn formB(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let dIn = params.dIn;
  let e = (wid.x + wid.y * nwg.x) * WG + lid;
  if (e >= params.dSae * dIn) {
    return;
  }
  let i = e / dIn;
  let d = e % dIn;
  let xTerm = sx[d] + params.nu * bDec[d];
  wDec[e] = params.mu * wDec[e] + H[e] - (params.gn * xTerm) * sz[i];
}

@compute @workgroup_size(WG)
fn bDecSolve(@builtin(global_invocation_id) gid: vec3<u32>) {
  let d = gid.x;
  let dIn = params.dIn;
  if (d >= dIn) {
    return;
  }
  var dz = 0.0;
  for (var i = 0u; i < params.dSae; i++) {
    dz += wDec[i * dIn + d] * sz[i];
  }
  bDec[d] = (params.nu * bDec[d] + sx[d] - dz) * params.invDen;
}
