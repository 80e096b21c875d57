// auxScale.wgsl — AuxK's per-member scale from the dead counts the last firing update left.
//
// Math:      memberScale[j] = min(nDead_j / kAux, 1), nDead_j = stats[2j + 1]   (sae-libraries §3.2 step 7)
// Bindings:  @group(0)
//   0  stats        : array<u32>  [M, 2] (fires, dead) of the previous step   read
//   1  memberScale  : array<f32>  [M]                                         read_write
//   2  params       : Params {M: u32, kAux: u32}                              uniform
// Dispatch:  ceil(M / 64) workgroups of 64; invocation j owns member j.
// Edges:     nDead = 0 gives scale 0 (and AuxK's masked TopK then selects nothing). kAux ≥ 1.
// Twin:      src/core/sae/loss.ts (scale = min(nDead/kAux, 1))

struct Params {
  M: u32,
  kAux: u32,
}

@group(0) @binding(0) var<storage, read> stats: array<u32>;
@group(0) @binding(1) var<storage, read_write> memberScale: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  if (j >= params.M) {
    return;
  }
  memberScale[j] = min(f32(stats[2u * j + 1u]) / f32(params.kAux), 1.0);
}
