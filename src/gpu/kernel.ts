// Kernel plumbing: compile a WGSL file into a compute pipeline with an explicit bind-group layout
// (never layout: 'auto'), inside an error scope, with the compiler's messages as `file:line:col`;
// uniform parameter blocks; bind groups; dispatch grids folded past 65,535 workgroups; the Recorder, the
// one shape every kernel helper returns (bound once, recorded into a pass every step, destroyed once).
// Imports only WebGPU types: no engine, UI or Node code.

/** How a kernel reads a binding, in @binding order. */
export type BindingKind = 'read' | 'read_write' | 'uniform';

/** A kernel as the registry declares it (src/gpu/kernels/*.ts): one WGSL file, one entry point. */
export interface KernelDecl {
  /** The WGSL file's base name, e.g. 'encode'; labels every GPU object made from it. */
  name: string;
  code: string;
  entryPoint: string;
  bindings: readonly BindingKind[];
}

export interface Kernel {
  decl: KernelDecl;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

const BUFFER_TYPE: Record<BindingKind, GPUBufferBindingType> = {
  read: 'read-only-storage',
  read_write: 'storage',
  uniform: 'uniform',
};

/**
 * Compiles `decl` with the given `override` constants. Throws with the compiler's errors and
 * warnings (a warning is treated as an error: kernels compile clean) or the validation message.
 */
export async function compileKernel(device: GPUDevice, decl: KernelDecl, constants: Record<string, number> = {}): Promise<Kernel> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: decl.name, code: decl.code });
  const info = await module.getCompilationInfo();
  const messages = info.messages.filter((m) => m.type === 'error' || m.type === 'warning');
  if (messages.length > 0) {
    await device.popErrorScope();
    const lines = messages.map((m) => `shaders/${decl.name}.wgsl:${m.lineNum}:${m.linePos}: ${m.type}: ${m.message}`);
    throw new Error(`WGSL compilation of ${decl.name} failed:\n${lines.join('\n')}`);
  }
  const layout = device.createBindGroupLayout({
    label: decl.name,
    entries: decl.bindings.map((kind, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: BUFFER_TYPE[kind] } })),
  });
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await device.createComputePipelineAsync({
      label: decl.name,
      layout: device.createPipelineLayout({ label: decl.name, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: decl.entryPoint, constants },
    });
  } catch (e) {
    await device.popErrorScope();
    throw new Error(`pipeline ${decl.name} (constants ${JSON.stringify(constants)}): ${(e as Error).message}`);
  }
  const err = await device.popErrorScope();
  if (err) throw new Error(`pipeline ${decl.name} (constants ${JSON.stringify(constants)}): ${err.message}`);
  return { decl, pipeline, layout };
}

/** A bind group of `buffers` in @binding order; the count must match the declaration. */
export function bindBuffers(device: GPUDevice, kernel: Kernel, buffers: readonly GPUBuffer[]): GPUBindGroup {
  if (buffers.length !== kernel.decl.bindings.length) {
    throw new Error(`${kernel.decl.name}: expected ${kernel.decl.bindings.length} buffers (${kernel.decl.bindings.join(', ')}), got ${buffers.length}`);
  }
  return device.createBindGroup({
    label: kernel.decl.name,
    layout: kernel.layout,
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

/** One field of a uniform Params struct, in declaration order; every field is 4 bytes. */
export type ParamField = ['u32' | 'i32' | 'f32', number];

/** The bytes of a Params struct of 4-byte fields, padded to a multiple of 16 bytes (uniform layout). */
export function packParams(fields: readonly ParamField[]): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const view = new DataView(buf);
  fields.forEach(([type, v], i) => {
    if (type === 'f32') view.setFloat32(i * 4, v, true);
    else if (type === 'i32') view.setInt32(i * 4, v, true);
    else view.setUint32(i * 4, v, true);
  });
  return buf;
}

/** A uniform buffer holding `fields` (see packParams); rewrite it with device.queue.writeBuffer. */
export function paramsBuffer(device: GPUDevice, label: string, fields: readonly ParamField[]): GPUBuffer {
  const data = packParams(fields);
  const buffer = device.createBuffer({ label, size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/**
 * Workgroup grid for `count` workgroups: 1-D while it fits maxPerDim (65,535 by default), else folded
 * into 2-D (x = maxPerDim or less, y = ceil(count / x)). Kernels recover the linear id as
 * wid.x + wid.y·num_workgroups.x and return when it is ≥ count (the last row of the fold is partial).
 */
export function foldGrid(count: number, maxPerDim = 65535): [number, number, number] {
  if (count <= maxPerDim) return [Math.max(count, 1), 1, 1];
  const y = Math.ceil(count / maxPerDim);
  const x = Math.ceil(count / y);
  return [x, y, 1];
}

/** Records one dispatch of `kernel` into `pass`. */
export function dispatch(pass: GPUComputePassEncoder, kernel: Kernel, group: GPUBindGroup, grid: readonly [number, number, number]): void {
  pass.setPipeline(kernel.pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
}

/**
 * Dispatches bound once (bind groups, uniform and scratch buffers made when prepared), recorded into any
 * number of compute passes. Every `prepare*` helper of src/gpu/kernels returns one: a trainer prepares its
 * step once and records it every step without creating a GPU object.
 */
export interface Recorder {
  record(pass: GPUComputePassEncoder): void;
  /** Releases the uniform / scratch buffers the recorder made (never the caller's buffers). */
  destroy(): void;
}

/** One dispatch bound once: its kernel, bind group and grid, and the uniform it owns (`params`). */
export interface PreparedDispatch extends Recorder {
  readonly kernel: Kernel;
  readonly group: GPUBindGroup;
  readonly grid: [number, number, number];
  readonly params: GPUBuffer;
}

/**
 * Binds `kernel` to `buffers` (in @binding order, the uniform last) once. `params` is the uniform the
 * result owns (destroyed with it); `owned` are further buffers it made (placeholders, scratch).
 * An empty grid (0 workgroups, e.g. an empty dimension) records nothing.
 */
export function prepareDispatch(
  device: GPUDevice,
  kernel: Kernel,
  buffers: readonly GPUBuffer[],
  params: GPUBuffer,
  grid: [number, number, number],
  owned: readonly GPUBuffer[] = [],
): PreparedDispatch {
  const group = bindBuffers(device, kernel, [...buffers, params]);
  const active = grid[0] * grid[1] * grid[2] > 0;
  return {
    kernel,
    group,
    grid,
    params,
    record: (pass) => {
      if (active) dispatch(pass, kernel, group, grid);
    },
    destroy: () => {
      params.destroy();
      for (const b of owned) b.destroy();
    },
  };
}

/** Recorders run in order as one (destroying it destroys every part). */
export function sequence(parts: readonly Recorder[]): Recorder {
  return {
    record: (pass) => parts.forEach((p) => p.record(pass)),
    destroy: () => parts.forEach((p) => p.destroy()),
  };
}

/** Records nothing (an architecture without this stage). */
export const NO_RECORDER: Recorder = { record: () => {}, destroy: () => {} };
