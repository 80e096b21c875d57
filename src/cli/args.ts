// Command-line flag parsing for the CLI: `--name value` and `--flag` pairs checked against a table,
// with one-line errors naming the flag, the value and what is allowed. Node-free; no engine imports.

import { InputError } from '../core/errors.ts';

export interface FlagSpec {
  /** Takes a value (`--steps 100`) or is a switch (`--force`). */
  kind: 'value' | 'switch';
  help: string;
}

export type Flags = Map<string, string | true>;

/** Parses argv against `spec`. Unknown flags, missing values and positional words are InputErrors. */
export function parseFlags(argv: readonly string[], spec: Record<string, FlagSpec>, command: string): Flags {
  const out: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new InputError(`${command}: unexpected argument "${a}": flags look like --name value (see --help)`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const s = spec[name];
    if (!s) throw new InputError(`${command}: unknown flag --${name}: known flags are ${Object.keys(spec).map((k) => `--${k}`).join(', ')}`);
    if (s.kind === 'switch') {
      out.set(name, true);
      continue;
    }
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined || (eq < 0 && v.startsWith('--'))) throw new InputError(`${command}: --${name} needs a value (${s.help})`);
    out.set(name, v);
  }
  return out;
}

export function str(f: Flags, name: string): string | undefined {
  const v = f.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** A number flag; `integer` requires an integer. */
export function num(f: Flags, name: string, integer = false): number | undefined {
  const v = str(f, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new InputError(`--${name}: expected ${integer ? 'an integer' : 'a number'}, got "${v}"`);
  }
  return n;
}

/** A flag whose value must be one of `allowed`. */
export function oneOf<T extends string>(f: Flags, name: string, allowed: readonly T[]): T | undefined {
  const v = str(f, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new InputError(`--${name}: expected one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

export function usage(command: string, summary: string, spec: Record<string, FlagSpec>): string {
  const lines = Object.entries(spec).map(([k, s]) => `  --${k}${s.kind === 'value' ? ' VALUE' : ''}`.padEnd(28) + s.help);
  return `${command}: ${summary}\n\n${lines.join('\n')}\n`;
}
