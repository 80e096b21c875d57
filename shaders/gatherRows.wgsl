// gatherRows.wgsl — copies the rows of this step's batch out of the dataset, times the input scale.
//
// Math:      x[b, d] = scale · data[rowIdx[b] − chunkStart, d]   for rows of this chunk
// Bindings:  @group(0)
//   0  data    : array<f32>  [chunkRows, dIn]  read        one chunk of the dataset (≤ one storage binding)
//   1  rowIdx  : array<u32>  [batch]           read        dataset row of each batch row
//   2  x       : array<f32>  [batch, dIn]      read_write  the batch
//   3  params  : Params {batch, dIn, chunkStart, chunkRows: u32, scale: f32}   uniform
// Dispatch:  ceil(batch·dIn / WG) workgroups, folded into 2-D past 65,535 (see foldGrid); invocation i
//            owns element i = b·dIn + d. WG is an override (default 256).
// Edges:     batch rows whose dataset row is outside [chunkStart, chunkStart + chunkRows) are left
//            untouched: a dataset larger than one binding is gathered by one dispatch per chunk.
// Twin:      src/core/sae/train.ts:gatherRows

override WG: u32 = 256u;

struct Params {
  batch: u32,
  dIn: u32,
  chunkStart: u32,
  chunkRows: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(1) var<storage, read> rowIdx: array<u32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i >= params.batch * params.dIn) {
    return;
  }
  let b = i / params.dIn;
  let d = i % params.dIn;
  let row = rowIdx[b];
  if (row < params.chunkStart || row - params.chunkStart >= params.chunkRows) {
    return;
  }
  x[i] = params.scale * data[(row - params.chunkStart) * params.dIn + d];
}
