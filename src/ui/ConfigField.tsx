// One numeric training-config field of a form: its label, help on hover, the default beside it, a mark when
// changed, and empty = auto for the derived ones. Shared by the train panel and the trainer's settings.
// Reads nothing from the store; imports core config types and the Draft defaults only.

import type { TrainConfig } from '../core/sae/config.ts';
import { DEFAULT_DRAFT, type Draft } from './store/experiment.ts';

export type NumKey = { [K in keyof TrainConfig]: TrainConfig[K] extends number | null ? K : never }[keyof TrainConfig];

export interface FieldSpec {
  key: NumKey;
  label: string;
  help: string;
  /** Shown only for these archs. */
  archs?: readonly string[];
  /** Empty input = null (derived by the engine). */
  auto?: string;
  step?: string;
  advanced?: boolean;
}

function defaultText(key: NumKey, auto?: string): string {
  const v = DEFAULT_DRAFT[key];
  return v === null ? (auto ?? 'auto') : String(v);
}

export function NumberInput({ spec, draft, setDraft }: { spec: FieldSpec; draft: Draft; setDraft: (p: Partial<Draft>) => void }) {
  const v = draft[spec.key];
  const isDefault = v === DEFAULT_DRAFT[spec.key];
  return (
    <label title={`${spec.help} (default ${defaultText(spec.key, spec.auto)})`} data-testid={`cfg-${spec.key}`}>
      <span>
        {spec.label}
        {!isDefault && <span className="changed" aria-label="changed from default"> •</span>}
      </span>
      <input
        type="number"
        step={spec.step ?? 1}
        value={v === null || Number.isNaN(v) ? '' : v}
        placeholder={spec.auto ?? ''}
        onChange={(e) => {
          const raw = e.currentTarget.value;
          setDraft({ [spec.key]: raw === '' ? (spec.auto ? null : NaN) : e.currentTarget.valueAsNumber } as Partial<Draft>);
        }}
      />
      <small className="muted">default {defaultText(spec.key, spec.auto)}</small>
    </label>
  );
}

