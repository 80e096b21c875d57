// partitionError.wgsl — per pixel of a grid on a plane, the model's reconstruction error ‖x − x̂‖² (raw input
// units), for shading the partition by error (issue #12; seed-papers §3.2: the map is affine on each region).
//
// Math:      pixel centres as partition.wgsl; s_i = a u² + b uv + c v² + d u + e v + f (coef[i]);
//            RULE 2 argmin:    err = min_i s_i (k-means / k-flats: the score is the residual);
//            RULE 0 topk:      S = the k largest key_i (key = |s_i| when ABS, else s_i; ties to the lower i);
//            RULE 1 threshold: S = {i : s_i > theta[i]};
//            f_i = max(s_i, 0) when RELU, else s_i;
//            err = Q(u, v) − 2 Σ_{i∈S} f_i (lin[i]·(1, u, v)) + Σ_{i,j∈S} f_i f_j gram[i, j],
//            Q = qa u² + qb uv + qc v² + qd u + qe v + qf (src/core/geometry/error.ts: PlaneError); err ≥ 0.
// Bindings:  @group(0)
//   0  coef    : array<f32>   [units, 6]        read
//   1  theta   : array<f32>   [units]           read        RULE 1 only; otherwise any buffer of ≥ 4 bytes
//   2  lin     : array<f32>   [units, 3]        read        RULE 0/1 only
//   3  gram    : array<f32>   [units, units]    read        RULE 0/1 only
//   4  err     : array<f32>   [height·width]    read_write
//   5  params  : Params {width, height, units, k, rule, flags (1 ABS, 2 RELU), _pad ×2: u32;
//                        u0, u1, v0, v1, qa, qb, qc, qd, qe, qf, _pad ×2: f32}   uniform, 80 bytes
// Dispatch:  ceil(width/8) × ceil(height/8) workgroups of 8×8 invocations, one pixel each; no workgroup memory.
//            Cost per pixel: topk O(units + k²) with k ≤ KMAX = 32 (the host refuses more); threshold
//            O(units + |S|·units): the pair sum recomputes the earlier scores instead of storing S (any size).
// Edges:     pixels past width/height return. Ties as partition.wgsl. f32 throughout: the cancellation in
//            Q − 2ΣfL + ΣΣffG loses digits where err ≪ ‖x‖² (fine for shading; the twin sums in f64).
// Twin:      src/core/geometry/error.ts:errorGrid.

const KMAX: u32 = 32u;

struct Params {
  width: u32,
  height: u32,
  units: u32,
  k: u32,
  rule: u32,
  flags: u32,
  _pad0: u32,
  _pad1: u32,
  u0: f32,
  u1: f32,
  v0: f32,
  v1: f32,
  qa: f32,
  qb: f32,
  qc: f32,
  qd: f32,
  qe: f32,
  qf: f32,
  _pad2: f32,
  _pad3: f32,
}

@group(0) @binding(0) var<storage, read> coef: array<f32>;
@group(0) @binding(1) var<storage, read> theta: array<f32>;
@group(0) @binding(2) var<storage, read> lin: array<f32>;
@group(0) @binding(3) var<storage, read> gram: array<f32>;
@group(0) @binding(4) var<storage, read_write> err: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

fn score(i: u32, quad: vec3<f32>, lin3: vec3<f32>) -> f32 {
  let o = 6u * i;
  return dot(vec3<f32>(coef[o], coef[o + 1u], coef[o + 2u]), quad) + dot(vec3<f32>(coef[o + 3u], coef[o + 4u], coef[o + 5u]), lin3);
}

fn code(s: f32) -> f32 {
  return select(s, max(s, 0.0), (params.flags & 2u) != 0u);
}

/** lin[i]·(1, u, v): d_i·r0 at (u, v). */
fn linTerm(i: u32, u: f32, v: f32) -> f32 {
  return lin[3u * i] + lin[3u * i + 1u] * u + lin[3u * i + 2u] * v;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x;
  let row = gid.y;
  if (col >= params.width || row >= params.height) {
    return;
  }
  let u = params.u0 + ((f32(col) + 0.5) * (params.u1 - params.u0)) / f32(params.width);
  let v = params.v1 - ((f32(row) + 0.5) * (params.v1 - params.v0)) / f32(params.height);
  let quad = vec3<f32>(u * u, u * v, v * v);
  let lin3 = vec3<f32>(u, v, 1.0);
  let px = row * params.width + col;
  let units = params.units;

  if (params.rule == 2u) {
    var best = score(0u, quad, lin3);
    for (var i = 1u; i < units; i++) {
      best = min(best, score(i, quad, lin3));
    }
    err[px] = best;
    return;
  }

  var e = dot(vec3<f32>(params.qa, params.qb, params.qc), quad) + dot(vec3<f32>(params.qd, params.qe, params.qf), lin3);
  if (params.rule == 1u) {
    for (var i = 0u; i < units; i++) {
      let si = score(i, quad, lin3);
      if (!(si > theta[i])) {
        continue;
      }
      let fi = code(si);
      e += fi * (fi * gram[i * units + i] - 2.0 * linTerm(i, u, v));
      for (var j = 0u; j < i; j++) {
        let sj = score(j, quad, lin3);
        if (sj > theta[j]) {
          e += 2.0 * fi * code(sj) * gram[i * units + j];
        }
      }
    }
  } else {
    // topk: the selection of partition.wgsl, then the k² pair sum over private arrays.
    let useAbs = (params.flags & 1u) != 0u;
    var topKey: array<f32, KMAX>;
    var topIdx: array<u32, KMAX>;
    var m = 0u;
    var kth = 0.0;
    for (var i = 0u; i < units; i++) {
      let s = score(i, quad, lin3);
      let key = select(s, abs(s), useAbs);
      if (m == params.k && !(key > kth)) {
        continue;
      }
      var p = m;
      if (m == params.k) {
        p = params.k - 1u;
      } else {
        m++;
      }
      while (p > 0u && topKey[p - 1u] < key) {
        topKey[p] = topKey[p - 1u];
        topIdx[p] = topIdx[p - 1u];
        p--;
      }
      topKey[p] = key;
      topIdx[p] = i;
      if (m == params.k) {
        kth = topKey[params.k - 1u];
      }
    }
    var f: array<f32, KMAX>;
    for (var a = 0u; a < m; a++) {
      let i = topIdx[a];
      f[a] = code(score(i, quad, lin3));
      e += f[a] * (f[a] * gram[i * units + i] - 2.0 * linTerm(i, u, v));
      for (var b = 0u; b < a; b++) {
        e += 2.0 * f[a] * f[b] * gram[i * units + topIdx[b]];
      }
    }
  }
  err[px] = max(e, 0.0);
}
