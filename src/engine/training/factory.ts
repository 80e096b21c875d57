// The trainer factory: the one place that knows which code trains which model with which optimiser on
// which backend. A member trainer is made from {model family, trainer (optimiser), backend}; the app's
// Workbench and the CLI both get theirs here, with the same backend policy (backend.ts).
//
// Adding a trainer (PAM-SGD, issue #11) or a model family (k-means, k-flats, issue #12) = a core twin,
// kernels if any, and one entry in TRAINER_TABLE — nothing in the CLI or the UI beyond a new option value
// (TRAINERS / ARCHS in src/core/sae/). Imports src/core and src/gpu only: no UI, Comlink, Node or WGSL.

import type { ModelFamily, TrainConfig, TrainerName } from '../../core/sae/config.ts';
import { DEFAULT_CONFIG, familyOfArch } from '../../core/sae/config.ts';
import { InputError } from '../../core/errors.ts';
import type { Arch, Dataset, Sae } from '../../core/sae/types.ts';
import type { Checkpoint } from '../../core/sae/checkpoint.ts';
import { ARCHS } from '../../core/sae/types.ts';
import type { BackendInfo, BackendKind, BackendRequest } from '../api.ts';
import type { Probe } from './backend.ts';
import { chooseBackend, probeGpu } from './backend.ts';
import { createPamTrainer } from '../../core/sae/pamTrain.ts';
import { createCpuTrainer } from './cpuTrainer.ts';
import { createClusterTrainer } from '../../core/cluster/trainer.ts';
import { createWasmMemberTrainer, wasmBackendRefusal } from './wasmTrainer.ts';
import { ENCODER_ONLY_ARCHS, GPU_ARCHS } from './gpuTrainer.ts';
import type { MemberTrainer } from './memberTrainer.ts';
import type { DeviceHolder, GpuTrainerChoice } from './webgpuTrainer.ts';
import { createDeviceHolder, createWebGpuTrainer } from './webgpuTrainer.ts';
import { createWebGpuPamTrainer } from './webgpuPamTrainer.ts';

/** What kind of model a config trains (core/sae/config.ts): an SAE, or a cluster family (issue #12). */
export type { ModelFamily };

/** The family an architecture belongs to. */
export const familyOf = (arch: Arch): ModelFamily => {
  if (!ARCHS.includes(arch)) throw new InputError(`arch "${String(arch)}" is unknown: use one of ${ARCHS.join(', ')}`);
  return familyOfArch(arch);
};

/** What a member trainer trains: SAEs with these init seeds (one batch order, seeds[0]'s), on `data` or on the residual of frozen stages. */
export interface MemberTrainerRequest {
  data: Dataset;
  config: Partial<TrainConfig>;
  seeds: readonly number[];
  /** Boosting: the frozen earlier stages; the members train on the residual they leave (seed-papers §2.4). */
  residualOf?: readonly Sae[];
  /** Continue this checkpoint (SGD; checked against data and config by checkpoint.ts's resumeConfig) instead of starting at step 0. */
  resumeFrom?: Checkpoint;
}

type Make<Ctx> = (req: MemberTrainerRequest, ctx: Ctx) => Promise<MemberTrainer>;

/** One row per (family, trainer): how each backend makes it, and which architectures the WGSL engine covers. */
interface TrainerEntry {
  family: ModelFamily;
  trainer: TrainerName;
  cpu: Make<null>;
  /** archs: what the WGSL engine trains with it; maxSaes: most SAEs one member trainer holds there (default: any). */
  webgpu: { archs: readonly Arch[]; maxSaes?: number; make: Make<GpuTrainerChoice> } | null;
  /** webgpu null: why the WGSL engine does not train it (the backend line says this). */
  gpuWhy?: string;
}

/** The cluster families on the CPU reference (src/core/cluster/trainer.ts), through the same member trainer as the SAEs. */
const clusterCpu: Make<null> = (r) => Promise.resolve(createCpuTrainer(r.data, r.config, r.seeds, r.residualOf, createClusterTrainer));
/**
 * Why no WGSL row yet: a Lloyd / k-flats step is one pass of assignment (an encoder GEMM + top-1) and
 * per-cluster sums over all rows, plus a local PCA per cluster; the GEMM and TopK kernels exist, the per-cluster
 * statistics and the PCA do not (issue #12 item 5). The CPU reference does 10k × 784, 64 clusters in ~1 s a step.
 */
const CLUSTER_GPU_WHY = 'does not train k-means / k-flats yet (their steps run on the CPU reference: src/core/cluster/)';

const TRAINER_TABLE: readonly TrainerEntry[] = [
  {
    family: 'sae',
    trainer: 'sgd',
    cpu: (r) => Promise.resolve(createCpuTrainer(r.data, r.config, r.seeds, r.residualOf, undefined, r.resumeFrom)),
    webgpu: { archs: GPU_ARCHS, make: (r, gpu) => createWebGpuTrainer(r.data, r.config, r.seeds, gpu, r.residualOf, r.resumeFrom) },
  },
  {
    // PAM-SGD (SplInterp §3.6): Adam on the encoder, the decoder in closed form each epoch (src/core/sae/pamTrain.ts).
    family: 'sae',
    trainer: 'pam-sgd',
    cpu: (r) => Promise.resolve(createCpuTrainer(r.data, r.config, r.seeds, r.residualOf, createPamTrainer, r.resumeFrom)),
    // TopK only (the GPU statistics read sparse codes) and one SAE per trainer (webgpuPamTrainer.ts refuses more).
    // The decoder solve has no member axis yet: one SAE at a time (bagging falls back to the CPU reference).
    webgpu: { archs: ENCODER_ONLY_ARCHS, maxSaes: 1, make: (r, gpu) => createWebGpuPamTrainer(r.data, r.config, r.seeds, gpu, r.residualOf) },
  },
  // The cluster families (issue #12, seed-papers §3.3–3.4): Lloyd / the k-flats alternation, k-means as a
  // Top-1 SAE trained by Adam, and the paper's toy (k-means, then PCA per cluster).
  { family: 'kmeans', trainer: 'lloyd', cpu: clusterCpu, webgpu: null, gpuWhy: CLUSTER_GPU_WHY },
  { family: 'kmeans', trainer: 'sgd', cpu: clusterCpu, webgpu: null, gpuWhy: CLUSTER_GPU_WHY },
  { family: 'kflats', trainer: 'lloyd', cpu: clusterCpu, webgpu: null, gpuWhy: CLUSTER_GPU_WHY },
  { family: 'kflats', trainer: 'kmeans-then-pca', cpu: clusterCpu, webgpu: null, gpuWhy: CLUSTER_GPU_WHY },
];

/** The (family, trainer) rows, for the test that they match core's FAMILY_TRAINERS. */
export const trainerRows = (): { family: ModelFamily; trainer: TrainerName }[] => TRAINER_TABLE.map((e) => ({ family: e.family, trainer: e.trainer }));

function entryFor(config: Partial<TrainConfig>): TrainerEntry {
  const arch = config.arch ?? DEFAULT_CONFIG.arch;
  const trainer = config.trainer ?? DEFAULT_CONFIG.trainer;
  const family = familyOf(arch);
  const e = TRAINER_TABLE.find((x) => x.family === family && x.trainer === trainer);
  if (!e) {
    const known = TRAINER_TABLE.filter((x) => x.family === family).map((x) => x.trainer);
    throw new InputError(`trainer ${String(trainer)} does not train ${arch} ${family === 'sae' ? 'SAEs' : 'models'}: use one of ${known.join(', ')} (or another arch)`);
  }
  return e;
}

/**
 * Why the WGSL engine cannot train this config whatever the trainer's coverage, or null. Signed top-K
 * (topkSelect 'abs-signed', the SplInterp scripts' sparsifier, seed-papers §3.6) has no kernel: the GPU TopK
 * plans keep the k largest z and apply ReLU. `auto` then falls back to the CPU reference saying so; `webgpu` is refused.
 */
export function gpuRefusal(config: Partial<TrainConfig>): string | null {
  if ((config.arch ?? DEFAULT_CONFIG.arch) === 'topk' && (config.topkSelect ?? DEFAULT_CONFIG.topkSelect) === 'abs-signed')
    return "does not run signed top-K (topkSelect abs-signed: the k largest |z|, no ReLU) yet: its TopK keeps the k largest z then applies ReLU (set topkSelect relu for the GPU)";
  if ((config.trainer ?? DEFAULT_CONFIG.trainer) === 'pam-sgd' && (config.pamSolveFraction ?? DEFAULT_CONFIG.pamSolveFraction) < 1)
    return `solves PAM-SGD's decoder on every training row only (pamSolveFraction ${config.pamSolveFraction} runs on the CPU reference)`;
  return null;
}

/** The architectures the WGSL engine trains with this config's trainer (empty: CPU only). */
export const gpuArchsFor = (config: Partial<TrainConfig>): readonly Arch[] => (gpuRefusal(config) !== null ? [] : (entryFor(config).webgpu?.archs ?? []));

/**
 * One per Workbench or CLI process: the adapter probe (once), the backend choice for a config, a shared
 * WebGPU device, and member trainers for a chosen backend.
 */
export interface TrainerFactory {
  /** What the probe found (asked once, on first use). */
  probe(): Promise<Probe>;
  /** The backend a run of `config` gets for `requested` (the one policy: backend.ts); saes: SAEs one member trainer holds (bagging: J). */
  backend(requested: BackendRequest, config: Partial<TrainConfig>, saes?: number): Promise<BackendInfo>;
  /** A member trainer on `backend.kind` (from backend(): a 'webgpu' choice had an adapter). */
  memberTrainer(backend: BackendKind, req: MemberTrainerRequest): Promise<MemberTrainer>;
  /** The shared device for other GPU work (the LM forward pass) on a hardware adapter; null otherwise. */
  hardwareDevice(): Promise<GPUDevice | null>;
  /** Destroys the shared device (a CLI process that is done). Trainers made before are unusable after. */
  dispose(): void;
}

/** gpu: navigator.gpu, Dawn's GPU in Node, or null (whyNone says why: shown in BackendInfo.why). */
export function createTrainerFactory(gpu: GPU | null | undefined, whyNone?: string): TrainerFactory {
  let probed: Promise<Probe> | null = null;
  const probe = (): Promise<Probe> => (probed ??= probeGpu(gpu, whyNone));
  const devices: DeviceHolder | null = gpu ? createDeviceHolder(gpu) : null;
  return {
    probe,
    async backend(requested, config, saes = 1) {
      const arch = config.arch ?? DEFAULT_CONFIG.arch;
      const trainer = config.trainer ?? DEFAULT_CONFIG.trainer;
      const max = entryFor(config).webgpu?.maxSaes ?? Infinity;
      const refusal = gpuRefusal(config);
      const note = refusal ?? entryFor(config).gpuWhy ?? (saes > max ? `trains ${trainer} ${max === 1 ? 'one SAE' : `${max} SAEs`} at a time (this run trains ${saes} together)` : undefined);
      return chooseBackend(requested, arch, await probe(), saes > max ? [] : gpuArchsFor(config), trainer, note, wasmBackendRefusal(config));
    },
    async memberTrainer(backend, req) {
      const entry = entryFor(req.config);
      if (backend === 'cpu') return entry.cpu(req, null);
      if (backend === 'wasm') {
        const why = wasmBackendRefusal(req.config);
        if (why !== null) throw new InputError(`backend 'wasm': the wasm engine ${why}: use backend 'cpu' or 'auto'`);
        return createWasmMemberTrainer(req.data, req.config, req.seeds, req.residualOf, req.resumeFrom);
      }
      const refusal = gpuRefusal(req.config);
      if (refusal !== null) throw new InputError(`backend 'webgpu': the WGSL engine ${refusal}: use backend 'cpu' or 'auto'`);
      const p = await probe();
      if (!entry.webgpu || !devices || !p.adapter) throw new InputError(`backend 'webgpu': ${p.adapter ? `the WGSL engine ${entry.gpuWhy ?? 'does not train this model'}` : p.why}: use backend 'cpu' or 'auto'`);
      if (req.resumeFrom && entry.trainer !== 'sgd') throw new InputError(`resume: trainer ${entry.trainer}: resume is SGD-only so far: start a fresh run`);
      return entry.webgpu.make(req, { devices, adapterLimits: p.adapter.limits, isSoftware: p.isSoftware === true });
    },
    async hardwareDevice() {
      const p = await probe();
      return devices && p.adapter && p.isSoftware === false ? (await devices.get({})).device : null;
    },
    dispose() {
      devices?.release();
    },
  };
}
