// The TensorFlow.js peer of `sae-workbench bench`: our encoder GEMM and our TopK training step written
// the way a TF.js user would, on TF.js's WebGPU backend running on OUR GPUDevice (same adapter, same
// process, same queue), each returned as a harness Runner.
// Node only, bench only: loads @tensorflow/tfjs (the union package: it registers the gradients, which
// tfjs-core's Node build does not) and @tensorflow/tfjs-backend-webgpu dynamically, as dev dependencies.
// Never import it from src/core, src/gpu, src/engine, src/ui or the browser build.

import type * as Tf from '@tensorflow/tfjs';
import type { BenchShape, Runner } from './harness.ts';

export const TFJS_INSTALL = 'npm install --save-dev @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-webgpu@4.22.0';

type Tensor = Tf.Tensor;
type Tensor2D = Tf.Tensor2D;

/** The parts of tfjs-backend-webgpu's WebGPUBackend we use to flush its batched command encoder. */
interface WebGpuBackendLike {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

export interface TfjsPeer {
  /** e.g. "4.22.0" */
  version: string;
  /** The TF.js flags that shape its kernels (recorded in the report). */
  flags: Record<string, unknown>;
  /** z = x·wEncᵀ + bEff by tf.fused.matMul (TF.js's fastest path: one GEMM kernel with the bias fused). */
  gemm(s: BenchShape): Runner;
  /** tf.topk(z, k) on z [batch, dSae]. */
  topk(s: BenchShape): Runner;
  /** One TopK training step: encode, TopK, ReLU, dense decode, MSE, tf.variableGrads, projection, clip, Adam, renorm. */
  step(s: BenchShape): Runner;
  dispose(): void;
}

/** CommonJS packages seen through import(): the exports may sit on `default`. */
function cjs<T>(m: T): T {
  const d = (m as { default?: T }).default;
  return d && typeof d === 'object' ? d : m;
}

/**
 * TF.js's WebGPUBackend checks `navigator.gpu` in its constructor (Node 20 has no navigator). We give it
 * one only for that call: a GPU left on globalThis.navigator keeps Node from exiting (see src/gpu/node.ts).
 */
function withNavigatorGpu<T>(gpu: GPU, fn: () => T): T {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  const current = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (current?.gpu) return fn();
  Object.defineProperty(globalThis, 'navigator', { value: { ...(current ?? {}), gpu }, configurable: true, writable: true });
  try {
    return fn();
  } finally {
    if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    else delete (globalThis as { navigator?: unknown }).navigator;
  }
}

/**
 * Loads TF.js and makes its 'webgpu' backend run on `device` (an adapter gives one device; TF.js's own
 * registration would ask for a second). Throws with the install line when the packages are missing.
 */
export async function createTfjsPeer(gpu: GPU, device: GPUDevice, adapterInfo: GPUAdapterInfo): Promise<TfjsPeer> {
  let tf: typeof Tf;
  let WebGPUBackend: new (device: GPUDevice, info?: GPUAdapterInfo) => unknown;
  try {
    tf = cjs(await import('@tensorflow/tfjs'));
    const wg = cjs(await import('@tensorflow/tfjs-backend-webgpu'));
    WebGPUBackend = wg.WebGPUBackend as unknown as typeof WebGPUBackend;
  } catch (e) {
    throw new Error(`TensorFlow.js is not installed (${(e as Error).message.split('\n')[0]}): ${TFJS_INSTALL}`);
  }
  const backend = withNavigatorGpu(gpu, () => new WebGPUBackend(device, adapterInfo)) as WebGpuBackendLike;
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => backend as unknown as Tf.KernelBackend, 3);
  if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js: setBackend("webgpu") failed on our GPUDevice');
  if (backend.device !== device) throw new Error('TensorFlow.js: the webgpu backend is not on our GPUDevice');

  /** Submit what TF.js has batched in its command encoder (it submits every 15 dispatches, or on a read). */
  const flush = (): void => {
    if (backend.commandEncoder) {
      backend.endComputePassEncoder();
      backend.submitQueue();
    }
  };
  const flagNames = ['WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 'WEBGPU_CPU_FORWARD', 'WEBGPU_MATMUL_PROGRAM_TYPE', 'WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD'];
  const flags: Record<string, unknown> = {};
  for (const f of flagNames) {
    try {
      flags[f] = tf.env().get(f);
    } catch {
      flags[f] = 'unknown';
    }
  }
  let seed = 1;
  const randn = (shape: number[], scale = 1): Tensor => tf.tidy(() => tf.randomNormal(shape, 0, scale, 'float32', seed++));
  const keep = (ts: Tensor[]): Runner['dispose'] => () => {
    flush();
    for (const t of ts) t.dispose();
  };

  return {
    version: tf.version.tfjs ?? tf.version_core,
    flags,
    gemm({ batch, dIn, dSae }) {
      const x = randn([batch, dIn]) as Tensor2D; // [batch, dIn]
      const w = randn([dSae, dIn], 1 / Math.sqrt(dIn)) as Tensor2D; // [dSae, dIn]
      const b = randn([dSae], 0.1); // [dSae]
      return {
        submit() {
          tf.tidy(() => {
            tf.fused.matMul({ a: x, b: w, transposeB: true, bias: b }); // z [batch, dSae], released after the submit
          });
          flush();
        },
        dispose: keep([x, w, b]),
      };
    },
    topk({ batch, dSae, k }) {
      const z = randn([batch, dSae]); // [batch, dSae]
      return {
        submit() {
          tf.tidy(() => {
            tf.topk(z, k, true); // values, indices [batch, k]
          });
          flush();
        },
        dispose: keep([z]),
      };
    },
    step(s) {
      return topkStep(tf, s, randn, flush);
    },
    dispose() {
      flush();
      tf.disposeVariables();
    },
  };
}

let stepCount = 0;

/**
 * The TopK SAE training step in TF.js ops, the recipe of src/core/sae/train.ts without AuxK:
 *   z = (x − bDec)·wEncᵀ + bEnc            [batch, dSae]
 *   f = ReLU(z) on the row's top k, else 0  (tf.topk threshold; a customGrad: TF.js has no TopK gradient)
 *   x̂ = f·wDec + bDec                      [batch, dIn]   (dense: TF.js has no sparse matmul)
 *   loss = (1/batch) Σ ‖x − x̂‖²             gradients by tf.variableGrads
 *   gDec −= (gDec·wDec)wDec per row; clip the global norm to 1; Adam (tf.train.adam); wDec rows → unit;
 *   firing counts += Σ_t [f > 0].
 * Everything stays on the GPU: no readback inside the step.
 */
function topkStep(tf: typeof Tf, { batch, dIn, dSae, k }: BenchShape, randn: (shape: number[], scale?: number) => Tensor, flush: () => void): Runner {
  const id = `bench${++stepCount}`;
  const wDec0 = tf.tidy(() => {
    const w = randn([dSae, dIn]);
    return tf.div(w, tf.norm(w, 'euclidean', 1, true));
  });
  const wEnc = tf.variable(wDec0, true, `${id}/wEnc`); // [dSae, dIn]
  const wDec = tf.variable(wDec0, true, `${id}/wDec`); // [dSae, dIn]
  const bEnc = tf.variable(tf.zeros([dSae]), true, `${id}/bEnc`); // [dSae]
  const bDec = tf.variable(tf.zeros([dIn]), true, `${id}/bDec`); // [dIn]
  const fired = tf.variable(tf.zeros([dSae]), false, `${id}/fired`); // [dSae]
  wDec0.dispose();
  const x = randn([batch, dIn]) as Tensor2D; // [batch, dIn], one fixed batch
  const params = [wEnc, bEnc, wDec, bDec];
  const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);

  // f = z where z is among the row's k largest and > 0; gradient passes where kept.
  const topkRelu = tf.customGrad((...args: (Tensor | Tf.GradSaveFunc)[]) => {
    const [z, save] = args as [Tensor, Tf.GradSaveFunc];
    const kth = tf.slice(tf.topk(z, k, true).values, [0, k - 1], [batch, 1]); // [batch, 1]
    const mask = tf.cast(tf.logicalAnd(tf.greaterEqual(z, kth), tf.greater(z, 0)), 'float32'); // [batch, dSae]
    save([mask]);
    return { value: tf.mul(z, mask) as Tensor2D, gradFunc: (dy: Tensor, saved: Tensor[]) => tf.mul(dy, saved[0]) };
  });

  let lossNow: Tensor | null = null; // the last step's loss, kept for lastLoss()
  let firedNow: Tensor | null = null; // [dSae] this step's firing counts, kept out of variableGrads' tidy
  const loss = (): Tf.Scalar => {
    const z = tf.add(tf.matMul(tf.sub(x, bDec), wEnc, false, true), bEnc); // [batch, dSae]
    const f = topkRelu(z);
    const xHat = tf.add(tf.matMul(f, wDec), bDec); // [batch, dIn]
    firedNow = tf.keep(tf.sum(tf.cast(tf.greater(f, 0), 'float32'), 0));
    return tf.div(tf.sum(tf.squaredDifference(x, xHat)), batch);
  };

  return {
    submit() {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(loss, params);
        lossNow?.dispose();
        lossNow = tf.keep(value);
        const gDec = grads[wDec.name];
        grads[wDec.name] = tf.sub(gDec, tf.mul(tf.sum(tf.mul(gDec, wDec), 1, true), wDec));
        const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
        const scale = tf.div(1, tf.maximum(norm, 1)); // clip ‖g‖ to 1
        optimizer.applyGradients(Object.entries(grads).map(([name, g]) => ({ name, tensor: tf.mul(g, scale) })));
        wDec.assign(tf.div(wDec, tf.norm(wDec, 'euclidean', 1, true)));
        if (firedNow) fired.assign(tf.add(fired, firedNow));
      });
      firedNow?.dispose();
      firedNow = null;
      flush();
    },
    dispose() {
      flush();
      optimizer.dispose();
      for (const t of [wEnc, bEnc, wDec, bDec, fired, x]) t.dispose();
      lossNow?.dispose();
    },
    async lastLoss() {
      if (!lossNow) throw new Error('TF.js step: no step has run yet');
      return (await lossNow.data())[0];
    },
    note: 'dense decode, no AuxK',
  };
}
