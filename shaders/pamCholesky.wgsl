// pamCholesky.wgsl — the m×m SPD solve A X = B with dIn right-hand sides of PAM-SGD's decoder block: blocked
// right-looking Cholesky A = L Lᵀ in place (potrf, trsm, syrk per panel), then L Y = B and Lᵀ X = Y in place on
// B (fwdDiag, fwdUpdate per panel; bwdDiag, bwdUpdate per panel, last panel first). Seven entry points.
//
// Math:      panel p covers columns p0 .. p0 + nb − 1 (nb = min(NB, m − p0)); with S = A[p0.., p0..] so far updated:
//              potrf:  L11 = chol(S11), unblocked right-looking in workgroup memory, per column c:
//                        l = √S[c,c];  S[r,c] /= l (r > c);  S[r,q] −= S[r,c]·S[q,c] (c < q ≤ r)
//              trsm:   L21 = S21 L11⁻ᵀ, per row r:  L[r,c] = (S[r,c] − Σ_{q<c} L[r,q]·L11[c,q]) / L11[c,c]
//              syrk:   S22 −= L21 L21ᵀ on the lower triangle:  A[i,j] −= Σ_{q<nb} L[i,p0+q]·L[j,p0+q]  (sum, then one −)
//            forward (panels in order):  fwdDiag:   X[p0+c, d] = (X[p0+c, d] − Σ_{q<c} L11[c,q]·X[p0+q, d]) / L11[c,c]
//                                        fwdUpdate: X[i, d] −= Σ_{q<nb} L[i, p0+q]·X[p0+q, d]     (i ≥ p0 + nb)
//            backward (last panel first): bwdDiag:  X[p0+c, d] = (X[p0+c, d] − Σ_{q>c} L11[q,c]·X[p0+q, d]) / L11[c,c]
//                                        bwdUpdate: X[i, d] −= Σ_{q<nb} L[p0+q, i]·X[p0+q, d]      (i < p0)
//            Only A's lower triangle is read; its upper triangle is left as it was.
//            Why Cholesky and not CG warm-started at Dᵗ: A's spectrum runs from the ridge α+μ (dead or rare latents,
//            1e-6 in the official scripts) to ~N·E[z²], a condition number CG pays for in √κ iterations, in f32
//            where its residual stalls at κ·2⁻²⁴, with a data-dependent iteration count that needs a readback or a
//            guess. Cholesky is backward stable in f32 whatever κ: (A + ΔA) X̂ = B with |ΔA| ≤ γ_{3m+1}|L̂||L̂ᵀ|,
//            γ_n = n·2⁻²⁴/(1 − n·2⁻²⁴) (Higham, Thm 10.4; blocking reorders the same sums), a fixed dispatch count
//            (7 per panel: 3·m/NB for the factor, 4·m/NB for the solves; 896 at m = 4096, NB = 32) and no readback.
//            Cost at m = 4096, dIn = 512: m³/3 = 2.3e10 flop (syrk, tiled) + 2·m²·dIn = 1.7e10 (the updates), under
//            0.1 s at 0.5 TFLOP/s; each panel's dispatches are ≤ m²·NB·2 = 1e9 flop, so a caller that submits one
//            panel per submit (PamSolve.steps in src/gpu/kernels/pam.ts) never holds the GPU for long.
//            A pivot that is not > 0 (A not positive definite: ridge 0 with a dead latent, NaN statistics) writes its
//            global column to status[0] (the first one only; 0xFFFFFFFF = none, reset by the first panel's potrf);
//            X is then unspecified.
// Bindings:  @group(0)  (one layout for the seven entry points; each uses a subset)
//   0  A      : array<f32>  [m, m]     read_write  (in: A, lower triangle; out: L in the lower triangle)
//   1  X      : array<f32>  [m, dIn]   read_write  (in: B; out: X; latent-major like wDec)
//   2  status : array<u32>  [1]        read_write
//   3  params : Params {m, dIn, p0, nb: u32}  uniform (one per panel)
// Dispatch:  potrf:     1 workgroup of WG; the panel's diagonal block in workgroup memory (NB² floats), 3 barriers per column.
//            trsm:      ceil((m − p0 − nb)/WG) workgroups, one invocation per row below the block, L11 in workgroup memory.
//            syrk:      T×T output tiles over the trailing block (ceil((m − p0 − nb)/T)² workgroups, folded; tiles
//                       above the diagonal return), T·T invocations, the two L21 strips (T·NB floats each) in workgroup memory.
//            fwdDiag, bwdDiag: ceil(dIn/WG) workgroups, one invocation per column d, L11 in workgroup memory.
//            fwdUpdate: ceil((m − p0 − nb)·dIn/WG) workgroups (folded), bwdUpdate: ceil(p0·dIn/WG) (folded), one per entry.
//            Overrides: NB (panel width, default 32), T (syrk tile, default 16), WG (default 256).
// Edges:     m < NB (one panel), m not a multiple of NB (a narrower last panel), m = 1, dIn = 1; trailing grids of
//            0 workgroups are not dispatched; invocations past the end return after the barriers.
// Twin:      src/core/math/gpuSolveTwin.ts:choleskyBlocked, solveBlocked

override NB: u32 = 32u;
override T: u32 = 16u;
override WG: u32 = 256u;
const NONE: u32 = 0xFFFFFFFFu;

struct Params {
  m: u32,
  dIn: u32,
  p0: u32,
  nb: u32,
}

@group(0) @binding(0) var<storage, read_write> A: array<f32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> status: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> shL: array<f32, NB * NB>;
var<workgroup> shI: array<f32, T * NB>;
var<workgroup> shJ: array<f32, T * NB>;

/** The lower triangle of the panel's diagonal block into shL (row r at r·NB), then a barrier. */
fn loadDiagBlock(lid: u32) {
  let m = params.m;
  let p0 = params.p0;
  let nb = params.nb;
  for (var e = lid; e < nb * nb; e += WG) {
    let r = e / nb;
    let c = e % nb;
    if (c <= r) {
      shL[r * NB + c] = A[(p0 + r) * m + p0 + c];
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn potrf(@builtin(local_invocation_index) lid: u32) {
  let m = params.m;
  let p0 = params.p0;
  let nb = params.nb;
  if (p0 == 0u && lid == 0u) {
    status[0] = NONE;
  }
  loadDiagBlock(lid);
  for (var c = 0u; c < nb; c++) {
    let pivot = shL[c * NB + c];
    let l = sqrt(pivot);
    workgroupBarrier(); // everyone has read the pivot before it is overwritten
    if (lid == 0u) {
      shL[c * NB + c] = l;
      if (!(pivot > 0.0) && status[0] == NONE) {
        status[0] = p0 + c;
      }
    }
    for (var r = c + 1u + lid; r < nb; r += WG) {
      shL[r * NB + c] = shL[r * NB + c] / l;
    }
    workgroupBarrier();
    let w = nb - c - 1u; // trailing block size
    for (var e = lid; e < w * w; e += WG) {
      let r = c + 1u + e / w;
      let q = c + 1u + e % w;
      if (q <= r) {
        shL[r * NB + q] = shL[r * NB + q] - shL[r * NB + c] * shL[q * NB + c];
      }
    }
    workgroupBarrier();
  }
  for (var e = lid; e < nb * nb; e += WG) {
    let r = e / nb;
    let c = e % nb;
    if (c <= r) {
      A[(p0 + r) * m + p0 + c] = shL[r * NB + c];
    }
  }
}

@compute @workgroup_size(WG)
fn trsm(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let m = params.m;
  let p0 = params.p0;
  let nb = params.nb;
  loadDiagBlock(lid);
  let r = p0 + nb + wid.x * WG + lid;
  if (r >= m) {
    return;
  }
  let row = r * m + p0;
  for (var c = 0u; c < nb; c++) {
    var acc = A[row + c];
    for (var q = 0u; q < c; q++) {
      acc -= A[row + q] * shL[c * NB + q];
    }
    A[row + c] = acc / shL[c * NB + c];
  }
}

@compute @workgroup_size(T * T)
fn syrk(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let m = params.m;
  let p0 = params.p0;
  let nb = params.nb;
  let s0 = p0 + nb;
  let nT = (m - s0 + T - 1u) / T;
  let w = wid.x + wid.y * nwg.x;
  if (w >= nT * nT) {
    return;
  }
  let ti = w / nT;
  let tj = w % nT;
  if (tj > ti) {
    return; // strictly above the diagonal: A's upper triangle is not kept
  }
  for (var e = lid; e < T * nb; e += T * T) {
    let rr = e / nb;
    let q = e % nb;
    let gi = s0 + ti * T + rr;
    let gj = s0 + tj * T + rr;
    shI[rr * NB + q] = select(0.0, A[min(gi, m - 1u) * m + p0 + q], gi < m);
    shJ[rr * NB + q] = select(0.0, A[min(gj, m - 1u) * m + p0 + q], gj < m);
  }
  workgroupBarrier();
  let li = lid / T;
  let lj = lid % T;
  let i = s0 + ti * T + li;
  let j = s0 + tj * T + lj;
  if (i >= m || j > i) {
    return;
  }
  var acc = 0.0;
  for (var q = 0u; q < nb; q++) {
    acc += shI[li * NB + q] * shJ[lj * NB + q];
  }
  A[i * m + j] = A[i * m + j] - acc;
}

@compute @workgroup_size(WG)
fn fwdDiag(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let dIn = params.dIn;
  let p0 = params.p0;
  let nb = params.nb;
  loadDiagBlock(lid);
  let d = wid.x * WG + lid;
  if (d >= dIn) {
    return;
  }
  for (var c = 0u; c < nb; c++) {
    var acc = X[(p0 + c) * dIn + d];
    for (var q = 0u; q < c; q++) {
      acc -= shL[c * NB + q] * X[(p0 + q) * dIn + d];
    }
    X[(p0 + c) * dIn + d] = acc / shL[c * NB + c];
  }
}

@compute @workgroup_size(WG)
fn fwdUpdate(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let m = params.m;
  let dIn = params.dIn;
  let p0 = params.p0;
  let nb = params.nb;
  let e = (wid.x + wid.y * nwg.x) * WG + lid;
  if (e >= (m - p0 - nb) * dIn) {
    return;
  }
  let i = p0 + nb + e / dIn;
  let d = e % dIn;
  var acc = 0.0;
  for (var q = 0u; q < nb; q++) {
    acc += A[i * m + p0 + q] * X[(p0 + q) * dIn + d];
  }
  X[i * dIn + d] = X[i * dIn + d] - acc;
}

@compute @workgroup_size(WG)
fn bwdDiag(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let dIn = params.dIn;
  let p0 = params.p0;
  let nb = params.nb;
  loadDiagBlock(lid);
  let d = wid.x * WG + lid;
  if (d >= dIn) {
    return;
  }
  for (var cc = 0u; cc < nb; cc++) {
    let c = nb - 1u - cc;
    var acc = X[(p0 + c) * dIn + d];
    for (var q = c + 1u; q < nb; q++) {
      acc -= shL[q * NB + c] * X[(p0 + q) * dIn + d];
    }
    X[(p0 + c) * dIn + d] = acc / shL[c * NB + c];
  }
}

@compute @workgroup_size(WG)
fn bwdUpdate(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let m = params.m;
  let dIn = params.dIn;
  let p0 = params.p0;
  let nb = params.nb;
  let e = (wid.x + wid.y * nwg.x) * WG + lid;
  if (e >= p0 * dIn) {
    return;
  }
  let i = e / dIn;
  let d = e % dIn;
  var acc = 0.0;
  for (var q = 0u; q < nb; q++) {
    acc += A[(p0 + q) * m + i] * X[(p0 + q) * dIn + d];
  }
  X[i * dIn + d] = X[i * dIn + d] - acc;
}
