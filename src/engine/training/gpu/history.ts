// The step-metric history ring that stepStats.wgsl fills on the GPU, decoded into StepStats at snapshot time.
// Records are [capacity, M, HISTORY_FIELDS.length] f32; step t (0-based) lives in slot t mod capacity. The
// field list of src/gpu/kernels/stats.ts is the one layout: no offsets are written out here.
// Imports src/core and src/gpu only: no UI, Comlink, Node or WGSL.

import type { StepStats } from '../../../core/sae/train.ts';
import type { HistoryField } from '../../../gpu/kernels/stats.ts';
import { HISTORY_FIELDS } from '../../../gpu/kernels/stats.ts';

/**
 * StepStats of steps [first, end) (0-based; the caller keeps them within the last `capacity`), per member:
 * [member][step]. raw: the whole ring as read back.
 */
export function decodeHistory(raw: Float32Array, ring: { members: number; batch: number; capacity: number }, first: number, end: number): StepStats[][] {
  const { members: M, batch, capacity } = ring;
  const F = HISTORY_FIELDS.length;
  if (raw.length < capacity * M * F) throw new Error(`history: read ${raw.length} floats, the ring [${capacity}, ${M}, ${F}] has ${capacity * M * F}`);
  if (end - first > capacity) throw new Error(`history: steps ${first}..${end} span more than the ring's ${capacity} slots`);
  const out: StepStats[][] = Array.from({ length: M }, () => []);
  for (let t = first; t < end; t++) {
    const slot = t % capacity;
    for (let j = 0; j < M; j++) {
      const o = (slot * M + j) * F;
      const fields = {} as Record<HistoryField, number>;
      HISTORY_FIELDS.forEach((name, i) => (fields[name] = raw[o + i]));
      // Typed as StepStats: a field added there but not to HISTORY_FIELDS fails to compile here.
      const record: StepStats = { step: t + 1, tokens: (t + 1) * batch, ...fields };
      out[j].push(record);
    }
  }
  return out;
}
