// bDecGrad.wgsl — gradient of each member's decoder bias: the main term's residual summed over the batch,
// minus the path through the encoder input x − bDec.
//
// Math:      dBDec[j, d] = (2/batch)·Σ_b e[j, b, d] − Σ_{i<dSae} dBEnc[j·dSae + i]·wEnc[j·dSae + i, d]
//            e = the main term's residual (AuxK decodes without bDec); dBEnc = ∂L/∂bEnc with the main and AuxK
//            terms already summed (weightGrad.wgsl), since Σ_b ∂L/∂z[b, m] = dBEnc[m].
// Bindings:  @group(0)
//   0  e       : array<f32>  [M, batch, dIn]   read
//   1  dBEnc   : array<f32>  [N]               read
//   2  wEnc    : array<f32>  [N, dIn]          read
//   3  dBDec   : array<f32>  [M, dIn]          read_write
//   4  params  : Params {batch, M, dIn, dSae}  uniform
// Dispatch:  M·ceil(dIn/TD) workgroups (folded past 65,535) of TD × RY invocations (overrides, default 32 × 8;
//            RY ≤ 256/TD): workgroup (j, tile) owns dims tile·TD .. +TD of member j; invocation (dx, ry) sums
//            rows b ≡ ry and latents i ≡ ry (mod RY) of dim d = tile·TD + dx; invocation (dx, 0) adds the RY
//            partials in order ry = 0, 1, … and writes.
// Edges:     any dIn (dims ≥ dIn idle), batch, dSae; fixed order: deterministic.
// Twin:      src/core/sae/sparse.ts:bDecGradSparse

override TD: u32 = 32u;
override RY: u32 = 8u;

struct Params {
  batch: u32,
  M: u32,
  dIn: u32,
  dSae: u32,
}

@group(0) @binding(0) var<storage, read> e: array<f32>;
@group(0) @binding(1) var<storage, read> dBEnc: array<f32>;
@group(0) @binding(2) var<storage, read> wEnc: array<f32>;
@group(0) @binding(3) var<storage, read_write> dBDec: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> shE: array<f32, TD * RY>;
var<workgroup> shW: array<f32, TD * RY>;

@compute @workgroup_size(TD, RY)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let tiles = (params.dIn + TD - 1u) / TD;
  let wg = wid.x + wid.y * nwg.x;
  if (wg >= params.M * tiles) {
    return;
  }
  let j = wg / tiles;
  let d = (wg % tiles) * TD + lid.x;
  let dIn = params.dIn;
  var se = 0.0;
  var sw = 0.0;
  if (d < dIn) {
    for (var b = lid.y; b < params.batch; b += RY) {
      se += e[(j * params.batch + b) * dIn + d];
    }
    for (var i = lid.y; i < params.dSae; i += RY) {
      let m = j * params.dSae + i;
      sw += dBEnc[m] * wEnc[m * dIn + d];
    }
  }
  shE[lid.y * TD + lid.x] = se;
  shW[lid.y * TD + lid.x] = sw;
  workgroupBarrier();
  if (lid.y == 0u && d < dIn) {
    var a = 0.0;
    var w = 0.0;
    for (var r = 0u; r < RY; r++) {
      a += shE[r * TD + lid.x];
      w += shW[r * TD + lid.x];
    }
    dBDec[j * dIn + d] = 2.0 / f32(params.batch) * a - w;
  }
}
