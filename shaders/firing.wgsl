// firing.wgsl — firing statistics of one step: per-latent fire counts, tokens since last fired, and the
// dead mask that next step's AuxK selection reads.
//
// Math:      for each global latent m = j·dSae + i, with n = #{rows b of this batch with f[b, m] > 0}:
//              firingCount[m]      += n
//              tokensSinceFired[m]  = n > 0 ? 0 : tokensSinceFired[m] + batch
//              dead[m]              = tokensSinceFired[m] ≥ deadWindowTokens ? 1 : 0
//              stats[j] += (Σ_i n, #dead latents of member j)           (u32, accumulated: clear to reset)
//            f comes either sparse — val/idx [batch, M, k] of this step (idx = latent within the member;
//            entries with val ≤ 0 do not count) — or dense — codes [batch, N] (ReLU / JumpReLU).
// Counters:  firingCount is 64-bit, two u32 words (lo, hi) per latent: exact for any run length
//            (a u32 would wrap after 4.29·10⁹ fires; f32 loses integers past 2²⁴ ≈ 1.7·10⁷).
//            tokensSinceFired is a u32 that saturates at 4,294,967,295: exact for runs up to 4.29·10⁹
//            tokens, and the dead mask stays right for every u32 deadWindowTokens after that.
// Bindings:  @group(0)
//   0  val              : array<f32>         sparse: [batch, M, k] / dense: codes [batch, N]   read
//   1  idx              : array<u32>         sparse: [batch, M, k] / dense: unused (any buffer) read
//   2  firingCount      : array<vec2<u32>>   [N] (lo, hi)       read_write
//   3  tokensSinceFired : array<u32>         [N]                read_write
//   4  dead             : array<u32>         [N] 0/1            read_write
//   5  stats            : array<atomic<u32>> [M, 2] (fires this step summed over latents, dead latents)
//                                                               read_write, added to
//   6  params           : Params {batch, k, dSae, members, dense, deadWindowTokens: u32}   uniform, 32 bytes
// Dispatch:  foldGrid(M·tiles) workgroups, tiles = ceil(dSae / TILE), TILE = WG·PER_THREAD (overrides,
//            defaults 256 and 4: 1,024 latents, 4 KiB of workgroup counters). Workgroup (j, t) owns latents
//            [t·TILE, (t+1)·TILE) of member j. Sparse: its threads stride over member j's batch·k entries and
//            count hits of its tile with workgroup-memory u32 atomicAdd (integer sums: order-independent,
//            so deterministic). Dense: each thread sums its latents' columns over the batch (no contention)
//            into the same workgroup counters. Then each thread updates its PER_THREAD latents.
//            Cost: sparse reads batch·k·8 bytes per workgroup (tiles× the val/idx of a member, L2-resident);
//            dense reads codes once.
// Edges:     dSae need not be a multiple of TILE (latents past dSae are skipped; idx ≥ dSae is ignored);
//            k = 0 or batch = 0 counts nothing (every latent then ages by batch). Workgroups past the
//            grid's end return at once.
// Twin:      src/core/sae/firing.ts:updateFiring and deadMask, per member (the loop of src/core/sae/train.ts)

override WG: u32 = 256u;
override PER_THREAD: u32 = 4u;

struct Params {
  batch: u32,
  k: u32,
  dSae: u32,
  members: u32,
  dense: u32,
  deadWindowTokens: u32,
}

@group(0) @binding(0) var<storage, read> val: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read_write> firingCount: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> tokensSinceFired: array<u32>;
@group(0) @binding(4) var<storage, read_write> dead: array<u32>;
@group(0) @binding(5) var<storage, read_write> stats: array<atomic<u32>>;
@group(0) @binding(6) var<uniform> params: Params;

const U32_MAX: u32 = 0xffffffffu;

var<workgroup> hist: array<atomic<u32>, WG * PER_THREAD>; // fires per latent of the tile (zero-initialised)
var<workgroup> wgFires: atomic<u32>;
var<workgroup> wgDead: atomic<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wg = wid.x + wid.y * nwg.x; // uniform across the workgroup
  let dSae = params.dSae;
  let tile = WG * PER_THREAD;
  let tiles = (dSae + tile - 1u) / tile;
  if (wg >= params.members * tiles) {
    return;
  }
  let j = wg / tiles;
  let i0 = (wg - j * tiles) * tile;
  let batch = params.batch;
  let members = params.members;
  let N = members * dSae;

  if (params.dense == 0u) {
    let k = params.k;
    let entries = batch * k; // member j's entries, flattened (b, s)
    for (var e = lid; e < entries; e += WG) {
      let b = e / k;
      let o = (b * members + j) * k + (e - b * k);
      let i = idx[o];
      if (val[o] > 0.0 && i >= i0 && i - i0 < tile) {
        atomicAdd(&hist[i - i0], 1u);
      }
    }
  } else {
    for (var r = 0u; r < PER_THREAD; r++) {
      let i = i0 + r * WG + lid;
      var n = 0u;
      if (i < dSae) {
        let col = j * dSae + i;
        for (var b = 0u; b < batch; b++) {
          n += select(0u, 1u, val[b * N + col] > 0.0);
        }
      }
      atomicStore(&hist[r * WG + lid], n); // this thread's own slot: no contention
    }
  }
  workgroupBarrier();

  var fires = 0u;
  var nDead = 0u;
  for (var r = 0u; r < PER_THREAD; r++) {
    let i = i0 + r * WG + lid;
    if (i >= dSae) {
      continue;
    }
    let n = atomicLoad(&hist[r * WG + lid]);
    let m = j * dSae + i;
    var fc = firingCount[m];
    let lo = fc.x + n;
    if (lo < fc.x) {
      fc.y += 1u;
    }
    fc.x = lo;
    firingCount[m] = fc;
    var t = 0u;
    if (n == 0u) {
      let old = tokensSinceFired[m];
      t = old + min(batch, U32_MAX - old); // saturating add
    }
    tokensSinceFired[m] = t;
    let isDead = t >= params.deadWindowTokens;
    dead[m] = select(0u, 1u, isDead);
    fires += n;
    nDead += select(0u, 1u, isDead);
  }
  atomicAdd(&wgFires, fires);
  atomicAdd(&wgDead, nDead);
  workgroupBarrier();
  if (lid == 0u) {
    atomicAdd(&stats[2u * j], atomicLoad(&wgFires));
    atomicAdd(&stats[2u * j + 1u], atomicLoad(&wgDead));
  }
}
