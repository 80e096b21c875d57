// partition.wgsl — per pixel of a grid on a plane, the region id of any model's per-unit quadratic scores
// (the geometry lab's partition drawing, issue #12; seed-papers §3.5 "WGSL recipe for the 2-D viewer").
//
// Math:      pixel (col, row), row 0 at the top: u = u0 + ((col + ½)·(u1 − u0))/width,
//            v = v1 − ((row + ½)·(v1 − v0))/height;
//            s_i = a u² + b uv + c v² + d u + e v + f  (coef[i] = a b c d e f), for 0 ≤ i < units;
//            label = RULE 0 topk:      the k largest key_i (key = |s_i| when ABS, else s_i), ties to the lower i;
//                                      with RELU only those with s_i > 0; sorted by index ascending;
//                    RULE 1 threshold: {i : s_i > theta[i]} ascending;
//                    RULE 2 argmin:    [the i with the smallest s_i, ties to the lower i];
//            ids[p, w] = murmur3-32 of the label's indices (as u32 words) with seed SEEDS[w], w < words.
// Bindings:  @group(0)
//   0  coef    : array<f32>   [units, 6]        read
//   1  theta   : array<f32>   [units]           read        RULE 1 only; otherwise any buffer of ≥ 4 bytes
//   2  ids     : array<u32>   [height·width, words]  read_write
//   3  params  : Params {width, height, units, k, rule, flags (1 ABS, 2 RELU), words, _pad: u32;
//                        u0, u1, v0, v1: f32}   uniform, 48 bytes
// Dispatch:  ceil(width/TW) × ceil(height/TH) workgroups of TW×TH = 8×8 invocations, one pixel each.
//            The coefficients stream through workgroup memory in tiles of TW·TH units (every invocation
//            loads one unit of a tile, then all read it: one global read per unit per workgroup); the
//            number of tiles comes from the uniform, so barriers are in uniform control flow.
//            Limits: topk needs k ≤ KMAX = 32 (private arrays of the running top-k; the host refuses more,
//            src/gpu/kernels/partition.ts, and the CPU twin serves); threshold and argmin stream, any units.
//            Grid sides ≤ 65,535·8 = 524,280 pixels.
// Edges:     pixels past width/height take part in the tile loads and barriers but write nothing. units ≥ 1.
//            Ties: topk keeps the lower index among equal keys (insertion never passes an equal key);
//            argmin keeps the first smallest; threshold is strict (s = θ is inactive). Scores are f32 (the
//            twin evaluates in f64): pixels within f32 rounding of a boundary may differ from the twin.
// Twin:      src/core/geometry/regions.ts:regionIds (and regionLabel, hashLabel).

const TW: u32 = 8u;
const TH: u32 = 8u;
const TILE: u32 = 64u; // TW·TH units per tile
const KMAX: u32 = 32u;
const NEG_BIT: u32 = 0x80000000u; // topk: set on a selected index whose score is ≤ 0 (RELU drops it)
const SEED0: u32 = 0x9747b28cu;
const SEED1: u32 = 0x2545f491u;

struct Params {
  width: u32,
  height: u32,
  units: u32,
  k: u32,
  rule: u32,
  flags: u32,
  words: u32,
  _pad: u32,
  u0: f32,
  u1: f32,
  v0: f32,
  v1: f32,
}

@group(0) @binding(0) var<storage, read> coef: array<f32>;
@group(0) @binding(1) var<storage, read> theta: array<f32>;
@group(0) @binding(2) var<storage, read_write> ids: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> tileAbc: array<vec3<f32>, TILE>;
var<workgroup> tileDef: array<vec3<f32>, TILE>;

fn rotl(x: u32, r: u32) -> u32 {
  return (x << r) | (x >> (32u - r));
}

/** One murmur3-32 body step: mixes the word w into h. */
fn mixWord(h: u32, w: u32) -> u32 {
  var kw = w * 0xcc9e2d51u;
  kw = rotl(kw, 15u);
  kw = kw * 0x1b873593u;
  return rotl(h ^ kw, 13u) * 5u + 0xe6546b64u;
}

/** murmur3-32 finalisation for n words (the length in bytes is 4n). */
fn finish(h0: u32, n: u32) -> u32 {
  var h = h0 ^ (n * 4u);
  h = h ^ (h >> 16u);
  h = h * 0x85ebca6bu;
  h = h ^ (h >> 13u);
  h = h * 0xc2b2ae35u;
  return h ^ (h >> 16u);
}

@compute @workgroup_size(TW, TH)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let col = gid.x;
  let row = gid.y;
  let inside = col < params.width && row < params.height;
  let u = params.u0 + ((f32(col) + 0.5) * (params.u1 - params.u0)) / f32(params.width);
  let v = params.v1 - ((f32(row) + 0.5) * (params.v1 - params.v0)) / f32(params.height);
  let quad = vec3<f32>(u * u, u * v, v * v);
  let lin = vec3<f32>(u, v, 1.0);
  let useAbs = (params.flags & 1u) != 0u;

  var topKey: array<f32, KMAX>;
  var topIdx: array<u32, KMAX>;
  var m = 0u; // topk: entries held
  var kth = 0.0; // topk: topKey[k − 1] once m = k (a register copy: most units are rejected by one compare)
  var h0 = SEED0; // threshold: running hashes and count
  var h1 = SEED1;
  var n = 0u;
  var best = 0u; // argmin
  var bestS = 0.0;

  let tiles = (params.units + TILE - 1u) / TILE;
  for (var t = 0u; t < tiles; t++) {
    let load = t * TILE + lid;
    if (load < params.units) {
      tileAbc[lid] = vec3<f32>(coef[6u * load], coef[6u * load + 1u], coef[6u * load + 2u]);
      tileDef[lid] = vec3<f32>(coef[6u * load + 3u], coef[6u * load + 4u], coef[6u * load + 5u]);
    }
    workgroupBarrier();
    let count = min(TILE, params.units - t * TILE);
    for (var j = 0u; j < count; j++) {
      let i = t * TILE + j;
      let s = dot(tileAbc[j], quad) + dot(tileDef[j], lin);
      if (params.rule == 1u) {
        if (s > theta[i]) {
          h0 = mixWord(h0, i);
          h1 = mixWord(h1, i);
          n++;
        }
      } else if (params.rule == 2u) {
        if (i == 0u || s < bestS) {
          best = i;
          bestS = s;
        }
      } else {
        let key = select(s, abs(s), useAbs);
        let tagged = select(i, i | NEG_BIT, s <= 0.0);
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
        topIdx[p] = tagged;
        if (m == params.k) {
          kth = topKey[params.k - 1u];
        }
      }
    }
    workgroupBarrier();
  }
  if (!inside) {
    return;
  }

  if (params.rule == 2u) {
    h0 = mixWord(h0, best);
    h1 = mixWord(h1, best);
    n = 1u;
  } else if (params.rule == 0u) {
    // The label: drop ≤ 0 under RELU, sort ascending by index (insertion sort on ≤ KMAX entries), then hash.
    let relu = (params.flags & 2u) != 0u;
    var label: array<u32, KMAX>;
    for (var j = 0u; j < m; j++) {
      if (relu && (topIdx[j] & NEG_BIT) != 0u) {
        continue;
      }
      let i = topIdx[j] & ~NEG_BIT;
      var p = n;
      while (p > 0u && label[p - 1u] > i) {
        label[p] = label[p - 1u];
        p--;
      }
      label[p] = i;
      n++;
    }
    for (var j = 0u; j < n; j++) {
      h0 = mixWord(h0, label[j]);
      h1 = mixWord(h1, label[j]);
    }
  }
  let px = row * params.width + col;
  ids[px * params.words] = finish(h0, n);
  if (params.words == 2u) {
    ids[px * params.words + 1u] = finish(h1, n);
  }
}
