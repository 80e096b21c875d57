// Which engine trains a run, decided once for the app and the CLI alike: one adapter probe, one policy,
// one explanation string (BackendInfo.why) that the app shows and the CLI logs and writes to its JSON.
// Imports src/core and src/gpu only: no UI, Comlink, Node or WGSL.
//
// The policy ('auto'): the WGSL engine on a hardware adapter; otherwise — no adapter, only a software one
// (SwiftShader, lavapipe, WARP emulate a GPU on the CPU at ~0.2 GFLOP/s: BENCHMARKS.md), or a config the
// WGSL engine does not run — the wasm engine (src/cpu: the reference's step in WebAssembly SIMD, issue #15)
// where it covers the config, else the CPU reference. 'webgpu', 'wasm' and 'cpu' are obeyed; 'webgpu' and
// 'wasm' fail with the reason when they cannot run the config ('webgpu' runs on a software adapter when
// asked: tests, parity checks).

import { InputError } from '../../core/errors.ts';
import type { TrainerName } from '../../core/sae/config.ts';
import type { Arch } from '../../core/sae/types.ts';
import { describeAdapter, isSoftwareAdapter } from '../../gpu/device.ts';
import type { BackendInfo, BackendRequest } from '../api.ts';

/** The backend requests every entry point accepts (the app's selector, StartRunRequest.backend, the CLI's --backend). */
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'webgpu', 'wasm', 'cpu'];

/** What the wasm engine is, for the reasons below. */
const WASM_ENGINE = 'the wasm engine (WebAssembly SIMD on the CPU, one thread)';

/** What the adapter probe found (once per workbench or CLI process). */
export interface Probe {
  adapter: GPUAdapter | null;
  /** e.g. "google swiftshader · SwiftShader driver 5.0.0"; null without an adapter. */
  name: string | null;
  isSoftware: boolean | null;
  /** Why there is no adapter (empty when there is one). */
  why: string;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Asks `gpu` for its high-performance adapter; never throws (no WebGPU is an answer, not an error). whyNone: the reason when there is no `gpu`. */
export async function probeGpu(gpu: GPU | null | undefined, whyNone = 'WebGPU is not available here (navigator.gpu is undefined)'): Promise<Probe> {
  const none = (why: string): Probe => ({ adapter: null, name: null, isSoftware: null, why });
  if (!gpu) return none(whyNone);
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return none('WebGPU found no adapter');
    return { adapter, name: describeAdapter(adapter.info), isSoftware: isSoftwareAdapter(adapter.info), why: '' };
  } catch (e) {
    return none(`requesting a WebGPU adapter failed: ${messageOf(e)}`);
  }
}

/**
 * The engine for a run of `arch` given what the probe found. `gpuArchs`: what the WGSL engine trains
 * (the trainer factory's answer for this trainer), so 'auto' falls back to the reference for the rest;
 * gpuNote: why not, when the factory knows better than "does not run it yet" (e.g. too many SAEs at once).
 * wasmNote: why the wasm engine cannot run this config here, or null when it can; undefined: it is not
 * offered (callers that predate it), so 'auto' chooses between the WGSL engine and the reference only.
 */
export function chooseBackend(
  requested: BackendRequest,
  arch: Arch,
  p: Probe,
  gpuArchs: readonly Arch[],
  trainer: TrainerName = 'sgd',
  gpuNote?: string,
  wasmNote?: string | null,
): BackendInfo {
  const covers = gpuNote ?? (gpuArchs.length === 0 ? `does not run trainer ${trainer} yet` : `trains ${gpuArchs.join(', ')}${trainer === 'sgd' ? '' : ` with ${trainer}`} so far`);
  const at = { adapter: p.name, isSoftware: p.isSoftware };
  if (requested === 'cpu') return { kind: 'cpu', ...at, why: 'the CPU reference (src/core), as requested' };
  if (requested === 'wasm') {
    if (wasmNote !== null) throw new InputError(`backend 'wasm': the wasm engine ${wasmNote ?? 'is not offered here'}: use backend 'cpu' or 'auto'`);
    return { kind: 'wasm', ...at, why: `${WASM_ENGINE}, as requested` };
  }
  if (requested === 'webgpu') {
    if (!p.adapter) throw new InputError(`backend 'webgpu' was requested but ${p.why}: use backend 'cpu' or 'auto'`);
    if (!gpuArchs.includes(arch)) throw new InputError(`backend 'webgpu': the WGSL engine ${covers}; ${arch} runs on backend 'cpu' or 'auto'`);
    const slow = p.isSoftware ? ' (a software adapter: correct but slower than the CPU reference)' : '';
    return { kind: 'webgpu', ...at, why: `the WGSL engine on ${p.name}, as requested${slow}` };
  }
  if (requested !== 'auto') throw new InputError(`backend: expected one of ${BACKEND_REQUESTS.join(', ')}, got ${JSON.stringify(requested)}`);
  /** On the CPU because `because`: the wasm engine where it covers the config, else the reference (saying why not wasm). */
  const onCpu = (because: string): BackendInfo =>
    wasmNote === null
      ? { kind: 'wasm', ...at, why: `${WASM_ENGINE}: ${because}` }
      : { kind: 'cpu', ...at, why: `the CPU reference: ${because}${wasmNote === undefined ? '' : `; the wasm engine ${wasmNote}`}` };
  if (!p.adapter) return onCpu(p.why);
  if (!gpuArchs.includes(arch)) return onCpu(`the WGSL engine ${covers} (${arch} runs on the CPU)`);
  if (p.isSoftware) return onCpu(`the only adapter is a software one (${p.name}), slower than the reference; backend 'webgpu' forces it`);
  return { kind: 'webgpu', ...at, why: `the WGSL engine on ${p.name}` };
}
