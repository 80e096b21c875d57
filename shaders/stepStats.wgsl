// stepStats.wgsl — one step's metrics per member, reduced on the GPU into a history ring that is read
// only at snapshot time (no readback inside a step).
//
// Math (member j, batch B, on the step's batch, in the SAE's scaled space; twin: StepStats of train.ts):
//   mse_j      = Σ_b sqErr[j, b] / B
//   aux_j      = memberScale[j] · Σ_b sqErrAux[j, b] / B              (0 when AuxK is off)
//   loss_j     = mse_j + α·aux_j + sparsity[j]                       (sparsity: sparsityLoss.wgsl, 0 for TopK)
//   l0_j       = stats[2j] / B                                         (fires this step)
//   dead_j     = stats[2j + 1] / dSae
//   ev_j       = 1 − Σ_b sqErr[j, b] / Σ_b ‖x_b − μ‖², μ = batch mean  (0 when the batch has no variance)
//   gradNorm_j = gradClip[2j + 1]                                      (‖g‖ before clipping)
//   history[slot, j, :] = (loss, mse, aux, l0, dead, ev, lr, gradNorm, sparsity)
// Bindings:  @group(0)
//   0  x          : array<f32>  [B, dIn]                read
//   1  sqErr      : array<f32>  [M, B]                  read
//   2  sqErrAux   : array<f32>  [M, B]                  read (bind sqErr when AuxK is off; auxOn = 0)
//   3  memberScale: array<f32>  [M]                     read
//   4  stats      : array<u32>  [M, 2]                  read
//   5  gradClip   : array<f32>  [M, 2] (scale, ‖g‖)     read
//   6  sparsity   : array<f32>  [M]                     read (λ-weighted L1/L0; zeros for TopK)
//   7  history    : array<f32>  [cap, M, 9]             read_write
//   8  params     : Params {B, dIn, M, dSae, slot, auxOn: u32, alpha, lr: f32}   uniform
// Dispatch:  M workgroups of WG (override, power of two); workgroup j owns member j.
// Edges:     fixed-shape tree reductions: deterministic. Each workgroup recomputes the batch variance
//            (cheap next to the step; keeps one kernel).
// Twin:      src/core/sae/train.ts:createTrainer().trainStep (StepStats)

override WG: u32 = 64u;

struct Params {
  B: u32,
  dIn: u32,
  M: u32,
  dSae: u32,
  slot: u32,
  auxOn: u32,
  alpha: f32,
  lr: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> sqErr: array<f32>;
@group(0) @binding(2) var<storage, read> sqErrAux: array<f32>;
@group(0) @binding(3) var<storage, read> memberScale: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<u32>;
@group(0) @binding(5) var<storage, read> gradClip: array<f32>;
@group(0) @binding(6) var<storage, read> sparsity: array<f32>;
@group(0) @binding(7) var<storage, read_write> history: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

var<workgroup> red: array<f32, WG>;
var<workgroup> red2: array<f32, WG>;

/** Tree-sums red[0..WG) and red2[0..WG) into red[0], red2[0]. */
fn reduce2(lid: u32) {
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid < s) {
      red[lid] = red[lid] + red[lid + s];
      red2[lid] = red2[lid] + red2[lid + s];
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x;
  let B = params.B;
  let dIn = params.dIn;

  // Σ_b sqErr and Σ_b sqErrAux of member j.
  var a = 0.0;
  var c = 0.0;
  for (var b = lid; b < B; b = b + WG) {
    a = a + sqErr[j * B + b];
    if (params.auxOn != 0u) {
      c = c + sqErrAux[j * B + b];
    }
  }
  red[lid] = a;
  red2[lid] = c;
  reduce2(lid);
  let sse = red[0];
  let sseAux = red2[0];
  workgroupBarrier();

  // Batch variance Σ_b ‖x_b − μ‖², one dimension at a time: μ_d, then Σ_b (x − μ_d)².
  var tv = 0.0;
  for (var d = 0u; d < dIn; d = d + 1u) {
    var s = 0.0;
    for (var b = lid; b < B; b = b + WG) {
      s = s + x[b * dIn + d];
    }
    red[lid] = s;
    red2[lid] = 0.0;
    reduce2(lid);
    let mu = red[0] / f32(B);
    workgroupBarrier();
    var q = 0.0;
    for (var b = lid; b < B; b = b + WG) {
      let v = x[b * dIn + d] - mu;
      q = q + v * v;
    }
    red[lid] = q;
    reduce2(lid);
    tv = tv + red[0];
    workgroupBarrier();
  }

  if (lid == 0u) {
    let fB = f32(B);
    let mse = sse / fB;
    var aux = 0.0;
    if (params.auxOn != 0u) {
      aux = memberScale[j] * sseAux / fB;
    }
    var ev = 0.0;
    if (tv > 0.0) {
      ev = 1.0 - sse / tv;
    }
    let o = (params.slot * params.M + j) * 9u;
    history[o + 0u] = mse + params.alpha * aux + sparsity[j];
    history[o + 1u] = mse;
    history[o + 2u] = aux;
    history[o + 3u] = f32(stats[2u * j]) / fB;
    history[o + 4u] = f32(stats[2u * j + 1u]) / f32(params.dSae);
    history[o + 5u] = ev;
    history[o + 6u] = params.lr;
    history[o + 7u] = gradClip[2u * j + 1u];
    history[o + 8u] = sparsity[j];
  }
}
