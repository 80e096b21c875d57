// Argument checks shared by the inspector's core files: integers in a range, an SAE and the rows it is
// run on, a latent index. Each throws InputError with the numbers and the expected range. Imports only
// src/core.

import { InputError } from '../errors.ts';
import type { Dataset, Sae } from '../sae/types.ts';

export function checkInt(what: string, name: string, v: number, min: number, max = Infinity): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new InputError(`${what}: ${name}: expected an integer ${range}, got ${v}`);
  }
}

export function checkPair(what: string, sae: Sae, data: Dataset): void {
  if (sae.dIn !== data.dIn) throw new InputError(`${what}: dIn: the SAE takes ${sae.dIn} inputs per row, the data "${data.name}" has ${data.dIn}`);
  if (data.x.length !== data.rows * data.dIn) {
    throw new InputError(`${what}: data "${data.name}": x length: expected rows·dIn = ${data.rows}·${data.dIn} = ${data.rows * data.dIn}, got ${data.x.length}`);
  }
}

export function checkLatent(what: string, sae: Sae, latent: number): void {
  checkInt(what, 'latent', latent, 0, sae.dSae - 1);
}
