// latentIndex.wgsl — buckets the selected (row, slot) pairs of every member by global latent (CSR), with each
// bucket sorted so that every float sum over it is the same run to run. Seven entry points, run in order.
//
// Math:      offsets[m] = #{slots selecting a latent < m}  (exclusive scan of the per-latent counts),
//            offsets[N] = number of non-empty slots; entries[offsets[m] .. offsets[m+1]) = the codes b·k + s of
//            the slots (b, j, s) with j·dSae + idx[b, j, s] = m, ascending (by row b, then slot s).
// Bindings:  @group(0)  (one layout for all entry points but prepareLong, which adds binding 5; each uses a subset)
//   0  idx      : array<u32>          [batch, M, k]   read  (latent within the member; ≥ dSae = empty slot)
//   1  counts   : array<atomic<u32>>  [N + 1]         read_write scratch: counts, then scatter cursors, then the
//                                                     list of long segments (counts[0..L)) and its length L = counts[N]
//   2  offsets  : array<u32>          [N + 1]         read_write
//   3  entries  : array<u32>          [batch·M·k]     read_write (first offsets[N] used; the rest untouched)
//   4  params   : Params {batch, M, dSae, k, N, nSlots = batch·M·k, maxPerDim, _pad}  uniform
//   5  longArgs : array<u32>          [3]             read_write (prepareLong only): sortLong's indirect grid
// Dispatch:  clear:       ceil((N+1)/WG) workgroups (folded); counts[0..N] = 0.
//            count:       ceil(nSlots/WG) workgroups (folded), one invocation per slot: atomicAdd(counts[m], 1)
//                         (integer atomics: the result does not depend on their order).
//            scan:        1 workgroup, looping over N in chunks of WG·ITEMS: writes offsets, resets counts[0..N)
//                         to 0 for use as cursors.
//            scatter:     like count: entries[offsets[m] + atomicAdd(counts[m], 1)] = b·k + s (the order within a
//                         segment depends on scheduling; the sorts fix it).
//            sortShort:   ceil(N/WG) workgroups (folded), one invocation per latent: a segment of n ≤ SORT_SHORT
//                         (override, default 32) is insertion-sorted in place; a longer one appends m to the list
//                         (atomicAdd on counts[N]; the list's order varies, the sorted segments do not).
//            prepareLong: 1 invocation: longArgs = the folded grid (x, y, 1) for L workgroups, at most maxPerDim wide.
//            sortLong:    dispatchWorkgroupsIndirect(longArgs): workgroup w sorts segment counts[w] with a bitonic
//                         network in the all-ascending ("flip") form, whose comparators (i, l) always have i < l:
//                         the virtual +∞ padding past the length n never moves, so comparators with l ≥ n are
//                         skipped and nothing is padded. n ≤ SORT_CAP (override, default 1024) in workgroup memory,
//                         longer in place in `entries` with storageBarrier.
//            WG: override, power of two, default 256.
// Edges:     empty slots (idx ≥ dSae, 0xFFFFFFFF) are skipped everywhere; latents selected by no slot get an
//            empty segment; a segment can be as long as batch (a latent selected by every row); any N (the
//            scan loops); grids past maxPerDim folded; invocations past the end return.
// Twin:      src/core/sae/sparse.ts:latentSegments

override WG: u32 = 256u;
override SORT_CAP: u32 = 1024u;
override SORT_SHORT: u32 = 32u;
const ITEMS: u32 = 4u;

struct Params {
  batch: u32,
  M: u32,
  dSae: u32,
  k: u32,
  N: u32,
  nSlots: u32,
  maxPerDim: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> idx: array<u32>;
@group(0) @binding(1) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> offsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> entries: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<storage, read_write> longArgs: array<u32>;

var<workgroup> shScan: array<u32, WG>;
var<workgroup> shSort: array<u32, SORT_CAP>;
var<workgroup> shCount: u32;
var<workgroup> shLen: u32;
var<workgroup> shBase: u32;

fn linearId(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid;
}

/** Global latent of slot q, or N when the slot is empty. */
fn latentOf(q: u32) -> u32 {
  let i = idx[q];
  if (i >= params.dSae) {
    return params.N;
  }
  let j = (q / params.k) % params.M;
  return j * params.dSae + i;
}

@compute @workgroup_size(WG)
fn clear(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let m = linearId(wid, nwg, lid);
  if (m <= params.N) {
    atomicStore(&counts[m], 0u);
  }
}

@compute @workgroup_size(WG)
fn count(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let q = linearId(wid, nwg, lid);
  if (q >= params.nSlots) {
    return;
  }
  let m = latentOf(q);
  if (m < params.N) {
    atomicAdd(&counts[m], 1u);
  }
}

@compute @workgroup_size(WG)
fn scan(@builtin(local_invocation_index) lid: u32) {
  let N = params.N;
  var carry = 0u;
  for (var c0 = 0u; c0 < N; c0 += WG * ITEMS) {
    let base = c0 + lid * ITEMS;
    var v: array<u32, ITEMS>;
    var local = 0u;
    for (var t = 0u; t < ITEMS; t++) {
      var c = 0u;
      if (base + t < N) {
        c = atomicLoad(&counts[base + t]);
        atomicStore(&counts[base + t], 0u);
      }
      v[t] = c;
      local += c;
    }
    shScan[lid] = local;
    workgroupBarrier();
    // Hillis–Steele inclusive scan over the WG per-invocation sums.
    for (var st = 1u; st < WG; st = st << 1u) {
      var add = 0u;
      if (lid >= st) {
        add = shScan[lid - st];
      }
      workgroupBarrier();
      shScan[lid] += add;
      workgroupBarrier();
    }
    var run = carry + shScan[lid] - local;
    for (var t = 0u; t < ITEMS; t++) {
      if (base + t < N) {
        offsets[base + t] = run;
      }
      run += v[t];
    }
    carry += shScan[WG - 1u];
    workgroupBarrier();
  }
  if (lid == 0u) {
    offsets[N] = carry;
  }
}

@compute @workgroup_size(WG)
fn scatter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let q = linearId(wid, nwg, lid);
  if (q >= params.nSlots) {
    return;
  }
  let m = latentOf(q);
  if (m < params.N) {
    let b = q / (params.M * params.k);
    let s = q % params.k;
    entries[offsets[m] + atomicAdd(&counts[m], 1u)] = b * params.k + s;
  }
}


@compute @workgroup_size(WG)
fn sortShort(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let m = linearId(wid, nwg, lid);
  if (m >= params.N) {
    return;
  }
  let base = offsets[m];
  let end = offsets[m + 1u];
  if (end - base > SORT_SHORT) {
    atomicStore(&counts[atomicAdd(&counts[params.N], 1u)], m);
    return;
  }
  for (var a = base + 1u; a < end; a++) {
    let v = entries[a];
    var p = a;
    while (p > base && entries[p - 1u] > v) {
      entries[p] = entries[p - 1u];
      p--;
    }
    entries[p] = v;
  }
}

@compute @workgroup_size(1)
fn prepareLong() {
  let L = atomicLoad(&counts[params.N]);
  let x = min(L, params.maxPerDim);
  longArgs[0] = x;
  longArgs[1] = select(0u, (L + x - 1u) / max(x, 1u), L > 0u);
  longArgs[2] = 1u;
}

fn sortShared(n: u32, P: u32, lid: u32) {
  for (var size = 2u; size <= P; size = size << 1u) {
    let half = size >> 1u;
    for (var q = lid; q < P / 2u; q += WG) {
      let i = (q / half) * size + q % half;
      let l = (q / half) * size + size - 1u - q % half;
      if (l < n && shSort[i] > shSort[l]) {
        let tmp = shSort[i];
        shSort[i] = shSort[l];
        shSort[l] = tmp;
      }
    }
    workgroupBarrier();
    for (var st = half >> 1u; st > 0u; st = st >> 1u) {
      for (var q = lid; q < P / 2u; q += WG) {
        let i = (q / st) * 2u * st + q % st;
        let l = i + st;
        if (l < n && shSort[i] > shSort[l]) {
          let tmp = shSort[i];
          shSort[i] = shSort[l];
          shSort[l] = tmp;
        }
      }
      workgroupBarrier();
    }
  }
}

fn sortGlobal(base: u32, n: u32, P: u32, lid: u32) {
  for (var size = 2u; size <= P; size = size << 1u) {
    let half = size >> 1u;
    for (var q = lid; q < P / 2u; q += WG) {
      let i = (q / half) * size + q % half;
      let l = (q / half) * size + size - 1u - q % half;
      if (l < n && entries[base + i] > entries[base + l]) {
        let tmp = entries[base + i];
        entries[base + i] = entries[base + l];
        entries[base + l] = tmp;
      }
    }
    storageBarrier();
    for (var st = half >> 1u; st > 0u; st = st >> 1u) {
      for (var q = lid; q < P / 2u; q += WG) {
        let i = (q / st) * 2u * st + q % st;
        let l = i + st;
        if (l < n && entries[base + i] > entries[base + l]) {
          let tmp = entries[base + i];
          entries[base + i] = entries[base + l];
          entries[base + l] = tmp;
        }
      }
      storageBarrier();
    }
  }
}

@compute @workgroup_size(WG)
fn sortLong(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  if (lid == 0u) {
    shCount = atomicLoad(&counts[params.N]);
  }
  if (w >= workgroupUniformLoad(&shCount)) {
    return;
  }
  if (lid == 0u) {
    let m = atomicLoad(&counts[w]);
    shBase = offsets[m];
    shLen = offsets[m + 1u] - offsets[m];
  }
  let n = workgroupUniformLoad(&shLen);
  let base = shBase;
  let P = 1u << (32u - countLeadingZeros(n - 1u)); // next power of two ≥ n (n > SORT_SHORT ≥ 1)
  if (n <= SORT_CAP) {
    for (var i = lid; i < n; i += WG) {
      shSort[i] = entries[base + i];
    }
    workgroupBarrier();
    sortShared(n, P, lid);
    for (var i = lid; i < n; i += WG) {
      entries[base + i] = shSort[i];
    }
  } else {
    sortGlobal(base, n, P, lid);
  }
}
