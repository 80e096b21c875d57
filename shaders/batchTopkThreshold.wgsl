// batchTopkThreshold.wgsl — BatchTopK training codes: per ensemble member, keep the batch·k largest
// pre-activations over the whole batch (ties to the lower flat index), ReLU after; and the smallest
// positive kept value. A radix select with a multi-workgroup histogram in a storage buffer, then a
// masking pass. Six entry points, recorded in this order (src/gpu/kernels/topk.ts:recordBatchTopk):
//   initState → (histogram → selectBucket) ×3 → countTies → scanTies → applyMask
//
// Math:      per member j: over the flat index q = t·dSae + i of [batch, dSae] (element z[t, j·dSae + i]),
//            keep = batch·min(k, dSae) entries, the largest z first, ties to the lower q;
//            f[t, j·dSae + i] = z if kept and z > 0, else 0;
//            minKept[j] = the smallest kept z > 0 (0 if none).
// Bindings:  @group(0) (the same layout for every entry point)
//   0  z       : array<f32>          [batch, N]     read        N = M·dSae
//   1  hist    : array<atomic<u32>>  [M, 2048]      read_write  radix histogram (scratch; zeroed here)
//   2  state   : array<atomic<u32>>  [M, 8]         read_write  per member: 0 prefix, 1 mask (key bits
//              fixed so far), 2 remaining (keys == prefix still to take), 3 allTaken, 4 minPos (bits of
//              the smallest z > 0 of the batch), 5 minKept (f32 bits: the output), 6–7 unused
//   3  eqRow   : array<u32>          [M, batch]     read_write  per row: keys == threshold, then how many
//                                                               of them precede the row (exclusive sum)
//   4  f       : array<f32>          [batch, N]     read_write  the codes (every entry written)
//   5  params  : Params {batch, dSae, M, k, rowsPerWg, chunks, _pad0, _pad1: u32}   uniform, 32 bytes
// Dispatch:  initState, selectBucket, scanTies: M workgroups (workgroup j owns member j). histogram: M·chunks
//            workgroups, workgroup j·chunks + c owns rows [c·rowsPerWg, min((c+1)·rowsPerWg, batch)) of
//            member j (chunks = ceil(batch / rowsPerWg)). countTies, applyMask: batch·M workgroups, workgroup
//            t·M + j owns (row t, member j). All grids folded into 2-D past 65,535 by foldGrid.
//            Override: WG (invocations, default 256). Keys: f32 → order-preserving u32 (−0 read as +0);
//            three radix passes over the key bits 31..21, 20..10, 9..0 (no early exit); when every entry
//            is kept (k ≥ dSae) they only find the smallest positive z. Each histogram workgroup counts into workgroup memory and
//            adds its non-zero bins to `hist` with atomicAdd (u32 sums: order-independent, deterministic);
//            selectBucket finds the bucket holding the remaining-th key from the top and zeroes `hist`.
// Edges:     rows and dSae need not be multiples of WG or rowsPerWg. Ties at the threshold go to the
//            lower flat index through an ordered count: per-row tie counts (countTies), their exclusive
//            sum over rows (scanTies) and an in-row prefix sum (applyMask). minKept is exact: the threshold's
//            value when it is > 0, else the batch's smallest positive z (0 if none). z must be finite.
// Twin:      src/core/sae/sae.ts:batchTopkCodes (per member).

override WG: u32 = 256u;

const BINS: u32 = 2048u;
const SCAN_RUN: u32 = 16u; // entries per serial run of scanInclusive
const POS_INF: u32 = 0x7F800000u;

struct Params {
  batch: u32,
  dSae: u32,
  M: u32,
  k: u32,
  rowsPerWg: u32,
  chunks: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read_write> hist: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> state: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> eqRow: array<u32>;
@group(0) @binding(4) var<storage, read_write> f: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> localHist: array<atomic<u32>, BINS>;
var<workgroup> localMinPos: atomic<u32>; // max of ~bits over z > 0 (0: none yet; workgroup memory starts at 0)
var<workgroup> scan: array<vec2<u32>, WG>;
var<workgroup> runTotal: array<vec2<u32>, (WG + SCAN_RUN - 1u) / SCAN_RUN>;
var<workgroup> sPrefix: u32;
var<workgroup> sMask: u32;
var<workgroup> sRemaining: u32;
var<workgroup> sAllTaken: u32;

/** Order-preserving f32 → u32: larger float, larger key; −0 maps like +0. */
fn toKey(v: f32) -> u32 {
  let b = select(bitcast<u32>(v), 0u, v == 0.0);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn fromKey(key: u32) -> f32 {
  return bitcast<f32>(select(~key, key & 0x7FFFFFFFu, (key & 0x80000000u) != 0u));
}

/** Radix pass from the bits already fixed: 0 (none), 1 (31..21), 2 (31..10). */
fn passOf(mask: u32) -> u32 {
  return select(select(2u, 1u, mask == 0xFFE00000u), 0u, mask == 0u);
}

fn linearWg(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

/** Inclusive prefix sum of scan[0 .. WG) in place (two levels, 4 barriers); as in topk.wgsl. */
fn scanInclusive(lid: u32) {
  let runs = (WG + SCAN_RUN - 1u) / SCAN_RUN;
  workgroupBarrier();
  if (lid < runs) {
    let lo = lid * SCAN_RUN;
    let hi = min(lo + SCAN_RUN, WG);
    var acc = vec2<u32>(0u);
    for (var i = lo; i < hi; i++) {
      acc += scan[i];
      scan[i] = acc;
    }
    runTotal[lid] = acc;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var acc = vec2<u32>(0u);
    for (var r = 0u; r < runs; r++) {
      let v = runTotal[r];
      runTotal[r] = acc;
      acc += v;
    }
  }
  workgroupBarrier();
  scan[lid] += runTotal[lid / SCAN_RUN];
  workgroupBarrier();
}

/** Copies member j's selection state into workgroup memory; returns allTaken, uniformly. */
fn loadState(j: u32, lid: u32) -> u32 {
  if (lid == 0u) {
    sPrefix = atomicLoad(&state[j * 8u]);
    sMask = atomicLoad(&state[j * 8u + 1u]);
    sRemaining = atomicLoad(&state[j * 8u + 2u]);
    sAllTaken = atomicLoad(&state[j * 8u + 3u]);
  }
  return workgroupUniformLoad(&sAllTaken);
}

@compute @workgroup_size(WG)
fn initState(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let j = linearWg(wid, nwg);
  if (j >= params.M) {
    return;
  }
  for (var b = lid; b < BINS; b += WG) {
    atomicStore(&hist[j * BINS + b], 0u);
  }
  if (lid == 0u) {
    let keep = params.batch * min(params.k, params.dSae);
    atomicStore(&state[j * 8u], 0u);
    atomicStore(&state[j * 8u + 1u], 0u);
    atomicStore(&state[j * 8u + 2u], keep);
    atomicStore(&state[j * 8u + 3u], u32(params.k >= params.dSae));
    atomicStore(&state[j * 8u + 4u], POS_INF);
    atomicStore(&state[j * 8u + 5u], 0u);
  }
}

@compute @workgroup_size(WG)
fn histogram(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let wg = linearWg(wid, nwg);
  if (wg >= params.M * params.chunks) {
    return;
  }
  let j = wg / params.chunks;
  let c = wg % params.chunks;
  // When every entry is kept (allTaken) the passes only find minPos (the mask stays empty: pass 0).
  let allTaken = loadState(j, lid) != 0u;
  let prefix = sPrefix;
  let mask = sMask;
  let p = passOf(mask);
  let shift = select(21u - 11u * p, 0u, p == 2u);
  let digitMask = select(0x7FFu, 0x3FFu, p == 2u);
  let dSae = params.dSae;
  let n = params.M * dSae;
  let t0 = c * params.rowsPerWg;
  let count = min(params.rowsPerWg, params.batch - t0) * dSae;
  for (var e = lid; e < count; e += WG) {
    let v = z[(t0 + e / dSae) * n + j * dSae + e % dSae];
    let key = toKey(v);
    if (!allTaken && (key & mask) == prefix) {
      atomicAdd(&localHist[(key >> shift) & digitMask], 1u);
    }
    if (p == 0u && v > 0.0) {
      atomicMax(&localMinPos, ~bitcast<u32>(v));
    }
  }
  workgroupBarrier();
  for (var b = lid; b <= digitMask && !allTaken; b += WG) {
    let h = atomicLoad(&localHist[b]);
    if (h > 0u) {
      atomicAdd(&hist[j * BINS + b], h);
    }
  }
  if (lid == 0u && p == 0u) {
    let m = atomicLoad(&localMinPos);
    if (m != 0u) {
      atomicMin(&state[j * 8u + 4u], ~m);
    }
  }
}

@compute @workgroup_size(WG)
fn selectBucket(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let j = linearWg(wid, nwg);
  if (j >= params.M) {
    return;
  }
  if (loadState(j, lid) != 0u) {
    return;
  }
  let prefix = sPrefix;
  let mask = sMask;
  let remaining = sRemaining;
  let p = passOf(mask);
  let shift = select(21u - 11u * p, 0u, p == 2u);
  let digitMask = select(0x7FFu, 0x3FFu, p == 2u);
  let bins = digitMask + 1u;
  // Invocation lid sums the bins of group WG−1−lid: the inclusive scan counts from the top down.
  let per = (bins + WG - 1u) / WG;
  let binLo = min((WG - 1u - lid) * per, bins);
  let binHi = min(binLo + per, bins);
  var mine = 0u;
  for (var b = binLo; b < binHi; b++) {
    mine += atomicLoad(&hist[j * BINS + b]);
  }
  scan[lid] = vec2<u32>(mine, 0u);
  scanInclusive(lid);
  let above = scan[lid].x - mine;
  if (above < remaining && remaining <= scan[lid].x) {
    var cum = above;
    for (var b = binHi; b > binLo; b--) {
      let h = atomicLoad(&hist[j * BINS + b - 1u]);
      if (cum + h >= remaining) {
        atomicStore(&state[j * 8u], prefix | ((b - 1u) << shift));
        atomicStore(&state[j * 8u + 1u], mask | (digitMask << shift));
        atomicStore(&state[j * 8u + 2u], remaining - cum);
        break;
      }
      cum += h;
    }
  }
  storageBarrier();
  workgroupBarrier(); // every invocation has read hist: zero it for the next pass
  for (var b = lid; b < BINS; b += WG) {
    atomicStore(&hist[j * BINS + b], 0u);
  }
}

@compute @workgroup_size(WG)
fn countTies(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let wg = linearWg(wid, nwg);
  if (wg >= params.batch * params.M) {
    return;
  }
  let t = wg / params.M;
  let j = wg % params.M;
  let dSae = params.dSae;
  let base = t * params.M * dSae + j * dSae;
  let prefix = atomicLoad(&state[j * 8u]);
  let mask = atomicLoad(&state[j * 8u + 1u]);
  var mine = 0u;
  for (var i = lid; i < dSae; i += WG) {
    mine += u32((toKey(z[base + i]) & mask) == prefix);
  }
  scan[lid] = vec2<u32>(mine, 0u);
  scanInclusive(lid);
  if (lid == 0u) {
    eqRow[j * params.batch + t] = scan[WG - 1u].x;
  }
}

@compute @workgroup_size(WG)
fn scanTies(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let j = linearWg(wid, nwg);
  if (j >= params.M) {
    return;
  }
  let batch = params.batch;
  let chunk = (batch + WG - 1u) / WG;
  let lo = min(lid * chunk, batch);
  let hi = min(lo + chunk, batch);
  var mine = 0u;
  for (var t = lo; t < hi; t++) {
    mine += eqRow[j * batch + t];
  }
  scan[lid] = vec2<u32>(mine, 0u);
  scanInclusive(lid);
  var before = scan[lid].x - mine;
  for (var t = lo; t < hi; t++) {
    let e = eqRow[j * batch + t];
    eqRow[j * batch + t] = before;
    before += e;
  }
  if (lid == 0u) {
    // The smallest kept z > 0: the threshold's value when positive (the threshold is kept), else every
    // positive z is kept and it is the batch's smallest positive z (none: 0).
    let minPos = atomicLoad(&state[j * 8u + 4u]);
    var minKept = select(minPos, 0u, minPos == POS_INF);
    let threshold = fromKey(atomicLoad(&state[j * 8u]));
    if (atomicLoad(&state[j * 8u + 3u]) == 0u && threshold > 0.0) {
      minKept = bitcast<u32>(threshold);
    }
    atomicStore(&state[j * 8u + 5u], minKept);
  }
}

@compute @workgroup_size(WG)
fn applyMask(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let wg = linearWg(wid, nwg);
  if (wg >= params.batch * params.M) {
    return;
  }
  let t = wg / params.M;
  let j = wg % params.M;
  let dSae = params.dSae;
  let base = t * params.M * dSae + j * dSae;
  let prefix = atomicLoad(&state[j * 8u]);
  let bitsFixed = atomicLoad(&state[j * 8u + 1u]);
  let takeEq = atomicLoad(&state[j * 8u + 2u]);
  // Ordered count of ties: invocation lid owns the contiguous chunk [lo, hi) of the row.
  let chunk = (dSae + WG - 1u) / WG;
  let lo = min(lid * chunk, dSae);
  let hi = min(lo + chunk, dSae);
  var mine = 0u;
  for (var i = lo; i < hi; i++) {
    mine += u32((toKey(z[base + i]) & bitsFixed) == prefix);
  }
  scan[lid] = vec2<u32>(mine, 0u);
  scanInclusive(lid);
  var eqPos = eqRow[j * params.batch + t] + scan[lid].x - mine;
  for (var i = lo; i < hi; i++) {
    let v = z[base + i];
    let mk = toKey(v) & bitsFixed;
    var kept = mk > prefix;
    if (mk == prefix) {
      kept = eqPos < takeEq;
      eqPos++;
    }
    f[base + i] = select(0.0, v, kept && v > 0.0);
  }
}
