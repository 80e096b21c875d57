// projectGrad.wgsl — removes from each decoder-row gradient its component along the decoder row.
//
// Math:      for each row m of wDec with ‖wDec[m]‖² > 0:
//              dWDec[m] ← dWDec[m] − (dWDec[m]·wDec[m] / ‖wDec[m]‖²)·wDec[m]
//            (the step then keeps ‖wDec[m]‖ to first order). Rows of all members at once: N = M·dSae.
// Bindings:  @group(0)
//   0  wDec    : array<f32>   [rows, dIn]     read
//   1  dWDec   : array<f32>   [rows, dIn]     read_write (in place)
//   2  params  : Params {rows: u32, dIn: u32}  uniform, 16 bytes
// Dispatch:  one workgroup per row, foldGrid(rows) (2-D past 65,535 rows); WG threads (override,
//            default 64, a power of two) stride the row, then a fixed-shape tree reduction of
//            (dot, ‖w‖²) in workgroup memory: deterministic, run to run.
// Edges:     any dIn ≥ 1 (threads past dIn contribute 0); rows with ‖wDec[m]‖² = 0 are left untouched;
//            workgroups past `rows` (the partial last line of a folded grid) return at once.
// Twin:      src/core/sae/optim.ts:projectDecoderGrad

override WG: u32 = 64u;

struct Params {
  rows: u32,
  dIn: u32,
}

@group(0) @binding(0) var<storage, read> wDec: array<f32>;
@group(0) @binding(1) var<storage, read_write> dWDec: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> partial: array<vec2<f32>, WG>; // (Σ g·w, Σ w·w) per thread

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x; // uniform across the workgroup
  if (row >= params.rows) {
    return;
  }
  let dIn = params.dIn;
  let o = row * dIn;
  var acc = vec2<f32>(0.0, 0.0);
  for (var d = lid; d < dIn; d += WG) {
    let w = wDec[o + d];
    acc += vec2<f32>(dWDec[o + d] * w, w * w);
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
  if (total.y == 0.0) {
    return;
  }
  let c = total.x / total.y;
  for (var d = lid; d < dIn; d += WG) {
    dWDec[o + d] -= c * wDec[o + d];
  }
}
