// pamGram.wgsl — PAM-SGD's decoder statistics from sparse TopK codes, accumulated over chunks of rows on the GPU:
// the Gram matrix G = Σ z zᵀ by per-latent sparse outer products (entry point `gram`) and Σx (entry point `sumX`).
// H = Σ x zᵀ and Σz come from weightGrad.wgsl (coef = val, src = x) over the same latentIndex.wgsl segments.
//
// Math:      gram: for each latent i and each row b of the chunk with i among its slots (s: idx[b, s] = i), in
//              ascending b:  G[i, idx[b, t]] += val[b, s]·val[b, t]   for every non-empty slot t of row b.
//              So G[i, c] (+)= Σ_b z[b, i]·z[b, c], one f32 add per term, in row order (products commute, and the
//              rows where both i and c are active are the same set in both segments: G is bitwise symmetric).
//            sumX: sx[d] (+)= Σ_b x[b, d]   (chunk sum in f32, then one add).
//            accumulate = 0 overwrites (first chunk), 1 adds (later chunks).
//            Why a per-latent scatter and not one invocation per (i, c) merging two segments: the merge costs
//            Σ_{i,c} (len_i + len_c) = 2·m·rows·k per chunk (1e9 at m = 4096, rows = 4096, k = 32), the scatter
//            rows·k² (4e6), the work there is. No float atomics: workgroup i alone writes row i of G, and its
//            invocations split the k partner slots of one row b, whose latents are distinct (TopK), so two
//            invocations never write one entry between two storageBarrier()s. Deterministic.
//            f32 error: every term of G[i, c] is rounded once into a running f32 sum over all rows of all chunks,
//            so |G − Σ z zᵀ| ≤ (n + 1)·2⁻²⁴·Σ|z_i z_c| with n the rows that selected both (≤ N rows in all; for
//            ReLU'd codes the terms are ≥ 0 and Σ|·| = G: a relative error ≤ (N + 1)·2⁻²⁴, 4e-3 at N = 65,536,
//            typically √N·2⁻²⁴). Tested against the f64 twin with that bound.
// Bindings:  @group(0)  (one layout for both entry points; each uses a subset)
//   0  offsets : array<u32>  [dSae + 1]     read  (latentIndex.wgsl over this chunk's idx, M = 1)
//   1  entries : array<u32>  [rows·k]       read  (codes b·k + s, ascending per segment)
//   2  idx     : array<u32>  [rows, k]      read  (latent per slot; ≥ dSae = empty, e.g. 0xFFFFFFFF)
//   3  val     : array<f32>  [rows, k]      read
//   4  x       : array<f32>  [rows, dIn]    read
//   5  G       : array<f32>  [dSae, dSae]   read_write
//   6  sx      : array<f32>  [dIn]          read_write
//   7  params  : Params {rows, k, dIn, dSae, accumulate, _pad ×3: u32}  uniform
// Dispatch:  gram: dSae workgroups (folded past 65,535), workgroup i owns row i of G; WG invocations (override,
//              default 64) zero the row (accumulate = 0), then walk the segment: per entry, invocation t handles
//              slots t, t + WG, … < k, then storageBarrier(). Segment bounds are read with workgroupUniformLoad.
//            sumX: ceil(dIn / WG) workgroups, one invocation per column d, looping over the rows.
// Edges:     empty slots (idx ≥ dSae) contribute nothing; latents no row selected (dead) keep zero rows and columns
//            (or their accumulated values); val = 0 slots add exact zeros; any dSae, k, dIn ≥ 1, rows ≥ 1; a short
//            last chunk can be padded with empty slots and zero x rows (they add nothing).
// Twin:      src/core/sae/pamStats.ts:accumulatePamStats

override WG: u32 = 64u;

struct Params {
  rows: u32,
  k: u32,
  dIn: u32,
  dSae: u32,
  accumulate: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> offsets: array<u32>;
@group(0) @binding(1) var<storage, read> entries: array<u32>;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read> val: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> G: array<f32>;
@group(0) @binding(6) var<storage, read_write> sx: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

var<workgroup> shRange: vec2<u32>;

@compute @workgroup_size(WG)
fn gram(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let m = params.dSae;
  let i = wid.x + wid.y * nwg.x;
  if (i >= m) {
    return;
  }
  let row0 = i * m;
  if (params.accumulate == 0u) {
    for (var c = lid; c < m; c += WG) {
      G[row0 + c] = 0.0;
    }
  }
  if (lid == 0u) {
    shRange = vec2<u32>(offsets[i], offsets[i + 1u]);
  }
  let range = workgroupUniformLoad(&shRange);
  storageBarrier(); // the zeroed row is visible to every invocation before the first add
  let k = params.k;
  for (var p = range.x; p < range.y; p++) {
    let code = entries[p];
    let base = code - code % k; // b·k: the row's first slot
    let vi = val[code];
    for (var t = lid; t < k; t += WG) {
      let c = idx[base + t];
      if (c < m) {
        G[row0 + c] = G[row0 + c] + vi * val[base + t];
      }
    }
    storageBarrier(); // the next row may select the same partner in another slot (another invocation)
  }
}

@compute @workgroup_size(WG)
fn sumX(@builtin(global_invocation_id) gid: vec3<u32>) {
  let d = gid.x;
  let dIn = params.dIn;
  if (d >= dIn) {
    return;
  }
  var acc = 0.0;
  for (var b = 0u; b < params.rows; b++) {
    acc += x[b * dIn + d];
  }
  if (params.accumulate != 0u) {
    sx[d] = sx[d] + acc;
  } else {
    sx[d] = acc;
  }
}
