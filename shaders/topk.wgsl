// topk.wgsl — per row and per ensemble member, the k largest pre-activations by radix select (entry point
// `main`) or by one invocation per row (entry point `serial`), and the AuxK variant (the kAux largest among
// dead latents), with ReLU applied after selection.
//
// Math:      for row t < batch and member j < M, S = the k largest z[t, j·dSae + i] over 0 ≤ i < dSae
//            (MASKED: only i with dead[j·dSae + i] ≠ 0), ties to the lower i; then
//            idx[t, j, r] = i_r and val[t, j, r] = max(z[t, j·dSae + i_r], 0) for r < |S|, ordered by
//            z descending then i ascending (the order of src/core/sae/sae.ts:topkRow).
// Bindings:  @group(0)
//   0  z       : array<f32>   [batch, N]       read        N = M·dSae; member j owns columns j·dSae ..
//   1  dead    : array<u32>   [N]              read        MASKED only (≠ 0: candidate); otherwise any
//                                                          buffer of ≥ 4 bytes (it is not read)
//   2  idx     : array<u32>   [batch, M, k]    read_write  latent index within the member, 0 .. dSae−1
//   3  val     : array<f32>   [batch, M, k]    read_write  max(z, 0) of the selected latent
//   4  params  : Params {batch, dSae, M, k: u32}   uniform, 16 bytes
// Dispatch:  `main` (radix): batch·M workgroups, folded into 2-D past 65,535 by foldGrid; workgroup
//            wg = t·M + j owns (row t, member j). Overrides: WG (invocations, default 256; any value ≤ the device's
//            maxComputeInvocationsPerWorkgroup), KMAX (capacity of the result arrays, default 128;
//            requires k ≤ KMAX; workgroup memory ≈ 8 KiB + 8.5·WG + 8·KMAX bytes), MASKED (AuxK).
//            Keys: f32 → order-preserving u32 (−0 is read as +0). Up to three radix passes over the key
//            bits 31..21, 20..10, 9..0 with a 2048-bin workgroup histogram of atomic<u32> find the k-th
//            key T; a pass stops the search early when the bucket holding the k-th key is taken whole,
//            and none runs when every candidate is taken (k = dSae, or MASKED with ≤ k candidates). One
//            ordered compaction (per-invocation contiguous chunks + a workgroup prefix sum) keeps keys
//            above T and the lowest-index keys equal to T (compared in the bits fixed so far); a rank
//            sort in workgroup memory orders the k results.
//            `serial`: ceil(batch·M / WG) workgroups (folded), invocation r = wg·WG + lid owns (row t,
//            member j) with r = t·M + j and walks the row once keeping a private sorted top-k; no barriers,
//            no workgroup memory; requires k ≤ SERIAL_KMAX = 64 (KMAX unused). The host's choice:
//            src/gpu/kernels/topk.ts:chooseTopk (serial on software adapters, radix on real GPUs).
// Edges:     dSae need not be a multiple of WG; k ≤ dSae unless MASKED. MASKED with c < k candidates
//            (c may be 0) fills slots c .. k−1 with idx = 0xFFFFFFFF and val = 0. Ties: equal values go
//            to the lower index, deterministic (integer atomics only build histograms, whose counts do
//            not depend on the order of the adds). All-negative rows: the k largest z, val = 0.
//            z must be finite (no NaN).
// Twin:      src/core/sae/sae.ts:topkRow (per row and member; MASKED: its `allowed` argument), topkCodes.

override WG: u32 = 256u;
override KMAX: u32 = 128u;
override MASKED: bool = false;

const BINS: u32 = 2048u;
const NONE: u32 = 0xFFFFFFFFu;
const SCAN_RUN: u32 = 16u; // entries per serial run of scanInclusive

struct Params {
  batch: u32,
  dSae: u32,
  M: u32,
  k: u32,
}

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> dead: array<u32>;
@group(0) @binding(2) var<storage, read_write> idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> val: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> hist: array<atomic<u32>, BINS>;
var<workgroup> scan: array<vec2<u32>, WG>;
var<workgroup> runTotal: array<vec2<u32>, (WG + SCAN_RUN - 1u) / SCAN_RUN>;
var<workgroup> candKey: array<u32, KMAX>;
var<workgroup> candIdx: array<u32, KMAX>;
var<workgroup> sPrefix: u32;     // key bits fixed so far
var<workgroup> sMask: u32;       // which bits of sPrefix are fixed
var<workgroup> sRemaining: u32;  // how many keys matching the prefix are still to be taken
var<workgroup> sDone: u32;       // 1: the selection is settled (no further radix pass needed)

/** Order-preserving f32 → u32: larger float, larger key; −0 maps like +0. */
fn toKey(v: f32) -> u32 {
  let b = select(bitcast<u32>(v), 0u, v == 0.0);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn fromKey(key: u32) -> f32 {
  return bitcast<f32>(select(~key, key & 0x7FFFFFFFu, (key & 0x80000000u) != 0u));
}

fn isCandidate(member: u32, i: u32) -> bool {
  if (MASKED) {
    return dead[member * params.dSae + i] != 0u;
  }
  return true;
}

/**
 * Inclusive prefix sum of scan[0 .. WG) in place; all invocations must call it after writing their own
 * scan[lid]. Two levels with 4 barriers (a Hillis–Steele scan needs 2·log₂WG, and barriers are what
 * software adapters pay for): invocations 0 .. NG−1 scan runs of SCAN_RUN entries serially, invocation 0
 * scans the NG run totals, everyone adds its run's offset.
 */
fn scanInclusive(lid: u32) {
  let runs = (WG + SCAN_RUN - 1u) / SCAN_RUN;
  workgroupBarrier(); // the caller's writes of scan[] are visible
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
      runTotal[r] = acc; // exclusive: the offset of run r
      acc += v;
    }
  }
  workgroupBarrier();
  scan[lid] += runTotal[lid / SCAN_RUN];
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let wg = wid.x + wid.y * nwg.x;
  if (wg >= params.batch * params.M) {
    return;
  }
  let dSae = params.dSae;
  let k = params.k;
  let t = wg / params.M;
  let member = wg % params.M;
  let base = t * params.M * dSae + member * dSae; // z[t, member·dSae]
  let out = wg * k;                               // idx/val[t, member, 0]

  // Candidates: the whole member, or (MASKED) its dead latents, counted with one prefix sum.
  var candidates = dSae;
  if (MASKED) {
    var mine = 0u;
    for (var i = lid; i < dSae; i += WG) {
      mine += u32(isCandidate(member, i));
    }
    scan[lid] = vec2<u32>(mine, 0u);
    scanInclusive(lid);
    candidates = workgroupUniformLoad(&scan[WG - 1u]).x; // uniform: it guards barriers below
  }
  // Selection state: a key is in when (key & sMask) > sPrefix, or when (key & sMask) == sPrefix and it
  // is among the sRemaining lowest-index such keys. Empty mask: all candidates tie, the first `need` win,
  // which is the answer when need = candidates (nothing to select: no radix pass runs).
  let need = min(k, candidates);
  if (lid == 0u) {
    sPrefix = 0u;
    sMask = 0u;
    sRemaining = need;
    sDone = u32(need == candidates);
  }

  for (var p = 0u; p < 3u; p++) {
    // A barrier too: the previous pass's bucket search has finished reading hist and its writes of the
    // selection state are visible.
    if (workgroupUniformLoad(&sDone) != 0u) {
      break;
    }
    let shift = select(21u - 11u * p, 0u, p == 2u);
    let digitMask = select(0x7FFu, 0x3FFu, p == 2u);
    let bins = digitMask + 1u;
    if (p > 0u) { // pass 0 finds hist zero: WGSL zero-initialises workgroup memory
      for (var b = lid; b < bins; b += WG) {
        atomicStore(&hist[b], 0u);
      }
    }
    let prefix = sPrefix;
    let mask = sMask;
    let remaining = sRemaining;
    workgroupBarrier();
    for (var i = lid; i < dSae; i += WG) {
      if (isCandidate(member, i)) {
        let key = toKey(z[base + i]);
        if ((key & mask) == prefix) {
          atomicAdd(&hist[(key >> shift) & digitMask], 1u);
        }
      }
    }
    workgroupBarrier();
    // Bucket search: invocation lid sums the bins of group g = WG−1−lid, so the inclusive scan over lid
    // counts keys from the top of the histogram down; the one whose range holds the remaining-th key
    // walks its bins from the top.
    let per = (bins + WG - 1u) / WG;
    let binLo = min((WG - 1u - lid) * per, bins);
    let binHi = min(binLo + per, bins);
    var mine = 0u;
    for (var b = binLo; b < binHi; b++) {
      mine += atomicLoad(&hist[b]);
    }
    scan[lid] = vec2<u32>(mine, 0u);
    scanInclusive(lid);
    let above = scan[lid].x - mine; // keys in bins higher than this invocation's group
    if (above < remaining && remaining <= scan[lid].x) {
      var cum = above;
      for (var b = binHi; b > binLo; b--) {
        let c = atomicLoad(&hist[b - 1u]);
        if (cum + c >= remaining) {
          sPrefix = prefix | ((b - 1u) << shift);
          sMask = mask | (digitMask << shift);
          sRemaining = remaining - cum;
          sDone = u32(cum + c == remaining || p == 2u); // the whole bucket is in: stop early
          break;
        }
        cum += c;
      }
    }
  }

  workgroupBarrier();
  let threshold = sPrefix; // the need-th largest key, in the bits of sMask
  let mask = sMask;
  let takeEq = sRemaining; // how many keys with (key & mask) == threshold are in, lowest index first
  let gtCount = need - takeEq;

  if (need > 0u) {
    // Ordered compaction: invocation lid owns the contiguous chunk [lo, hi) of the row.
    let chunk = (dSae + WG - 1u) / WG;
    let lo = min(lid * chunk, dSae);
    let hi = min(lo + chunk, dSae);
    var counts = vec2<u32>(0u);
    for (var i = lo; i < hi; i++) {
      if (isCandidate(member, i)) {
        let mk = toKey(z[base + i]) & mask;
        counts += vec2<u32>(u32(mk > threshold), u32(mk == threshold));
      }
    }
    scan[lid] = counts;
    scanInclusive(lid);
    var gtPos = scan[lid].x - counts.x;
    var eqPos = scan[lid].y - counts.y;
    for (var i = lo; i < hi; i++) {
      if (isCandidate(member, i)) {
        let key = toKey(z[base + i]);
        let mk = key & mask;
        if (mk > threshold) {
          candKey[gtPos] = key;
          candIdx[gtPos] = i;
          gtPos++;
        } else if (mk == threshold && eqPos < takeEq) {
          candKey[gtCount + eqPos] = key;
          candIdx[gtCount + eqPos] = i;
          eqPos++;
        }
      }
    }
  }
  workgroupBarrier();

  // Rank sort: result r goes to the slot counting the results before it (key desc, index asc).
  for (var r = lid; r < need; r += WG) {
    let key = candKey[r];
    let i = candIdx[r];
    var rank = 0u;
    for (var s = 0u; s < need; s++) {
      let ks = candKey[s];
      rank += u32(ks > key || (ks == key && candIdx[s] < i));
    }
    idx[out + rank] = i;
    val[out + rank] = max(fromKey(key), 0.0);
  }
  for (var r = need + lid; r < k; r += WG) {
    idx[out + r] = NONE;
    val[out + r] = 0.0;
  }
}

// ---------------------------------------------------------------------------------------------------
// Entry point `serial`: one invocation per (row, member), no barriers, no workgroup memory (see Dispatch).
// The invocation walks its row once, in index order, keeping a private list of the best keys sorted by
// key desc (then index asc: an equal key arriving later has a higher index and is placed after): the
// insertion of src/core/sae/sae.ts:topkRow on order-preserving keys. It wins on SwiftShader, where a
// workgroup costs in proportion to its invocations and barriers are expensive (timings: topk.ts:chooseTopk).

const SERIAL_KMAX: u32 = 64u;

@compute @workgroup_size(WG)
fn serial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let r = (wid.x + wid.y * nwg.x) * WG + lid;
  if (r >= params.batch * params.M) {
    return;
  }
  let dSae = params.dSae;
  let k = min(params.k, SERIAL_KMAX); // the host checks k ≤ SERIAL_KMAX; min keeps the arrays in bounds
  let member = r % params.M;
  let base = r * dSae; // z[t, member·dSae] = (t·M + member)·dSae
  let out = r * params.k;

  var topKey: array<u32, SERIAL_KMAX>;
  var topIdx: array<u32, SERIAL_KMAX>;
  var count = 0u;
  var minVal = 0.0; // fromKey(topKey[k − 1]) once count = k: v ≤ minVal ⇔ toKey(v) ≤ topKey[k − 1] (z finite)
  for (var i = 0u; i < dSae; i++) {
    if (!isCandidate(member, i)) {
      continue;
    }
    let v = z[base + i];
    var p = count;
    if (count == k) {
      if (v <= minVal) {
        continue; // smaller, or equal with a higher index: loses (the common case, tested on the float)
      }
      p = k - 1u; // evicts the last
    } else {
      count++;
    }
    let key = toKey(v);
    while (p > 0u && topKey[p - 1u] < key) {
      topKey[p] = topKey[p - 1u];
      topIdx[p] = topIdx[p - 1u];
      p--;
    }
    topKey[p] = key;
    topIdx[p] = i;
    if (count == k) {
      minVal = fromKey(topKey[k - 1u]);
    }
  }
  for (var s = 0u; s < count; s++) {
    idx[out + s] = topIdx[s];
    val[out + s] = max(fromKey(topKey[s]), 0.0);
  }
  for (var s = count; s < params.k; s++) {
    idx[out + s] = NONE;
    val[out + s] = 0.0;
  }
}
