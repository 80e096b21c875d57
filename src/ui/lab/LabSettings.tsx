// The lab's settings (issue #12 §2): the data — a preset (with its size, seed and, for superposition, the number
// of features), painting by click-and-drag, or a loaded dataset projected on 2 PCs or 2 chosen dims — and the
// models: k and the rank for k-means / local PCA, the SAE's architecture, trainer, latents, k, learning rate,
// λ and AuxK, and the seed. A change of data or model settings restarts the models (the URL keeps it). Reads the
// store; imports React, zustand and core/lab definitions.

import { useState } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { LabData, LabState } from '../../engine/api.ts';
import { LAB_PRESETS, PRESET_LABELS, type LabPreset } from '../../core/lab/datasets.ts';
import { FLATS_VARIANTS, LAB_MAX_CLUSTERS, LAB_MAX_LATENTS, LAB_SAE_TRAINERS } from '../../core/lab/state.ts';
import { SAE_ARCHS } from '../../core/sae/types.ts';
import type { AppStore } from '../store.ts';

const FLATS_LABELS: Record<(typeof FLATS_VARIANTS)[number], string> = { kflats: 'k-flats (exact alternation)', 'kmeans-pca': 'k-means, then PCA per cluster (the paper’s toy)' };

export function LabSettings({ store }: { store: AppStore }) {
  const [lab, labSet] = useStore(store, useShallow((s) => [s.lab, s.labSet] as const));
  const num = (key: keyof LabState, v: string) => {
    const n = Number(v);
    if (v.trim() !== '' && Number.isFinite(n)) void labSet({ [key]: n } as Partial<LabState>);
  };
  const topk = lab.arch === 'topk' || lab.arch === 'batchtopk';
  return (
    <div className="lab-settings">
      <DataPicker store={store} />
      <fieldset>
        <legend>k-means and local PCA</legend>
        <label title="Regions: centroids (k-means) and flats (local PCA)">
          k (regions)
          <input type="number" data-testid="lab-clusters" min={1} max={LAB_MAX_CLUSTERS} value={lab.clusters} onChange={(e) => num('clusters', e.currentTarget.value)} />
        </label>
        <label title="Dimension of each local affine piece: 0 = k-means, 1 = a line per region">
          rank r
          <select data-testid="lab-rank" value={lab.rank} onChange={(e) => num('rank', e.currentTarget.value)}>
            <option value={0}>0 (k-means)</option>
            <option value={1}>1 (lines)</option>
          </select>
        </label>
        <label>
          local PCA
          <select data-testid="lab-flats" value={lab.flats} onChange={(e) => void labSet({ flats: e.currentTarget.value as LabState['flats'] })}>
            {FLATS_VARIANTS.map((f) => (
              <option key={f} value={f}>
                {FLATS_LABELS[f]}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      <fieldset>
        <legend>SAE</legend>
        <label>
          architecture
          <select data-testid="lab-arch" value={lab.arch} onChange={(e) => void labSet({ arch: e.currentTarget.value as LabState['arch'] })}>
            {SAE_ARCHS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label>
          trainer
          <select data-testid="lab-trainer" value={lab.trainer} onChange={(e) => void labSet({ trainer: e.currentTarget.value as LabState['trainer'] })}>
            {LAB_SAE_TRAINERS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label title="Number of latents (dictionary size)">
          latents
          <input type="number" data-testid="lab-dsae" min={1} max={LAB_MAX_LATENTS} value={lab.dSae} onChange={(e) => num('dSae', e.currentTarget.value)} />
        </label>
        {topk && (
          <label title="Latents kept per point (TopK) or on average (BatchTopK)">
            k (active)
            <input type="number" data-testid="lab-k" min={1} max={lab.dSae} value={lab.k} onChange={(e) => num('k', e.currentTarget.value)} />
          </label>
        )}
        {!topk && (
          <label title="Sparsity coefficient λ (L1 for relu, L0 for jumprelu)">
            λ
            <input type="number" data-testid="lab-l1" min={0} step={0.001} value={lab.l1} onChange={(e) => num('l1', e.currentTarget.value)} />
          </label>
        )}
        <label>
          learning rate
          <input type="number" data-testid="lab-lr" min={0.0001} max={0.5} step={0.001} value={lab.lr} onChange={(e) => num('lr', e.currentTarget.value)} />
        </label>
        {topk && (
          <label className="check" title="AuxK: dead latents learn the residual (α = 1/32)">
            <input type="checkbox" data-testid="lab-auxk" checked={lab.auxk} onChange={(e) => void labSet({ auxk: e.currentTarget.checked })} />
            AuxK
          </label>
        )}
        <label title="Seeds every model's initialisation">
          seed
          <input type="number" data-testid="lab-seed" min={0} value={lab.seed} onChange={(e) => num('seed', e.currentTarget.value)} />
        </label>
      </fieldset>
    </div>
  );
}

const PROJECTION = 'projection';
const PAINT = 'painted';

function DataPicker({ store }: { store: AppStore }) {
  const [data, painting, catalog, labSet, paintMode] = useStore(store, useShallow((s) => [s.lab.data, s.labPaint !== null, s.catalog, s.labSet, s.labPaintMode] as const));
  const [project, setProject] = useState<{ dataset: string; how: 'pca' | 'dims'; a: number; b: number; rows: number }>({ dataset: 'builtin:digits', how: 'pca', a: 0, b: 1, rows: 500 });
  const choice = data.source === 'preset' ? data.preset : data.source;
  const setData = (d: LabData) => void labSet({ data: d });
  const preset = data.source === 'preset' ? data : null;
  const projectable = catalog.filter((c) => c.kind !== 'text' || c.id.startsWith('builtin:stories'));
  const applyProjection = () => setData({ source: 'projection', dataset: project.dataset, how: project.how === 'pca' ? { kind: 'pca' } : { kind: 'dims', a: project.a, b: project.b }, rows: project.rows });
  return (
    <fieldset className="lab-data">
      <legend>Data</legend>
      <label>
        points
        <select
          data-testid="lab-data"
          value={choice}
          onChange={(e) => {
            const v = e.currentTarget.value;
            if (v === PAINT) paintMode(true);
            else if (v === PROJECTION) applyProjection();
            else setData({ source: 'preset', preset: v as LabPreset, points: preset?.points ?? 100, seed: preset?.seed ?? 0, features: preset?.features ?? 5 });
          }}
        >
          {LAB_PRESETS.map((p) => (
            <option key={p} value={p}>
              {PRESET_LABELS[p]}
            </option>
          ))}
          <option value={PAINT}>painted by hand</option>
          <option value={PROJECTION}>a dataset, projected to 2-D</option>
        </select>
      </label>
      {preset && (
        <>
          <label>
            how many
            <input type="number" data-testid="lab-points" min={3} max={2000} value={preset.points} onChange={(e) => Number(e.currentTarget.value) >= 3 && setData({ ...preset, points: Number(e.currentTarget.value) })} />
          </label>
          <label>
            data seed
            <input type="number" data-testid="lab-data-seed" min={0} value={preset.seed} onChange={(e) => e.currentTarget.value !== '' && setData({ ...preset, seed: Number(e.currentTarget.value) })} />
          </label>
          {preset.preset === 'superposition' && (
            <label title="Feature directions in the plane (more than 2)">
              features
              <input type="number" data-testid="lab-features" min={3} max={16} value={preset.features} onChange={(e) => setData({ ...preset, features: Number(e.currentTarget.value) })} />
            </label>
          )}
        </>
      )}
      <button type="button" data-testid="lab-paint" className={painting ? 'active' : ''} onClick={() => paintMode(!painting)} title="Click and drag on any panel to add points; the models restart on them">
        {painting ? 'Done painting' : 'Paint points'}
      </button>
      {painting && <span className="muted" data-testid="lab-paint-hint">Click and drag on a panel to paint (at least 3 points).</span>}
      {data.source === 'projection' || choice === PROJECTION ? (
        <span className="lab-project">
          <select data-testid="lab-project-dataset" value={project.dataset} onChange={(e) => setProject({ ...project, dataset: e.currentTarget.value })}>
            {projectable.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </select>
          <select data-testid="lab-project-how" value={project.how} onChange={(e) => setProject({ ...project, how: e.currentTarget.value as 'pca' | 'dims' })}>
            <option value="pca">top 2 principal components</option>
            <option value="dims">2 chosen dimensions</option>
          </select>
          {project.how === 'dims' && (
            <>
              <input type="number" aria-label="first dimension" min={0} value={project.a} onChange={(e) => setProject({ ...project, a: Number(e.currentTarget.value) })} />
              <input type="number" aria-label="second dimension" min={0} value={project.b} onChange={(e) => setProject({ ...project, b: Number(e.currentTarget.value) })} />
            </>
          )}
          <button type="button" data-testid="lab-project" onClick={applyProjection}>
            Project
          </button>
        </span>
      ) : null}
    </fieldset>
  );
}
