// The WebAssembly SIMD module of the TopK SGD step (saeStep.c): compiled once per process (Node or a browser
// worker: the binary is inlined as base64, so neither needs a file fetch), one instance = one linear memory
// = one SAE's buffers. Typed views onto that memory are made after every allocation and stay valid
// because a trainer allocates once (wb_setup) and the memory never grows after.
// Imports src/core only (no DOM, WebGPU, Node, UI).

import { SAE_STEP_WASM_BASE64 } from './saeStepWasm.ts';

/** The exports of saeStep.c (pointers are byte offsets into `memory`). */
export interface SaeStepExports {
  memory: WebAssembly.Memory;
  wb_alloc(bytes: number): number;
  wb_reset(): void;
  wb_packed_len(dSae: number, dIn: number): number;
  wb_pack_enc(wEnc: number, dSae: number, dIn: number, packed: number): void;
  wb_encode(x: number, bDec: number, packed: number, bEnc: number, batch: number, dIn: number, dSae: number, xc: number, z: number): void;
  wb_topk(z: number, batch: number, n: number, k: number, allowed: number, idx: number, val: number): void;
  wb_decode(idx: number, val: number, wDec: number, bias: number, batch: number, dIn: number, dSae: number, k: number, out: number): void;
  wb_decode_backward(idx: number, val: number, wDec: number, gOut: number, batch: number, dIn: number, dSae: number, k: number, gVal: number, gWDec: number, touched: number): void;
  wb_encode_backward(idx: number, gVal: number, xc: number, wEnc: number, batch: number, dIn: number, dSae: number, k: number, gWEnc: number, gBEnc: number, gBDec: number, touched: number): void;
  wb_project(wDec: number, gDec: number, touched: number, dSae: number, dIn: number): void;
  wb_clip(gWEnc: number, gBEnc: number, gWDec: number, gBDec: number, touched: number, dSae: number, dIn: number, maxNorm: number): number;
  wb_adam(p: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, c1: number, c2: number): void;
  wb_normalize(w: number, rows: number, cols: number): void;
  wb_firing(idx: number, val: number, batch: number, dSae: number, k: number, counts: number, firingCounts: number, tokensSinceFired: number): number;
  wb_dead(tokensSinceFired: number, dSae: number, window: number, dead: number): number;
  wb_ptr(which: number): number;
  wb_setup(dIn: number, dSae: number, k: number, batch: number, kAux: number): number;
  wb_step(lr: number, beta1: number, beta2: number, eps: number, c1: number, c2: number, clipNorm: number, auxCoeff: number, deadWindow: number): void;
}

/** The buffer ids of wb_ptr, in saeStep.c's enum order. */
export const STEP_BUFFERS = [
  'x', 'xc', 'z', 'packed', 'wEnc', 'bEnc', 'wDec', 'bDec',
  'gWEnc', 'gBEnc', 'gWDec', 'gBDec',
  'mWEnc', 'mBEnc', 'mWDec', 'mBDec', 'vWEnc', 'vBEnc', 'vWDec', 'vBDec',
  'idx', 'val', 'gVal', 'auxIdx', 'auxVal', 'auxGVal', 'xHat', 'e', 'eHat',
  'touched', 'dead', 'counts', 'firingCounts', 'tokensSinceFired', 'stats',
] as const;
export type StepBuffer = (typeof STEP_BUFFERS)[number];

let compiled: WebAssembly.Module | null = null;

function bytesOf(base64: string): Uint8Array {
  const s = atob(base64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Whether this JavaScript engine runs WebAssembly SIMD128 (Node ≥ 16, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4):
 * validates a 1-instruction module that uses a v128. false → the backend policy falls back to the reference.
 */
export function wasmSimdSupported(): boolean {
  if (typeof WebAssembly !== 'object') return false;
  // (module (func (result v128) i32.const 0 i8x16.splat))
  return WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11]));
}

/** The compiled module (compiled on first call, then cached for the process). */
export async function loadSaeStepModule(): Promise<WebAssembly.Module> {
  compiled ??= await WebAssembly.compile(bytesOf(SAE_STEP_WASM_BASE64) as Uint8Array<ArrayBuffer>);
  return compiled;
}

/** A fresh instance (its own memory). */
export function instantiate(module: WebAssembly.Module): SaeStepExports {
  return new WebAssembly.Instance(module, {}).exports as unknown as SaeStepExports;
}

/** Typed views onto an instance's memory; call `refresh` after anything that may grow it (an allocation). */
export interface WasmHeap {
  readonly w: SaeStepExports;
  f32(ptr: number, len: number): Float32Array;
  u32(ptr: number, len: number): Uint32Array;
  u8(ptr: number, len: number): Uint8Array;
  f64(ptr: number, len: number): Float64Array;
  /** Allocates and copies `a` in; returns its pointer. */
  put(a: Float32Array | Uint32Array | Uint8Array | Float64Array): number;
  /** Allocates `bytes` zeroed bytes; throws naming the size when the memory cannot grow. */
  alloc(bytes: number): number;
}

export function heapOf(w: SaeStepExports): WasmHeap {
  const buf = () => w.memory.buffer;
  const heap: WasmHeap = {
    w,
    f32: (p, n) => new Float32Array(buf(), p, n),
    u32: (p, n) => new Uint32Array(buf(), p, n),
    u8: (p, n) => new Uint8Array(buf(), p, n),
    f64: (p, n) => new Float64Array(buf(), p, n),
    alloc(bytes) {
      const p = w.wb_alloc(bytes);
      if (p === 0) throw new Error(`wasm engine: cannot allocate ${bytes} bytes (memory is ${w.memory.buffer.byteLength} bytes, at most 2 GiB): train a smaller shape or use backend 'cpu'`);
      return p;
    },
    put(a) {
      const p = heap.alloc(a.byteLength);
      new Uint8Array(buf(), p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return p;
    },
  };
  return heap;
}
