// The train panel: every TrainConfig field (src/core/sae/config.ts) with its default, the arch-dependent ones
// only where they apply, validateConfig's messages before anything runs (Train disabled with the reason),
// the ensemble method (single / bagging / boosting / expanded) with J, a line saying what it will train,
// the seeds (coherent with the method: store/ensembleDraft.ts), and the run controls (train /
// pause-resume / step / reset / stop). Native inputs and buttons only, so it is all keyboard-usable.
// Reads the store; imports core/config values only.

import { useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { CONFIG_CHOICES, DEFAULT_CONFIG, trainerFor, validateConfig } from '../core/sae/config.ts';
import { ARCHS } from '../core/sae/types.ts';
import type { EnsembleMethodName } from '../engine/api.ts';
import { describeEnsemble, ensembleProblems, MAX_J, METHOD_HELP, METHODS, withEnsemble, withSeeds } from './store/ensembleDraft.ts';
import type { FieldSpec } from './ConfigField.tsx';
import { NumberInput } from './ConfigField.tsx';
import type { AppStore } from './store.ts';
import { TrainerFields } from './TrainerFields.tsx';
import { DEFAULT_DRAFT, type Draft } from './store/experiment.ts';
import { CopyLink } from './CopyLink.tsx';


const FIELDS: FieldSpec[] = [
  { key: 'dSae', label: 'latents', help: 'dSae: number of latents (dictionary size); for kmeans and kflats the number of clusters (regions)' },
  {
    key: 'rank',
    label: 'rank r',
    help: 'kflats: the rank of each cluster\'s affine piece x̂ = μ_j + U_jᵀU_j(x − μ_j), 0..dIn (0 = k-means, dIn = exact); L0 = r + 1',
    archs: ['kflats'],
  },
  { key: 'k', label: 'k', help: 'topk: active latents per token; batchtopk: mean active latents per token', archs: ['topk', 'batchtopk'] },
  { key: 'l1Coefficient', label: 'sparsity λ', help: 'relu: L1 coefficient (decoder-norm weighted); jumprelu: L0 coefficient', archs: ['relu', 'jumprelu'], step: 'any' },
  { key: 'l1WarmupSteps', label: 'λ warm-up steps', help: 'λ ramps linearly from 0 over these steps; empty = 5% of steps', archs: ['relu', 'jumprelu'], auto: '5% of steps' },
  { key: 'jumpreluInitThreshold', label: 'JumpReLU θ₀', help: 'Initial JumpReLU threshold θ', archs: ['jumprelu'], step: 'any' },
  { key: 'jumpreluBandwidth', label: 'JumpReLU bandwidth ε', help: 'Straight-through rectangle bandwidth ε', archs: ['jumprelu'], step: 'any' },
  { key: 'batchTopkThresholdRate', label: 'threshold EMA rate', help: 'BatchTopK: EMA rate of the inference threshold, in (0, 1]', archs: ['batchtopk'], step: 'any' },
  { key: 'steps', label: 'steps', help: 'Optimizer steps' },
  { key: 'batch', label: 'batch', help: 'Tokens per step' },
  { key: 'lr', label: 'learning rate', help: 'Peak learning rate; empty = 2e-4·√(16384/dSae), at most 3e-3', auto: 'auto (∝ 1/√dSae)', step: 'any' },
  { key: 'seed', label: 'seed', help: 'Seeds init and batch order: same seed, same run' },
  { key: 'lrWarmupSteps', label: 'lr warm-up steps', help: 'Linear warm-up; empty = min(1000, 5% of steps)', auto: 'min(1000, 5%)', advanced: true },
  { key: 'lrDecaySteps', label: 'lr decay steps', help: 'Linear decay to 0 over the last steps; empty = 20% of steps', auto: '20% of steps', advanced: true },
  { key: 'adamBeta1', label: 'Adam β₁', help: 'Adam first-moment decay, in [0, 1)', step: 'any', advanced: true },
  { key: 'adamBeta2', label: 'Adam β₂', help: 'Adam second-moment decay, in [0, 1)', step: 'any', advanced: true },
  { key: 'adamEps', label: 'Adam ε', help: 'Adam epsilon, > 0', step: 'any', advanced: true },
  { key: 'gradClipNorm', label: 'grad clip', help: 'Global gradient-norm clip (0 = off)', step: 'any', advanced: true },
  { key: 'auxkCoefficient', label: 'AuxK α', help: 'AuxK coefficient (0 = off): dead latents learn to predict the residual', archs: ['topk', 'batchtopk'], step: 'any', advanced: true },
  { key: 'kAux', label: 'kAux', help: 'Dead latents used by AuxK; empty = dIn/2', archs: ['topk', 'batchtopk'], auto: 'dIn/2', advanced: true },
  { key: 'deadWindowTokens', label: 'dead window (tokens)', help: 'A latent is dead after this many tokens without firing; empty = min(10M, 20% of training tokens)', auto: '20% of tokens', advanced: true },
];

export function TrainPanel({ store }: { store: AppStore }) {
  const [draft, setDraft, dataset, loading] = useStore(store, useShallow((s) => [s.draft, s.setDraft, s.dataset, s.loading] as const));
  const shown = FIELDS.filter((f) => !f.archs || f.archs.includes(draft.arch));
  const problems = useMemo(() => {
    const { dataset: _d, seeds: _s, ensemble, ...config } = draft;
    const p = validateConfig(config, dataset?.dIn ?? 1, dataset?.trainRows ?? Number.MAX_SAFE_INTEGER);
    // expanded trains one SAE of J·dSae latents and J·k: the engine validates that config.
    if (ensemble.method === 'expanded' && p.length === 0 && Number.isSafeInteger(ensemble.members) && ensemble.members > 1) {
      const J = ensemble.members;
      p.push(...validateConfig({ ...config, dSae: config.dSae * J, k: config.k * J }, dataset?.dIn ?? 1, dataset?.trainRows ?? Number.MAX_SAFE_INTEGER).map((m) => `expanded ×${J}: ${m}`));
    }
    p.push(...ensembleProblems(draft));
    return p;
  }, [draft, dataset]);
  const blocker = problems.length > 0 ? problems.join('; ') : !dataset ? (loading ? 'the dataset is still loading' : 'no dataset is loaded: pick one above') : null;
  const field = (f: FieldSpec) => <NumberInput key={f.key} spec={f} draft={draft} setDraft={setDraft} />;
  return (
    <section className="train-panel" aria-label="Train">
      <fieldset>
        <legend>Experiment</legend>
        <label title="The loaded dataset runs train on (its train split); pick another above">
          dataset
          <output className="dataset-id" title={draft.dataset}>{draft.dataset}</output>
        </label>
        <label title="Activation: topk keeps the k largest latents per token; batchtopk the k·batch largest in the batch; relu with an L1 penalty; jumprelu with a learned threshold and an L0 penalty. kmeans: the k-means autoencoder (x̂ = the nearest of dSae centroids; a Top-1 SAE with value 1); kflats: k-means + local PCA (x̂ = the projection onto the nearest of dSae affine pieces of rank r) — SplInterp §3.3–3.4">
          arch
          <select
            data-testid="cfg-arch"
            value={draft.arch}
            onChange={(e) => {
              const arch = e.currentTarget.value as Draft['arch'];
              // Each family offers its own trainers (core FAMILY_TRAINERS): keep the trainer if the new arch's family has it.
              setDraft({ arch, trainer: trainerFor(arch, draft.trainer) });
            }}
          >
            {ARCHS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
          <small className="muted">default {DEFAULT_CONFIG.arch}</small>
        </label>
        <TrainerFields draft={draft} setDraft={setDraft} data={dataset ? { rows: dataset.trainRows, dIn: dataset.dIn } : null} />
        {shown.filter((f) => !f.advanced).map(field)}
        <EnsembleFields draft={draft} setDraft={setDraft} />
        <details className="advanced wide">
          <summary>optimizer, schedule and init</summary>
          <div className="choice-options">
            {shown.filter((f) => f.advanced).map(field)}
            <label title="How the decoder bias is initialised">
              bDec init
              <select value={draft.bDecInit} onChange={(e) => setDraft({ bDecInit: e.currentTarget.value as Draft['bDecInit'] })}>
                <option>geometric-median</option>
                <option>mean</option>
                <option>zeros</option>
              </select>
              <small className="muted">default {DEFAULT_CONFIG.bDecInit}</small>
            </label>
            <label title="Input scaling: x' = √dIn / E‖x‖ · x (SAELens expected_average_only_in)">
              input scaling
              <select value={draft.inputScaling} onChange={(e) => setDraft({ inputScaling: e.currentTarget.value as Draft['inputScaling'] })}>
                <option>none</option>
                <option>expected-norm</option>
              </select>
              <small className="muted">default {DEFAULT_CONFIG.inputScaling}</small>
            </label>
            <label title="Weight init: sae = ours (unit-norm decoder rows, wEnc = wDec, bDec as above); splinterp-mnist = the SplInterp MNIST script's E ~ N(0, 0.1²), D ~ N(0, 0.01²), biases 0; splinterp-llm = its LLM script's E ~ N(0, 1/dIn), D ~ N(0, 1/dSae), biases 0. SGD renormalises decoder rows each step; PAM-SGD keeps them as solved.">
              weight init
              <select data-testid="cfg-init" value={draft.init} onChange={(e) => setDraft({ init: e.currentTarget.value as Draft['init'] })}>
                {CONFIG_CHOICES.init.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
              <small className="muted">default {DEFAULT_CONFIG.init}</small>
            </label>
            {draft.arch === 'topk' && (
              <label title="TopK selection: relu = the k largest z, then ReLU (ours, SAELens); abs-signed = the SplInterp scripts' k largest |z| with their signs, no ReLU (trains on the CPU reference; cannot be exported to SAELens, whose TopK applies ReLU)">
                TopK selection
                <select data-testid="cfg-topkSelect" value={draft.topkSelect} onChange={(e) => setDraft({ topkSelect: e.currentTarget.value as Draft['topkSelect'] })}>
                  {CONFIG_CHOICES.topkSelect.map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
                <small className="muted">default {DEFAULT_CONFIG.topkSelect}</small>
              </label>
            )}
          </div>
        </details>
      </fieldset>
      {problems.length > 0 && (
        <ul className="error config-problems" data-testid="config-problems" role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <Controls store={store} blocker={blocker} />
    </section>
  );
}

/** Method, J, the seeds (single and bagging only) and one line saying what the run will train. */
function EnsembleFields({ draft, setDraft }: { draft: Draft; setDraft: (p: Partial<Draft>) => void }) {
  const { method, members } = draft.ensemble;
  const replace = (next: Draft) => setDraft({ ensemble: next.ensemble, seeds: next.seeds });
  const seedsShown = method === 'single' || method === 'bagging';
  return (
    <>
      <label title={`How many SAEs and how they combine (Gadgil, Lin, Lee, Ensembling Sparse Autoencoders). ${METHODS.map((m) => `${m}: ${METHOD_HELP[m]}`).join('. ')}.`}>
        method
        <select data-testid="cfg-method" value={method} onChange={(e) => replace(withEnsemble(draft, { method: e.currentTarget.value as EnsembleMethodName }))}>
          {METHODS.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <small className="muted">default {DEFAULT_DRAFT.ensemble.method}</small>
      </label>
      <label title={`J: members of the ensemble (bagging), stages (boosting) or the latent multiplier (expanded), 1 to ${MAX_J}; single is J = 1`} data-testid="cfg-members">
        <span>
          J
          {members !== DEFAULT_DRAFT.ensemble.members && <span className="changed" aria-label="changed from default"> •</span>}
        </span>
        <input
          type="number"
          min={1}
          max={MAX_J}
          step={1}
          disabled={method === 'single'}
          value={Number.isNaN(members) ? '' : members}
          onChange={(e) => replace(withEnsemble(draft, { members: e.currentTarget.value === '' ? NaN : e.currentTarget.valueAsNumber }))}
        />
        <small className="muted">{method === 'single' ? 'single: 1' : `1 to ${MAX_J}`}</small>
      </label>
      {seedsShown ? (
        <label title="One SAE per seed, trained on one batch order (naive bagging: the members differ only in init); empty = seed, or seed..seed+J−1 for bagging. Two or more seeds make it bagging with J = their count.">
          ensemble seeds
          <SeedsInput seeds={draft.seeds} onSeeds={(seeds) => replace(withSeeds(draft, seeds))} placeholder={method === 'bagging' ? `${draft.seed}..${draft.seed + members - 1}` : 'e.g. 0,1,2'} />
          <small className="muted">default: {method === 'bagging' ? 'seed..seed+J−1' : 'seed'}</small>
        </label>
      ) : (
        <label title={method === 'boosting' ? 'Stage j (0-based) is initialised with seed + j; the batch order follows seed' : 'One SAE, initialised with the seed above'}>
          seeds
          <output className="dataset-id">{method === 'boosting' ? `${draft.seed}..${draft.seed + members - 1} (stage j: seed + j)` : String(draft.seed)}</output>
        </label>
      )}
      <p className="muted wide ensemble-explain" data-testid="ensemble-explain" title={METHOD_HELP[method]}>
        {method !== 'single' && <>{METHOD_HELP[method].replace(/^./, (c) => c.toUpperCase())}. </>}
        {ensembleProblems(draft).length === 0 && Number.isFinite(draft.dSae) ? <strong>{describeEnsemble(draft)}</strong> : ''}
      </p>
    </>
  );
}

const parseSeeds = (raw: string): number[] | null => (raw.trim() === '' ? null : raw.trim().split(',').map((x) => (x.trim() === '' ? NaN : Number(x.trim()))));
const sameSeeds = (a: number[] | null, b: number[] | null): boolean => (a === null || b === null ? a === b : a.length === b.length && a.every((v, i) => Object.is(v, b[i])));

/** The seeds as typed; follows the draft when it changes from outside (a restored run, an edited hash). */
function SeedsInput({ seeds, onSeeds, placeholder }: { seeds: number[] | null; onSeeds: (seeds: number[] | null) => void; placeholder: string }) {
  const [text, setText] = useState(() => seeds?.join(',') ?? '');
  if (!sameSeeds(parseSeeds(text), seeds)) setText(seeds?.join(',') ?? '');
  return (
    <input
      type="text"
      data-testid="cfg-seeds"
      placeholder={placeholder}
      value={text}
      onChange={(e) => {
        const raw = e.currentTarget.value;
        setText(raw);
        onSeeds(parseSeeds(raw));
      }}
    />
  );
}

function Controls({ store, blocker }: { store: AppStore; blocker: string | null }) {
  const [status, train, togglePause, stop, step, reset] = useStore(store, useShallow((s) => [s.status, s.train, s.togglePause, s.stop, s.step, s.reset] as const));
  const active = status === 'training' || status === 'paused';
  const why = blocker ? `cannot train: ${blocker}` : undefined;
  return (
    <div className="controls">
      <button data-testid="train-start" disabled={blocker !== null} title={why} onClick={() => void train()}>
        {active ? 'Restart' : 'Train'}
      </button>
      <button data-testid="train-pause" disabled={!active} onClick={() => void togglePause()}>
        {status === 'paused' ? 'Resume' : 'Pause'}
      </button>
      <button data-testid="train-step" disabled={blocker !== null && !active} title="Train one step, then pause (starts a paused run when none is active)" onClick={() => void step(1)}>
        Step
      </button>
      <button data-testid="train-stop" disabled={!active} onClick={() => void stop()}>
        Stop
      </button>
      <button data-testid="train-reset" title="Stop the run and clear the plots" onClick={() => void reset()}>
        Reset
      </button>
      <span className={`status status-${status}`} data-testid="train-status">
        {status}
      </span>
      <CopyLink />
      {blocker && (
        <span className="muted" data-testid="train-blocked">
          {why}
        </span>
      )}
    </div>
  );
}
