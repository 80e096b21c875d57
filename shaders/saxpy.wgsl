// saxpy.wgsl — y[i] = a·x[i] + b, elementwise. A toy kernel that proves the WebGPU path end to end
// (upload, compile, dispatch, readback); it has no role in training.
//
// Math:      y[i] = a·x[i] + b                      for 0 ≤ i < n   (f32; the GPU may fuse into one fma)
// Bindings:  @group(0)
//   0  x       : array<f32>  [n]        read
//   1  y       : array<f32>  [n]        read_write
//   2  params  : Params {n: u32, a: f32, b: f32, _pad: u32}   uniform, 16 bytes
// Dispatch:  ceil(n / WG) workgroups along x; invocation i owns element i. WG is an override (default 64).
// Edges:     invocations with i ≥ n return without touching memory (n need not be a multiple of WG);
//            n = 0 dispatches nothing.
// Twin:      saxpyCpu in test/gpu/device.test.ts (computed in f64, rounded to f32; tolerance there).

override WG: u32 = 64u;

struct Params {
  n: u32,
  a: f32,
  b: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.n) {
    return;
  }
  y[i] = params.a * x[i] + params.b;
}
