// The Workbench contract: the one interface the UI talks to, in-thread (tests, CLI) or through Comlink
// in a Web Worker (browser). Types and plain-data DTOs only (objects, arrays, numbers, strings, typed
// arrays; unions, not enums; no classes, no functions except the snapshot listener, no GPU objects), so
// every DTO survives structuredClone. Imports only types from src/core; must not import values, UI,
// Comlink or WebGPU.
//
// The DTOs live by topic in src/engine/api/ (runs, datasets, inspect, ensembles, compare) and are re-exported
// here, so importers keep one path; this file holds the Workbench interface itself.

import type { CompareRequest, TrainerComparison } from './api/compare.ts';
import type { CatalogEntry, DatasetInfo, DatasetRequest, RowInfo, UploadStart } from './api/datasets.ts';
import type { DownstreamReport, DownstreamRequest, EnsembleEvaluation, EnsembleViews, EnsembleViewsRequest, EnsembleZip, LoadEnsembleRequest } from './api/ensembles.ts';
import type { LabDragRequest, LabHoverInfo, LabHoverRequest, LabImage, LabInfo, LabRenderRequest, LabSliceImage, LabSliceRequest, LabState } from './api/lab.ts';
import type { InspectRunRequest, LatentDetail, LatentDetailRequest, RunInspection } from './api/inspect.ts';
import type { BackendInfo, RunCheckpoint, RunExport, RunInfo, RunZip, SnapshotListener, StartRunRequest } from './api/runs.ts';

export type * from './api/runs.ts';
export type * from './api/datasets.ts';
export type * from './api/inspect.ts';
export type * from './api/ensembles.ts';
export type * from './api/compare.ts';
export type * from './api/lab.ts';

export interface Workbench {
  backend(): Promise<BackendInfo>;
  /** Replaces the current run and starts training; rejects (without starting) on a bad dataset, config or device. */
  startRun(req: StartRunRequest): Promise<RunInfo>;
  /** Resolves once stepping has stopped; the 'paused' snapshot carries the final step count. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Ends the run where it is (status 'done'); its last metrics stay in the final snapshot. */
  stop(): Promise<void>;
  /**
   * Trains `n` steps (default 1; at most to the planned steps) and pauses: a training run pauses first, a
   * paused one steps on. Resolves once the steps are done and the 'paused' (or 'done') snapshot is out. Rejects
   * without a run, or on n not an integer ≥ 1; does nothing to a run that is done, failed or lost.
   */
  step(n?: number): Promise<void>;
  /**
   * The current run's training state (parameters, Adam, firing statistics, batch order, step) as a file that
   * startRun({ resumeFrom }) continues exactly. Rejects without a run, once its trainer is freed (done, error,
   * lost), for boosting and for PAM-SGD (resume is SGD-only so far).
   */
  checkpointRun(): Promise<RunCheckpoint>;
  /** The SAE of member `member` (default 0) of the current or last run; the last good weights after a device loss. */
  exportRun(member?: number): Promise<RunExport>;
  /** exportRun's folder as one zip (built in the engine, src/core/formats/zip.ts). */
  exportZip(member?: number): Promise<RunZip>;
  /** The built-in datasets (ids for loadDataset / startRun). */
  catalog(): Promise<CatalogEntry[]>;
  /**
   * Loads (or reloads) a dataset; progress goes out in Snapshot.loading. Rejects with the reader's
   * message on a bad file or request, and then every dataset loaded before stays loaded.
   */
  loadDataset(req: DatasetRequest): Promise<DatasetInfo>;
  /** Loaded datasets, oldest first. */
  listDatasets(): Promise<DatasetInfo[]>;
  /** Labels and token contexts of rows of a loaded dataset (row indices of all its preprocessed rows). */
  datasetRows(id: string, rows: number[]): Promise<RowInfo[]>;
  /**
   * The latent table of member `member` of the current (or last) run over its dataset's eval split (else
   * train rows; at most 8,192 rows). Rejects when there is no run or no weights yet, or on a bad member/topN.
   */
  inspectRun(req?: InspectRunRequest): Promise<RunInspection>;
  /** One latent of that member in detail; rejects on a latent outside [0, dSae − 1], saying the range. */
  latentDetail(req: LatentDetailRequest): Promise<LatentDetail>;
  /** The current run's ensemble metrics for J' = 1..J on its dataset's eval split; rejects before the first weights. */
  evaluateEnsemble(): Promise<EnsembleEvaluation>;
  /** Cross-member views of the current run (≥ 2 SAEs: bagging or boosting); rejects on one SAE or a bad member. */
  ensembleViews(req?: EnsembleViewsRequest): Promise<EnsembleViews>;
  /** Concept detection and spurious-correlation removal with the current run's ensemble (labelled datasets). */
  downstream(req?: DownstreamRequest): Promise<DownstreamReport>;
  /** Every SAE of the current run, and how they combine, as one zip. */
  exportEnsemble(): Promise<EnsembleZip>;
  /** Makes a saved ensemble the current run (status 'done'): evaluate, view, inspect and export it like a trained one. */
  loadEnsemble(req: LoadEnsembleRequest): Promise<RunInfo>;
  /** Chunked upload: a handle for the chunks of one file; uploadChunk appends a chunk (transferred). */
  beginUpload(start: UploadStart): Promise<string>;
  uploadChunk(handle: string, chunk: Uint8Array): Promise<void>;
  /**
   * Trains the A/B's trainers side by side on the same rows from one seed (core's abTest on the CPU reference) and
   * evaluates them on held-out rows; progress in Snapshot.comparing. Rejects while another comparison runs or a
   * run is training (pause or stop it first), and on a bad request, naming the field and the fix.
   */
  compareTrainers(req: CompareRequest): Promise<TrainerComparison>;
  // ---- the geometry lab (issue #12; src/engine/lab/): one session of 2-D points and three live models ----
  /** Opens (or reopens) the lab on `state`: builds its points and models and trains to state.steps. A bad state rejects and leaves the session as it was. */
  labOpen(state: LabState): Promise<LabInfo>;
  /** Every panel's model takes n iterations (1..LAB_MAX_STEP_CALL). */
  labStep(n: number): Promise<LabInfo>;
  /** The models from scratch (same points and settings), step 0. */
  labReset(): Promise<LabInfo>;
  /** New points ([n, 2], e.g. painted); the models restart on them. */
  labSetPoints(xy: Float32Array): Promise<LabInfo>;
  /** Moves a site or a decoder arrow: the MSE and the cells change at once. */
  labDrag(req: LabDragRequest): Promise<LabInfo>;
  /** What fires at a point of a panel: units and values, x̂, error, the region label. */
  labHover(req: LabHoverRequest): Promise<LabHoverInfo>;
  /** A panel's partition as region ids (the worker transfers the buffers), with how and at what resolution it was drawn. */
  labRender(req: LabRenderRequest): Promise<LabImage>;
  /** The current run's SAE (any dIn) drawn on the plane through three rows of its dataset; rejects without a run, on bad rows or collinear ones. */
  labSlice(req: LabSliceRequest): Promise<LabSliceImage>;
  /** The single push channel (null to detach); sends the current state at once. The engine never waits on it. */
  onSnapshot(listener: SnapshotListener | null): Promise<void>;
}

/** A Workbench with the inspection methods present (what createWorkbench returns). */
export type InspectingWorkbench = Workbench & Required<Pick<Workbench, 'inspectRun' | 'latentDetail'>>;
