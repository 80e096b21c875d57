// The wasm engine as a member trainer (issue #15): the CPU member trainer (cpuTrainer.ts: members stepped in
// turn, divergence kept, checkpoints, resume) over the wasm engine's core-shaped trainer
// (src/cpu/wasmTrainer.ts), one WebAssembly instance per SAE, one thread. Imports src/core and src/cpu only.

import type { TrainConfig } from '../../core/sae/config.ts';
import type { Checkpoint } from '../../core/sae/checkpoint.ts';
import type { TrainerOptions } from '../../core/sae/train.ts';
import type { Dataset, Sae } from '../../core/sae/types.ts';
import { loadSaeStepModule, wasmSimdSupported } from '../../cpu/saeStep.ts';
import { createWasmTrainer, wasmRefusal } from '../../cpu/wasmTrainer.ts';
import { createCpuTrainer } from './cpuTrainer.ts';
import type { MemberTrainer } from './memberTrainer.ts';

/** Why the wasm engine cannot train `config` here (this JavaScript engine, this config), or null when it can. */
export function wasmBackendRefusal(config: Partial<TrainConfig>): string | null {
  if (!wasmSimdSupported()) return 'needs WebAssembly SIMD, which this JavaScript engine lacks';
  return wasmRefusal(config);
}

/** Members with these seeds on `data` (or the residual of `residualOf`), trained by the wasm engine; resumeFrom: continue it. */
export async function createWasmMemberTrainer(data: Dataset, config: Partial<TrainConfig>, seeds: readonly number[], residualOf: readonly Sae[] = [], resumeFrom?: Checkpoint): Promise<MemberTrainer> {
  const module = await loadSaeStepModule();
  const make = (d: Dataset, c: Partial<TrainConfig>, o: TrainerOptions) => createWasmTrainer(module, d, c, o);
  return createCpuTrainer(data, config, seeds, residualOf, make, resumeFrom, { kind: 'wasm', resumableMake: make });
}
