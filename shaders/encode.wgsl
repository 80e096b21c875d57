// encode.wgsl — the encoder GEMM: pre-activations z = x·wEncᵀ + bEff for all N = M·dSae latents.
//
// Math:      z[b, m] = Σ_d x[b, d]·wEnc[m, d] + bEff[m]      0 ≤ b < batch, 0 ≤ m < N, 0 ≤ d < dIn
//            with bEff[m] = bEnc[m] − wEnc[m]·bDec[member(m)] (encodeBias.wgsl) this is
//            z = (x − bDec_j)·wEncᵀ + bEnc for every member j at once. f32 products, fma, f32 sums in d order.
// Bindings:  @group(0)   (x and wEnc: xVec4/wEncVec4 in `main`, xScalar/wEncScalar in `mainScalar`;
//            two variables may share a binding when no entry point uses both, WGSL §resource interface)
//   0  x       : array<f32>|array<vec4<f32>>   [batch, dIn]     read
//   1  wEnc    : array<f32>|array<vec4<f32>>   [N, dIn]         read   (latent-major: an "NT" GEMM)
//   2  bEff    : array<f32>                    [N]              read
//   3  z       : array<f32>                    [batch, N]       read_write
//   4  params  : Params {batch: u32, N: u32, dIn: u32, _pad: u32}   uniform, 16 bytes
// Entry:     `main` loads x and wEnc as vec4 along dIn and needs dIn % 4 == 0; `mainScalar` takes any dIn.
// Dispatch:  one workgroup per output tile of TILE_B = WG_B·RB rows × TILE_N = WG_N·4 latents;
//            tilesB·tilesN workgroups (tilesB = ⌈batch/TILE_B⌉, tilesN = ⌈N/TILE_N⌉), linear id
//            wg = wid.x + wid.y·nwg.x (folded past 65,535 by foldGrid), batch tile fastest
//            (consecutive workgroups share a wEnc tile). Invocation (tx, ty) owns rows ty·RB .. +RB−1 and
//            latents tx·4 .. +3 of the tile in registers (RB vec4 accumulators). K advances KT at a time
//            through workgroup memory, stored d-major (xs[d][row], ws[d][latent]) so the inner loop reads
//            one vec4 of wEnc and RB/4 vec4 of x per d and issues RB vec4 fmas.
//            Overrides: WG_N (16), WG_B (16), RB (4, ≤ 8, multiple of 4), KT (16, multiple of 4); the tile
//            sizes XS_VEC4 = KT·TILE_B/4 and WS_VEC4 = KT·TILE_N/4 derive from them. Workgroup memory:
//            4·KT·(TILE_B + TILE_N) bytes (8 KiB for T64, 12 KiB for T128).
//            Variants (src/gpu/kernels/encode.ts): T64 64×64 (16×16, RB 4), T32 32×32 (8×8, RB 4),
//            T128 128×64 (16×16, RB 8).
// Edges:     tiles past batch, N or dIn are zero-filled in workgroup memory by the tile loads (the only
//            bounds checks besides the final store), so the fma loop has none; dIn need not be a
//            multiple of 4 (`mainScalar`) or of KT. Workgroups past tilesB·tilesN return at once.
//            batch = 0 or N = 0: dispatch nothing. dIn = 0: z = bEff.
// Twin:      src/core/sae/gemm.ts:matmulNT (and encodePre in src/core/sae/sae.ts, member by member).

override WG_N: u32 = 16u;  // invocations along the latent axis
override WG_B: u32 = 16u;  // invocations along the batch axis
override RB: u32 = 4u;     // rows per invocation (multiple of 4, at most 8)
override KT: u32 = 16u;    // dIn step per workgroup-memory tile (multiple of 4)
override XS_VEC4: u32 = KT * WG_B * RB / 4u; // vec4 slots of the x tile (derived: do not set)
override WS_VEC4: u32 = KT * WG_N;            // vec4 slots of the wEnc tile (derived: do not set)

struct Params {
  batch: u32,
  N: u32,
  dIn: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> xVec4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> wEncVec4: array<vec4<f32>>;
@group(0) @binding(0) var<storage, read> xScalar: array<f32>;
@group(0) @binding(1) var<storage, read> wEncScalar: array<f32>;
@group(0) @binding(2) var<storage, read> bEff: array<f32>;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

// d-major tiles: xs[d·TILE_B/4 + r/4][r%4] = x[row0 + r, k0 + d], ws[d·WG_N + c/4][c%4] = wEnc[col0 + c, k0 + d].
var<workgroup> xsTile: array<vec4<f32>, XS_VEC4>;
var<workgroup> wsTile: array<vec4<f32>, WS_VEC4>;

struct Tile {
  row0: u32,  // first batch row of the tile
  col0: u32,  // first latent of the tile
  valid: bool,
}

fn tileOf(wid: vec3<u32>, nwg: vec3<u32>) -> Tile {
  let wg = wid.x + wid.y * nwg.x;
  let tileB = WG_B * RB;
  let tilesB = (params.batch + tileB - 1u) / tileB;
  let tilesN = (params.N + WG_N * 4u - 1u) / (WG_N * 4u);
  return Tile((wg % tilesB) * tileB, (wg / tilesB) * WG_N * 4u, wg < tilesB * tilesN);
}

// Loads one KT-deep slice of x and wEnc (from dIn offset k0) as vec4 along dIn; zeros past the edges.
fn loadTilesVec4(t: Tile, k0: u32, lid: u32) {
  let kq = KT / 4u;            // vec4 per tile row
  let dq = params.dIn / 4u;    // vec4 per matrix row
  let threads = WG_N * WG_B;
  let tileB = WG_B * RB;
  for (var i = lid; i < tileB * kq; i += threads) {
    let r = i / kq;
    let q = i % kq;
    let row = t.row0 + r;
    let k = k0 + 4u * q;
    var v = vec4<f32>(0.0);
    if (row < params.batch && k < params.dIn) {
      v = xVec4[row * dq + k / 4u];
    }
    let base = 4u * q * (tileB / 4u) + r / 4u;
    xsTile[base][r % 4u] = v.x;
    xsTile[base + tileB / 4u][r % 4u] = v.y;
    xsTile[base + 2u * tileB / 4u][r % 4u] = v.z;
    xsTile[base + 3u * tileB / 4u][r % 4u] = v.w;
  }
  for (var i = lid; i < WG_N * 4u * kq; i += threads) {
    let c = i / kq;
    let q = i % kq;
    let col = t.col0 + c;
    let k = k0 + 4u * q;
    var v = vec4<f32>(0.0);
    if (col < params.N && k < params.dIn) {
      v = wEncVec4[col * dq + k / 4u];
    }
    let base = 4u * q * WG_N + c / 4u;
    wsTile[base][c % 4u] = v.x;
    wsTile[base + WG_N][c % 4u] = v.y;
    wsTile[base + 2u * WG_N][c % 4u] = v.z;
    wsTile[base + 3u * WG_N][c % 4u] = v.w;
  }
}

// The same slice read one f32 at a time (consecutive invocations read consecutive d): any dIn.
fn loadTilesScalar(t: Tile, k0: u32, lid: u32) {
  let threads = WG_N * WG_B;
  let tileB = WG_B * RB;
  for (var i = lid; i < tileB * KT; i += threads) {
    let r = i / KT;
    let d = i % KT;
    let row = t.row0 + r;
    let k = k0 + d;
    var v = 0.0;
    if (row < params.batch && k < params.dIn) {
      v = xScalar[row * params.dIn + k];
    }
    xsTile[d * (tileB / 4u) + r / 4u][r % 4u] = v;
  }
  for (var i = lid; i < WG_N * 4u * KT; i += threads) {
    let c = i / KT;
    let d = i % KT;
    let col = t.col0 + c;
    let k = k0 + d;
    var v = 0.0;
    if (col < params.N && k < params.dIn) {
      v = wEncScalar[col * params.dIn + k];
    }
    wsTile[d * WG_N + c / 4u][c % 4u] = v;
  }
}

// One invocation's RB×4 outputs: row i of the tile slice is r<i> (latents tx·4 .. +3). Named fields, not
// an array, so every index is static (no dynamic register indexing); r4..r7 are dead when RB = 4.
struct Acc {
  r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>,
  r4: vec4<f32>, r5: vec4<f32>, r6: vec4<f32>, r7: vec4<f32>,
}

// acc.r<i> += xs[d][ty·RB + i] · ws[d][tx·4 .. +3] for the KT values of d in the tile: no bounds checks.
fn multiplyTile(accIn: Acc, tx: u32, ty: u32) -> Acc {
  var a = accIn;
  let tileB4 = WG_B * RB / 4u;
  for (var d = 0u; d < KT; d++) {
    let w = wsTile[d * WG_N + tx];
    let xi = d * tileB4 + ty * (RB / 4u);
    let x0 = xsTile[xi];
    a.r0 = fma(vec4<f32>(x0.x), w, a.r0);
    a.r1 = fma(vec4<f32>(x0.y), w, a.r1);
    a.r2 = fma(vec4<f32>(x0.z), w, a.r2);
    a.r3 = fma(vec4<f32>(x0.w), w, a.r3);
    if (RB == 8u) {  // an override: folded at pipeline creation
      let x1 = xsTile[xi + 1u];
      a.r4 = fma(vec4<f32>(x1.x), w, a.r4);
      a.r5 = fma(vec4<f32>(x1.y), w, a.r5);
      a.r6 = fma(vec4<f32>(x1.z), w, a.r6);
      a.r7 = fma(vec4<f32>(x1.w), w, a.r7);
    }
  }
  return a;
}

// z[row, col0 .. col0+3] = v + bEff for the latents that exist; rows past batch write nothing.
fn storeRow(t: Tile, i: u32, tx: u32, ty: u32, v: vec4<f32>) {
  let row = t.row0 + ty * RB + i;
  let col = t.col0 + tx * 4u;
  let N = params.N;
  if (row >= params.batch) {
    return;
  }
  let o = row * N + col;
  if (col + 3u < N) {
    z[o] = v.x + bEff[col];
    z[o + 1u] = v.y + bEff[col + 1u];
    z[o + 2u] = v.z + bEff[col + 2u];
    z[o + 3u] = v.w + bEff[col + 3u];
  } else {
    for (var j = 0u; col + j < N; j++) {
      z[o + j] = v[j] + bEff[col + j];
    }
  }
}

fn storeTile(t: Tile, a: Acc, tx: u32, ty: u32) {
  storeRow(t, 0u, tx, ty, a.r0);
  storeRow(t, 1u, tx, ty, a.r1);
  storeRow(t, 2u, tx, ty, a.r2);
  storeRow(t, 3u, tx, ty, a.r3);
  if (RB == 8u) {
    storeRow(t, 4u, tx, ty, a.r4);
    storeRow(t, 5u, tx, ty, a.r5);
    storeRow(t, 6u, tx, ty, a.r6);
    storeRow(t, 7u, tx, ty, a.r7);
  }
}

@compute @workgroup_size(WG_N, WG_B)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = tileOf(wid, nwg);
  if (!t.valid) {
    return;
  }
  var acc: Acc;
  let steps = (params.dIn + KT - 1u) / KT;
  for (var s = 0u; s < steps; s++) {
    loadTilesVec4(t, s * KT, lid);
    workgroupBarrier();
    acc = multiplyTile(acc, lid3.x, lid3.y);
    workgroupBarrier();
  }
  storeTile(t, acc, lid3.x, lid3.y);
}

@compute @workgroup_size(WG_N, WG_B)
fn mainScalar(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = tileOf(wid, nwg);
  if (!t.valid) {
    return;
  }
  var acc: Acc;
  let steps = (params.dIn + KT - 1u) / KT;
  for (var s = 0u; s < steps; s++) {
    loadTilesScalar(t, s * KT, lid);
    workgroupBarrier();
    acc = multiplyTile(acc, lid3.x, lid3.y);
    workgroupBarrier();
  }
  storeTile(t, acc, lid3.x, lid3.y);
}
