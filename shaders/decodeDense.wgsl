// decodeDense.wgsl — dense decode: each member's reconstruction from dense codes (a GEMM per member through
// workgroup-memory tiles), the residual against a target, and (second entry point) the per-row squared error.
//
// Math:      main:      xHat[j, b, :] = (withBias ? bDec[j, :] : 0) + Σ_i f[b, j·dSae + i]·wDec[j·dSae + i, :]
//                       e[j, b, :]    = xHat[j, b, :] − targetScale·tgt[j·targetMemberStride + b·dIn + :]
//            rowSqErr:  sqErr[j, b]   = Σ_d e[j, b, d]²
//            Per member an NN GEMM [batch, dSae]×[dSae, dIn]; f32 fma, sums over i in ascending order, the bias
//            added after the sum. Main term: tgt = x (stride 0), targetScale 1, withBias 1 (the layout of decode.wgsl).
// Bindings:  @group(0) (both entry points)
//   0  f       : array<f32>        [batch, N]   N = M·dSae        read
//   1  wDec    : array<f32>        [N, dIn]                        read
//   2  bDec    : array<f32>        [M, dIn]                        read
//   3  tgt     : array<f32>        [batch, dIn] or [M, batch, dIn] read
//   4  xHat    : array<f32>        [M, batch, dIn]                 read_write (main)
//   5  e       : array<f32>        [M, batch, dIn]                 read_write (main writes, rowSqErr reads)
//   6  sqErr   : array<f32>        [M, batch]                      read_write (rowSqErr)
//   7  params  : Params {batch, M, dIn, dSae, withBias, targetMemberStride: u32, targetScale: f32, _pad: u32}  uniform
// Dispatch:  main: M·tilesB·tilesD workgroups (tilesB = ⌈batch/TB⌉, tilesD = ⌈dIn/TD⌉; TB = WG_B·4, TD = WG_D·4),
//            wg = (j·tilesD + dt)·tilesB + bt (batch tile fastest: neighbours share a wDec tile). Invocation
//            (tx, ty) owns rows ty·4 .. +3 and dims tx·4 .. +3 of the tile (4 vec4 accumulators); the latent
//            axis advances KT at a time through workgroup memory (f tile i-major, wDec tile i-major).
//            rowSqErr: M·batch workgroups, workgroup j·batch + b owns row (j, b); invocation t sums d = t,
//            t+WG_D·WG_B, … in order, then a fixed tree. Both folded past 65,535 by foldGrid.
//            Overrides: WG_D (16), WG_B (16), KT (16); WG_D·WG_B a power of two ≤ 256. Workgroup memory
//            4·KT·(TB + TD) bytes (8 KiB by default).
// Edges:     tiles past batch, dSae (member end) or dIn are zero-filled by the loads; the stores check rows and
//            dims. Any sizes ≥ 1. Fixed summation order: deterministic.
// Twin:      src/core/sae/dense.ts:decodeDense

override WG_D: u32 = 16u; // invocations along dIn (4 dims each)
override WG_B: u32 = 16u; // invocations along batch rows (4 rows each)
override KT: u32 = 16u;   // latents per workgroup-memory step
override FS_VEC4: u32 = KT * WG_B;  // vec4 slots of the f tile (derived: do not set)
override WS_VEC4: u32 = KT * WG_D;  // vec4 slots of the wDec tile (derived: do not set)
override LANES: u32 = WG_D * WG_B;  // invocations per workgroup (derived: do not set)

struct Params {
  batch: u32,
  M: u32,
  dIn: u32,
  dSae: u32,
  withBias: u32,
  targetMemberStride: u32,
  targetScale: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> f: array<f32>;
@group(0) @binding(1) var<storage, read> wDec: array<f32>;
@group(0) @binding(2) var<storage, read> bDec: array<f32>;
@group(0) @binding(3) var<storage, read> tgt: array<f32>;
@group(0) @binding(4) var<storage, read_write> xHat: array<f32>;
@group(0) @binding(5) var<storage, read_write> e: array<f32>;
@group(0) @binding(6) var<storage, read_write> sqErr: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

// fsTile[i·WG_B + r/4][r%4] = f[row0 + r, j·dSae + i0 + i];  wsTile[i·WG_D + c/4][c%4] = wDec[j·dSae + i0 + i, d0 + c].
var<workgroup> fsTile: array<vec4<f32>, FS_VEC4>;
var<workgroup> wsTile: array<vec4<f32>, WS_VEC4>;
var<workgroup> partial: array<f32, LANES>;

@compute @workgroup_size(WG_D, WG_B)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let TB = WG_B * 4u;
  let TD = WG_D * 4u;
  let tilesB = (params.batch + TB - 1u) / TB;
  let tilesD = (params.dIn + TD - 1u) / TD;
  let wg = wid.x + wid.y * nwg.x;
  if (wg >= params.M * tilesB * tilesD) {
    return; // the whole workgroup: uniform
  }
  let j = wg / (tilesB * tilesD);
  let rest = wg % (tilesB * tilesD);
  let row0 = (rest % tilesB) * TB;
  let d0 = (rest / tilesB) * TD;
  let N = params.M * params.dSae;
  let m0 = j * params.dSae;
  let tx = lid3.x;
  let ty = lid3.y;

  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  let steps = (params.dSae + KT - 1u) / KT;
  for (var s = 0u; s < steps; s++) {
    let i0 = s * KT;
    for (var q = lid; q < KT * TB; q += LANES) {
      let r = q / KT;  // consecutive invocations read consecutive latents of one row
      let i = q % KT;
      var v = 0.0;
      if (row0 + r < params.batch && i0 + i < params.dSae) {
        v = f[(row0 + r) * N + m0 + i0 + i];
      }
      fsTile[i * WG_B + r / 4u][r % 4u] = v;
    }
    for (var q = lid; q < KT * TD; q += LANES) {
      let i = q / TD;
      let c = q % TD;  // consecutive invocations read consecutive dims of one decoder row
      var v = 0.0;
      if (i0 + i < params.dSae && d0 + c < params.dIn) {
        v = wDec[(m0 + i0 + i) * params.dIn + d0 + c];
      }
      wsTile[i * WG_D + c / 4u][c % 4u] = v;
    }
    workgroupBarrier();
    for (var i = 0u; i < KT; i++) {
      let w = wsTile[i * WG_D + tx];
      let x4 = fsTile[i * WG_B + ty];
      a0 = fma(vec4<f32>(x4.x), w, a0);
      a1 = fma(vec4<f32>(x4.y), w, a1);
      a2 = fma(vec4<f32>(x4.z), w, a2);
      a3 = fma(vec4<f32>(x4.w), w, a3);
    }
    workgroupBarrier();
  }
  store(j, row0 + ty * 4u, d0 + tx * 4u, a0);
  store(j, row0 + ty * 4u + 1u, d0 + tx * 4u, a1);
  store(j, row0 + ty * 4u + 2u, d0 + tx * 4u, a2);
  store(j, row0 + ty * 4u + 3u, d0 + tx * 4u, a3);
}

// xHat and e for row b of member j, dims d .. d+3 that exist.
fn store(j: u32, b: u32, d: u32, acc: vec4<f32>) {
  if (b >= params.batch) {
    return;
  }
  let dIn = params.dIn;
  let o = (j * params.batch + b) * dIn;
  let t = j * params.targetMemberStride + b * dIn;
  for (var c = 0u; c < 4u; c++) {
    if (d + c < dIn) {
      var v = acc[c];
      if (params.withBias != 0u) {
        v += bDec[j * dIn + d + c];
      }
      xHat[o + d + c] = v;
      e[o + d + c] = v - params.targetScale * tgt[t + d + c];
    }
  }
}

@compute @workgroup_size(WG_D, WG_B)
fn rowSqErr(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wg = wid.x + wid.y * nwg.x;
  if (wg >= params.M * params.batch) {
    return; // the whole workgroup: uniform
  }
  let o = wg * params.dIn; // (j·batch + b)·dIn
  var s = 0.0;
  for (var d = lid; d < params.dIn; d += LANES) {
    let r = e[o + d];
    s = fma(r, r, s);
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var st = LANES / 2u; st > 0u; st = st >> 1u) {
    if (lid < st) {
      partial[lid] += partial[lid + st];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    sqErr[wg] = partial[0];
  }
}
