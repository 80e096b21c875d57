// normalizeRows.wgsl — rescales each row of wDec to unit L2 norm.
//
// Math:      for each row m with s = Σ_d wDec[m, d]² > 0:  wDec[m, d] ← wDec[m, d] · (1/√s)
//            (rows of all members at once: rows = N = M·dSae).
// Bindings:  @group(0)
//   0  wDec    : array<f32>   [rows, dIn]     read_write (in place)
//   1  params  : Params {rows: u32, dIn: u32}  uniform, 16 bytes
// Dispatch:  one workgroup per row, foldGrid(rows) (2-D past 65,535 rows); WG threads (override,
//            default 64, a power of two) stride the row, then a fixed-shape tree reduction of Σ w² in
//            workgroup memory: deterministic, run to run.
// Edges:     any dIn ≥ 1; zero rows stay zero; workgroups past `rows` return at once.
// Twin:      src/core/sae/optim.ts:normalizeRows

override WG: u32 = 64u;

struct Params {
  rows: u32,
  dIn: u32,
}

@group(0) @binding(0) var<storage, read_write> wDec: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x; // uniform across the workgroup
  if (row >= params.rows) {
    return;
  }
  let dIn = params.dIn;
  let o = row * dIn;
  var acc = 0.0;
  for (var d = lid; d < dIn; d += WG) {
    let w = wDec[o + d];
    acc += w * w;
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      partial[lid] += partial[lid + s];
    }
    workgroupBarrier();
  }
  let total = partial[0];
  if (total == 0.0) {
    return;
  }
  let inv = 1.0 / sqrt(total);
  for (var d = lid; d < dIn; d += WG) {
    wDec[o + d] *= inv;
  }
}
