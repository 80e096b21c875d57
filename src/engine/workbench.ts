// createWorkbench(gpu?): the Workbench (src/engine/api.ts), implemented once for the worker, the CLI and
// the tests, as a facade over small modules: the training layer (training/: backend policy, trainer
// factory, ensemble trainer, run loop), the run lifecycle and its snapshots (run/), the dataset registry,
// exports (one provenance block), inspection and the trainer A/B (compare.ts). Control calls run one at a
// time, in order.
// Imports src/core and src/gpu only (through those modules): no DOM, React, Comlink, Node or WGSL.

import { DEFAULT_CONFIG, resolveConfig } from '../core/sae/config.ts';
import { readEnsembleZip } from '../core/formats/ensembleFile.ts';
import { InputError } from '../core/errors.ts';
import type { DatasetInfo, DatasetRequest, EnsembleEvaluation, InspectingWorkbench, LoadEnsembleRequest, RunInfo, SnapshotListener } from './api.ts';
import type { DataReader } from './data/datasets.ts';
import { BUILTINS, describeRows, fetchReader, uploadedBytes } from './data/datasets.ts';
import { createDatasetRegistry } from './data/registry.ts';
import { downstreamOf, ensembleRows, evaluateRunEnsemble, runEnsembleViews } from './ensemble/ensembleRun.ts';
import { ensembleZip, runExport, runZip } from './exports.ts';
import { createInspection } from './inspect/inspection.ts';
import { createComparer } from './compare.ts';
import { createPartitionGpu, type PartitionGpu } from './geometry/partitionGpu.ts';
import { createLabRenderer } from './lab/render.ts';
import { createLabSession } from './lab/session.ts';
import { sliceOf } from '../core/lab/slice.ts';
import { createSnapshotChannel } from './run/channel.ts';
import { createRunController } from './run/controller.ts';
import { createTrainerFactory } from './training/factory.ts';

/** Where the shipped data (public/data/) comes from. */
export interface WorkbenchOptions {
  /** A base URL the files are fetched from, e.g. new URL('/data/', self.location.href).href in the worker. */
  dataBase?: string;
  /** Or a reader of those files by name (Node: fs.readFile of public/data/). Wins over dataBase. */
  readData?: DataReader;
}

const noData: DataReader = (file) =>
  Promise.reject(new InputError(`${file}: this workbench has no data folder: create it with createWorkbench(gpu, { dataBase }) or { readData }`));

export function createWorkbench(gpu?: GPU, options: WorkbenchOptions = {}): InspectingWorkbench {
  const factory = createTrainerFactory(gpu);
  const channel = createSnapshotChannel();
  // The registry reports progress through the current run's snapshots (or idle ones before any run).
  const datasets = createDatasetRegistry({
    read: options.readData ?? (options.dataBase ? fetchReader(options.dataBase) : noData),
    // The LM behind text datasets runs on WebGPU only on a hardware adapter (on a software one the CPU reference is faster).
    lmDevice: () => factory.hardwareDevice(),
    pinned: () => runs.current()?.datasetId ?? null,
    onProgress: (force) => runs.emitCurrent(force),
  });
  const runs = createRunController({ channel, factory, datasetFor: (id) => datasets.datasetFor(id), loading: () => datasets.loading(), comparing: () => comparer.progress() });
  const inspection = createInspection(runs, (id) => datasets.get(id));

  /** Control calls run one at a time, in order (a pause waits for the loop; a new run for the old one's end). */
  let control: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = control.then(fn, fn);
    control = next.catch(() => undefined);
    return next;
  };

  const comparer = createComparer({
    serial: (fn) => serial(fn),
    datasetFor: (id) => datasets.datasetFor(id),
    current: () => {
      const r = runs.current();
      return r ? { id: r.id, status: r.status } : null;
    },
    reserveRunIds: (n) => runs.reserveRunIds(n),
    emit: (force) => runs.emitCurrent(force),
  });

  // The geometry lab: its own session, beside the runs (it trains on the CPU reference: dIn = 2). Partitions
  // are drawn by geometry's WGSL kernel on a hardware adapter (the shared device), else on the CPU, saying why.
  let labCpuWhy = 'starting';
  let labGpu: Promise<PartitionGpu | null> | null = null;
  const labRenderer = createLabRenderer(
      () =>
        (labGpu ??= (async () => {
          const device = await factory.hardwareDevice();
          if (device) return createPartitionGpu(device);
          const b = await factory.probe();
          labCpuWhy = !b.adapter ? 'no WebGPU adapter' : `software adapter ${b.name ?? ''}`.trim();
          return null;
        })().catch((e: unknown) => {
          labCpuWhy = `the GPU partition kernel did not start: ${e instanceof Error ? e.message : String(e)}`;
          return null;
        })),
      () => labCpuWhy,
  );
  const lab = createLabSession({ datasetFor: (id) => datasets.datasetFor(id), renderer: labRenderer });

  /** The current run (checked), its weights now and their source. */
  const currentWeights = async (what: string) => {
    const r = runs.current();
    if (!r) throw new InputError(`${what}: there is no run yet: start one with startRun`);
    return { r, ...(await runs.weightsOf(r, what)) };
  };

  const checkMember = (what: string, member: number, M: number): void => {
    if (!Number.isSafeInteger(member) || member < 0 || member >= M)
      throw new InputError(`${what}: member must be an integer in [0, ${M - 1}] (the run has ${M} member${M === 1 ? '' : 's'}), got ${member}`);
  };

  const exportOf = async (member: number) => {
    const r = runs.current();
    if (!r) throw new InputError('exportRun: there is no run yet: start one with startRun');
    checkMember('exportRun', member, r.info.seeds.length);
    const { w, source } = await runs.weightsOf(r, 'exportRun');
    if (member >= w.saes.length) throw new InputError(`exportRun: boosting stage ${member} of run ${r.id} is not trained yet (stages 0..${w.saes.length - 1} are): wait for it, or export an earlier stage`);
    return { r, e: runExport(r.info, r.dataset, w, member, source) };
  };

  /** The current run, its weights now (every SAE trained so far) and its loaded dataset, for the ensemble answers. */
  const ensembleInputs = async (what: string) => {
    if (!runs.current()) throw new InputError(`${what}: there is no run yet: train an ensemble (startRun with ensemble) or load one (loadEnsemble)`);
    const { r, w } = await currentWeights(what);
    const d = datasets.get(r.datasetId);
    if (!d) throw new InputError(`${what}: the run's dataset "${r.datasetId}" is no longer loaded: load it again (loadDataset) or start a new run`);
    return { r, w, d };
  };

  /** A saved ensemble becomes the current run, status 'done', on a loaded dataset of its dIn. Nothing loaded is lost on a bad file. */
  const loadEnsembleOf = async (req: LoadEnsembleRequest): Promise<RunInfo> => {
    if (typeof req !== 'object' || req === null) throw new InputError(`loadEnsemble: expected { file, dataset }, got ${String(req)}`);
    const loaded = await datasets.datasetFor(req.dataset);
    const file = await uploadedBytes(req.file, { uploads: datasets.uploads }, () => undefined);
    const { manifest, saes } = await readEnsembleZip(file.bytes, file.name);
    if (saes[0].dIn !== loaded.info.dIn)
      throw new InputError(`${file.name}: d_in: the ensemble takes ${saes[0].dIn} inputs per row but ${loaded.info.id} has ${loaded.info.dIn}: pick the dataset it was trained on (${manifest.dataset || 'see its ensemble.json'})`);
    const first = saes[0];
    const config = resolveConfig({ ...DEFAULT_CONFIG, arch: first.arch, dSae: first.dSae, k: first.k > 0 ? first.k : DEFAULT_CONFIG.k, seed: manifest.seeds[0] }, first.dIn);
    const stageSteps = typeof manifest.config.steps === 'number' ? manifest.config.steps : 0;
    const info: RunInfo = {
      run: 0, // numbered by adopt
      backend: { kind: 'cpu', adapter: null, isSoftware: null, why: `loaded from ${file.name}: nothing to train` },
      seeds: manifest.seeds,
      config,
      ensemble: { method: manifest.method, members: manifest.members, saes: saes.length, latentsPerSae: first.dSae, stageSteps },
      dataset: loaded.info.id,
      origin: 'loaded',
    };
    const r = await runs.adopt({
      dataset: loaded.info.id,
      datasetId: loaded.info.id,
      info,
      trainer: null,
      steps: manifest.step,
      step: manifest.step,
      status: 'done',
      last: null,
      activeMs: 0,
      tokens: 0,
      recent: { steps: [], loss: saes.map(() => []), solves: [] },
      good: { step: manifest.step, tokens: 0, saes, firingCounts: saes.map((s) => new Float64Array(s.dSae)) },
      goodAtMs: performance.now(),
      loop: Promise.resolve(),
      until: null,
      density: null,
      densityAtMs: -Infinity,
    });
    return r.info;
  };

  return {
    backend: () => factory.backend('auto', { arch: 'topk' }),

    startRun: (req) => serial(() => runs.start(req)),
    pause: () => serial(() => runs.pause()),
    resume: () => serial(() => Promise.resolve(runs.resume())),
    stop: () => serial(() => runs.stop()),
    step: (n = 1) => serial(() => runs.step(n)),
    checkpointRun: () => serial(() => runs.checkpoint()),

    exportRun: (member = 0) => serial(async () => (await exportOf(member)).e),
    exportZip: (member = 0) =>
      serial(async () => {
        const { r, e } = await exportOf(member);
        return runZip(r.info, r.dataset, e);
      }),
    beginUpload: (start) => Promise.resolve().then(() => datasets.uploads.begin(start)),
    uploadChunk: (handle, chunk) =>
      Promise.resolve()
        .then(() => datasets.uploads.push(handle, chunk))
        .catch((e: unknown) => {
          datasets.setLoading(null, true);
          throw e;
        }),

    catalog: () => Promise.resolve(BUILTINS.map((b) => ({ ...b, shape: [...b.shape] }))),
    loadDataset: async (req: DatasetRequest): Promise<DatasetInfo> => (await datasets.load(req)).info,
    listDatasets: () => Promise.resolve(datasets.list().map((d) => d.info)),
    datasetRows(id: string, rows: number[]) {
      const d = datasets.get(id);
      if (!d) return Promise.reject(new InputError(`datasetRows: dataset "${id}" is not loaded (loaded: ${datasets.list().map((x) => x.info.id).join(', ') || 'none'})`));
      try {
        return Promise.resolve(describeRows(d, rows));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    },

    inspectRun: (req) => inspection.inspectRun(req),
    latentDetail: (req) => inspection.latentDetail(req),

    evaluateEnsemble: () =>
      serial(async (): Promise<EnsembleEvaluation> => {
        const { r, w, d } = await ensembleInputs('evaluateEnsemble');
        return evaluateRunEnsemble(r.info, w, d);
      }),
    ensembleViews: (req) =>
      serial(async () => {
        const { r, w } = await ensembleInputs('ensembleViews');
        return runEnsembleViews(r.info, w, req);
      }),
    downstream: (req) =>
      serial(async () => {
        const { r, w, d } = await ensembleInputs('downstream');
        const { data } = ensembleRows(d);
        return { run: r.id, members: r.info.ensemble.members, dataset: d.info.id, ...downstreamOf(r.info.ensemble.method, w.saes, data, req) };
      }),
    exportEnsemble: () =>
      serial(async () => {
        const { r, w } = await ensembleInputs('exportEnsemble');
        return ensembleZip(r.info, r.dataset, w);
      }),
    loadEnsemble: (req) => serial(() => loadEnsembleOf(req)),

    // Through `serial` inside the comparer, which refuses a second comparison before queueing it.
    compareTrainers: (req) => comparer.compareTrainers(req),

    labOpen: (state) => lab.open(state),
    labStep: (n) => lab.step(n),
    labReset: () => lab.reset(),
    labSetPoints: (xy) => lab.setPoints(xy),
    labDrag: (req) => lab.drag(req),
    labHover: (req) => lab.hover(req),
    labRender: (req) => lab.render(req),
    labSlice: (req) =>
      serial(async () => {
        const { r, w } = await currentWeights('labSlice');
        const member = req.member ?? 0;
        checkMember('labSlice', member, w.saes.length);
        const d = datasets.get(r.datasetId);
        if (!d) throw new InputError(`labSlice: the run's dataset "${r.datasetId}" is no longer loaded: load it again`);
        if (!Array.isArray(req.rows) || req.rows.length !== 3) throw new InputError(`labSlice: rows must be three row indices, got ${String(req.rows)}`);
        if (![req.width, req.height].every((v) => Number.isSafeInteger(v) && v >= 1 && v <= 4096))
          throw new InputError(`labSlice: width and height must be integers in [1, 4096], got ${req.width} × ${req.height}`);
        const s = sliceOf(w.saes[member], d.all, req.rows);
        // A one-off drawing (not a live panel): the CPU may spend up to half a second on it.
        const image = await labRenderer.render({ scores: () => s.scores }, { panel: 'sae', width: req.width, height: req.height }, s.view, 500);
        return { ...image, run: r.id, dataset: d.info.id, anchors: s.anchors, view: s.view };
      }),

    onSnapshot(next: SnapshotListener | null): Promise<void> {
      channel.listen(next);
      if (next && runs.current()) runs.emitCurrent(true);
      return Promise.resolve();
    },
  };
}
