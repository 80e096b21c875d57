// The `sae-workbench` CLI: dispatches `train`, `ensemble`, `eval`, `sweep`, `geometry`, `lm` and `bench`, prints JSON results on stdout, progress on
// stderr, and a one-line reason with exit code 2 on bad input. Node only; imports core and cli.

import { InputError } from '../core/errors.ts';
import { parseFlags, usage } from './args.ts';
import { BENCH_FLAGS, runBench } from './bench.ts';
import { ENSEMBLE_FLAGS, runEnsemble } from './ensemble.ts';
import { EVAL_FLAGS, runEval } from './eval.ts';
import { GEOMETRY_FLAGS, runGeometry } from './geometry.ts';
import { runLm } from './lm.ts';
import { SWEEP_FLAGS, runSweep } from './sweep.ts';
import { TRAIN_FLAGS, runTrain, writeJson } from './train.ts';

const VERSION = '0.1.0';

const HELP = `sae-workbench ${VERSION}: train, ensemble and evaluate sparse autoencoders on WebGPU (Dawn) or the CPU reference

usage:
  sae-workbench train --data SPEC [flags]     train an SAE, evaluate it, optionally --export a SAELens folder
  sae-workbench ensemble --data SPEC --method bagging|boosting|expanded --members J [--repeats R] [flags]
                                              train an ensemble, metrics for every J' = 1..J, --export each member
  sae-workbench ensemble --from DIR|ZIP --data SPEC   evaluate a saved ensemble (an --export DIR or the app's zip)
  sae-workbench eval --sae DIR --data SPEC    evaluate any SAELens folder on data
  sae-workbench sweep --data SPEC --trainer sgd,pam-sgd[,sgd-tied] --fractions 1,5,10,25,50,100 | --updates 1,3,5,10
                      [--align equal-epochs|equal-steps|equal-time] [--svg FILE]
                                              the SGD vs PAM-SGD A/B: held-out test MSE per training fraction or
                                              PAM-SGD updates per batch (CPU reference)
  sae-workbench geometry --sae DIR|--model DIR [--plane i,j,k --data SPEC] [--range u0,u1,v0,v1] --grid N --out FILE.npy
                                              the region label of every grid point on a plane (what the lab draws)
  sae-workbench lm generate|activations       the stories260K language model: greedy text, activations as .npy
  sae-workbench bench [--json FILE] [--quick] time our WGSL kernels against TensorFlow.js's WebGPU backend
  sae-workbench COMMAND --help                the flags of a command

SPEC: FILE.npy (2-D f32/f64/f16) | FILE.safetensors --tensor NAME | FILE.f32 --shape ROWS,DIN
      | FILE.csv / FILE.tsv (numbers; .gz ok) | an IDX file (*-ubyte, .idx; .gz ok)
      | builtin:stories-resid-L (L = 0..5) | builtin:stories-mlp-L (L = 1..5)   stories260K activations over TinyStories
      | builtin:fashion-mnist | builtin:digits | builtin:glove-50d
      | synthetic:PRESET[:SEED]   presets: small (16-d, 32 features), medium (64-d, 256), large (256-d, 2048)

--backend auto|webgpu|wasm|cpu   which engine trains, chosen as the app chooses (src/engine/training/backend.ts):
      auto (default): the WGSL engine on a hardware GPU; on the CPU when there is no WebGPU adapter or only a
      software one (SwiftShader, lavapipe: CPU emulations, slower than the reference): the wasm engine
      (WebAssembly SIMD, topk + sgd) where it covers the config, else the CPU reference; webgpu forces the
      WGSL engine (on SwiftShader too); wasm the wasm engine; cpu the reference (neither loads WebGPU).
      The JSON's backend.note says which and why.
`;

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const wantsHelp = rest.includes('--help') || rest.includes('-h');
    switch (command) {
      case 'train': {
        if (wantsHelp) return print(usage('sae-workbench train', 'train one SAE and report JSON', TRAIN_FLAGS));
        const f = parseFlags(rest, TRAIN_FLAGS, 'train');
        process.stdout.write(writeJson(f, await runTrain(f)));
        return 0;
      }
      case 'ensemble': {
        if (wantsHelp) return print(usage('sae-workbench ensemble', 'train an ensemble of SAEs (bagging, boosting or one expanded SAE) and report metrics per J as JSON', ENSEMBLE_FLAGS));
        const f = parseFlags(rest, ENSEMBLE_FLAGS, 'ensemble');
        process.stdout.write(writeJson(f, await runEnsemble(f)));
        return 0;
      }
      case 'eval': {
        if (wantsHelp) return print(usage('sae-workbench eval', 'evaluate a SAELens folder and report JSON', EVAL_FLAGS));
        const f = parseFlags(rest, EVAL_FLAGS, 'eval');
        process.stdout.write(writeJson(f, await runEval(f)));
        return 0;
      }
      case 'sweep': {
        if (wantsHelp) return print(usage('sae-workbench sweep', 'SGD vs PAM-SGD (and tied SGD) on held-out rows: a training-fraction or an updates-per-batch sweep, as JSON (+ --svg)', SWEEP_FLAGS));
        const f = parseFlags(rest, SWEEP_FLAGS, 'sweep');
        process.stdout.write(writeJson(f, await runSweep(f)));
        return 0;
      }
      case 'geometry': {
        if (wantsHelp) return print(usage('sae-workbench geometry', 'the region label of every point of an N×N grid on a plane (TopK cells, activation patterns) as .npy, with the coordinates in the JSON', GEOMETRY_FLAGS));
        const f = parseFlags(rest, GEOMETRY_FLAGS, 'geometry');
        process.stdout.write(writeJson(f, await runGeometry(f)));
        return 0;
      }
      case 'lm':
        process.stdout.write(runLm(rest));
        return 0;
      case 'bench': {
        if (wantsHelp) return print(usage('sae-workbench bench', 'time our kernels against TensorFlow.js on this adapter', BENCH_FLAGS));
        process.stdout.write(await runBench(parseFlags(rest, BENCH_FLAGS, 'bench')));
        return 0;
      }
      default:
        throw new InputError(`unknown command "${command}": use train, ensemble, eval, sweep, geometry, lm or bench (sae-workbench --help)`);
    }
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`sae-workbench: ${e.message}\n`);
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`sae-workbench: internal error: ${msg.split('\n')[0]}${process.env.DEBUG ? `\n${(e as Error).stack}` : ' (DEBUG=1 for the stack)'}\n`);
    return 1;
  }
}

function print(text: string): number {
  process.stdout.write(text);
  return 0;
}
