// thresholdEma.wgsl — BatchTopK's inference threshold: an EMA of each batch's smallest kept activation.
//
// Math:      m = minKept_j of this step (state[8j + 5], f32 bits; 0 when nothing positive was kept)
//            if m > 0: θ_j ← started_j ? θ_j + rate·(m − θ_j) : m;  started_j ← 1
// Bindings:  @group(0)
//   0  state   : array<u32>  [M, 8] batchTopkThreshold.wgsl's state     read
//   1  thr     : array<f32>  [M, 2] (θ, started)                        read_write
//   2  params  : Params {M: u32, rate: f32}                             uniform
// Dispatch:  ceil(M / 64) workgroups of 64; invocation j owns member j.
// Edges:     a step that keeps nothing positive leaves θ unchanged.
// Twin:      src/core/sae/train.ts (the batchThreshold update of trainStep)

struct Params {
  M: u32,
  rate: f32,
}

@group(0) @binding(0) var<storage, read> state: array<u32>;
@group(0) @binding(1) var<storage, read_write> thr: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  if (j >= params.M) {
    return;
  }
  let m = bitcast<f32>(state[8u * j + 5u]);
  if (m > 0.0) {
    if (thr[2u * j + 1u] != 0.0) {
      thr[2u * j] = thr[2u * j] + params.rate * (m - thr[2u * j]);
    } else {
      thr[2u * j] = m;
      thr[2u * j + 1u] = 1.0;
    }
  }
}
