// How the model is fitted: the trainer picker (the arch's family's trainers: core FAMILY_TRAINERS), what the
// k-means / k-flats families are in one formula when picked (issue #12), what PAM-SGD does in two sentences and one
// formula next to it (SplInterp, seed-papers §3.6), what one decoder solve costs at this size, and PAM-SGD's
// settings when it is picked. The values, limits and costs are core's (CONFIG_CHOICES, validateConfig,
// decoderSolveFlops); reads nothing from the store itself.

import { CONFIG_CHOICES, DEFAULT_CONFIG, FAMILY_TRAINERS, PAM_ARCHS, defaultTrainerOf, familyOfArch, pamSolveRows } from '../core/sae/config.ts';
import { decoderSolveFlops } from '../core/sae/pam.ts';
import { PAM_PRESET_GAPS, PAM_PRESET_HELP, PAM_PRESETS, pamPreset, type PamPreset } from '../core/sae/pamPresets.ts';
import type { FieldSpec } from './ConfigField.tsx';
import { NumberInput } from './ConfigField.tsx';
import type { Draft } from './store/experiment.ts';

const PAM_FIELDS: FieldSpec[] = [
  { key: 'pamUpdatesPerBatch', label: 'updates per batch', help: 'PAM-SGD: Adam updates of the encoder on each batch before the next (the scripts ablate 1, 3, 5, 10)' },
  { key: 'pamProxEnc', label: 'encoder stay-close μ_enc', help: 'PAM-SGD: weight of ‖E − E_t‖² + ‖b_enc − b_enc,t‖² against the encoder of the epoch start (per row-mean loss; 0 = off)', step: 'any' },
  { key: 'pamProxDec', label: 'decoder stay-close μ_dec', help: 'PAM-SGD: weight of ‖D − D_t‖² + ‖b_dec − b_dec,t‖² in the decoder solve (0 = the plain least-squares optimum)', step: 'any' },
  { key: 'pamSolveFraction', label: 'solve on rows (share)', help: 'PAM-SGD: the share of training rows the decoder solve streams, in (0, 1]: a seeded subset fixed for the run (1 = every row)', step: 'any' },
  { key: 'pamRidge', label: 'decoder ridge α', help: 'PAM-SGD: ridge on ‖D‖² + ‖b_dec‖²; > 0 keeps the solve well-posed when latents are dead', step: 'any' },
];

/**
 * The CPU reference's rate on the decoder block, floating-point operations per second: measured on a shared
 * 2-core machine (m = 1024, dIn = 512: ~1.5 s a solve), an estimate for the size advice only.
 */
const CPU_FLOPS = 1e9;

/** What one decoder solve costs at this size, and whether it stays interactive (≲ 2 s a solve). */
function solveAdvice(draft: Draft, data: { rows: number; dIn: number } | null): string {
  if (!data) return '';
  const k = draft.arch === 'topk' ? draft.k : draft.dSae;
  const solveRows = pamSolveRows(data.rows, draft.pamSolveFraction);
  const seconds = decoderSolveFlops(draft.dSae, data.dIn, solveRows, k) / CPU_FLOPS;
  const epoch = Math.ceil(data.rows / draft.batch);
  const when = `once per epoch (every ${epoch} steps of ${draft.batch} rows)`;
  const cost = seconds < 0.1 ? 'well under a second' : `about ${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const advice = seconds <= 2 ? 'interactive' : 'slow here: fewer latents (dSae ≤ 1024) or fewer rows keep it interactive';
  return `Each decoder solve streams ${solveRows} rows and costs ${cost} on the CPU reference, ${when}: ${advice}.`;
}

export function TrainerFields({ draft, setDraft, data }: { draft: Draft; setDraft: (p: Partial<Draft>) => void; data: { rows: number; dIn: number } | null }) {
  const pam = draft.trainer === 'pam-sgd';
  return (
    <>
      <label title="How the parameters are fitted: sgd = Adam on the whole loss every step (kmeans: on its Top-1-SAE form); pam-sgd = SplInterp's proximal alternating method; lloyd = the exact alternation of kmeans / kflats (assign every row to its nearest piece, refit every piece; one step = one pass over all rows); kmeans-then-pca = SplInterp's toy for kflats (k-means, then PCA per cluster)">
        trainer
        <select data-testid="trainer-select" value={draft.trainer} onChange={(e) => setDraft({ trainer: e.currentTarget.value as Draft['trainer'] })}>
          {FAMILY_TRAINERS[familyOfArch(draft.arch)].map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <small className="muted">default {familyOfArch(draft.arch) === 'sae' ? DEFAULT_CONFIG.trainer : defaultTrainerOf(draft.arch)}</small>
      </label>
      {familyOfArch(draft.arch) !== 'sae' && (
        <p className="wide muted trainer-help" data-testid="cluster-help">
          {draft.arch === 'kmeans' ? (
            <>
              The k-means autoencoder (SplInterp §3.3): <span className="formula">x̂ = c_j, j = argmin_i ‖x − c_i‖²</span> over {draft.dSae} centroids, k-means++ init. It is a Top-1 SAE with
              the selected value fixed to 1 (score c_i·x − ‖c_i‖²/2), so L0 = 1; lloyd is exact, sgd trains that SAE form with Adam.
            </>
          ) : (
            <>
              k-means + local PCA (SplInterp §3.4): <span className="formula">x̂ = μ_j + U_jᵀU_j(x − μ_j)</span>, each row on the nearest of {draft.dSae} affine pieces of rank{' '}
              {draft.rank}; L0 = r + 1 (the cluster and its r coordinates). lloyd alternates assignment and local PCA; kmeans-then-pca is the paper's toy.
            </>
          )}{' '}
          Trained on the CPU reference; exported as cfg.json + model.safetensors (no SAELens form: SAELens has no cluster-assignment encoder).
        </p>
      )}
      {pam && (
        <>
          <p className="wide muted trainer-help" data-testid="pam-help">
            PAM-SGD (Budd et al., SplInterp) alternates two blocks each epoch: Adam steps on the encoder, kept close to the encoder of the
            epoch start, and an exact least-squares solve of the decoder for the codes of all training rows,{' '}
            <span className="formula">D = C·A⁻¹, A = (α+μ)I + Σzzᵀ/N − γ·z̄z̄ᵀ</span>. It trains {PAM_ARCHS.join(', ')} SAEs on the CPU reference, and TopK with one SAE per run on a hardware GPU.{' '}
            <span data-testid="pam-cost">{solveAdvice(draft, data)}</span>
          </p>
          <label title={`Fills the PAM-SGD settings (and lr, batch, clipping) of a preset, converted to this dataset: ${PAM_PRESETS.map((p) => `${p}: ${PAM_PRESET_HELP[p]}`).join('. ')}. ${PAM_PRESET_GAPS}.`}>
            preset
            <select
              data-testid="pam-preset"
              value=""
              disabled={!data}
              onChange={(e) => {
                const name = e.currentTarget.value as PamPreset;
                if (data && name) setDraft(pamPreset(name, data.rows, data.dIn));
              }}
            >
              <option value="">apply…</option>
              {PAM_PRESETS.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
            <small className="muted">paper or a script's settings</small>
          </label>
          <label title="When the decoder solve runs in each epoch: after the encoder pass (the MNIST script) or before it (the LLM script)">
            solve order
            <select data-testid="cfg-pamOrder" value={draft.pamOrder} onChange={(e) => setDraft({ pamOrder: e.currentTarget.value as Draft['pamOrder'] })}>
              {CONFIG_CHOICES.pamOrder.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
            <small className="muted">default {DEFAULT_CONFIG.pamOrder}</small>
          </label>
          <label title="exact: the paper's joint closed form for D and b_dec; uncentred: the MNIST script's least squares, b_dec = mean residual">
            decoder solve
            <select data-testid="cfg-pamSolve" value={draft.pamSolve} onChange={(e) => setDraft({ pamSolve: e.currentTarget.value as Draft['pamSolve'] })}>
              {CONFIG_CHOICES.pamSolve.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
            <small className="muted">default {DEFAULT_CONFIG.pamSolve}</small>
          </label>
          {PAM_FIELDS.map((f) => (
            <NumberInput key={f.key} spec={f} draft={draft} setDraft={setDraft} />
          ))}
        </>
      )}
    </>
  );
}
