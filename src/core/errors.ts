// Errors for bad input: one class, messages that name the thing, the field, what was expected and
// what was found, and what to do. Imports nothing.

/** Bad input from a user (file, flag, config). The CLI prints `message` on one line and exits 2. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** `${source}: ${field}: expected ${expected}, got ${got}` — the one shape for malformed-file errors. */
export function formatError(source: string, field: string, expected: string, got: string): InputError {
  return new InputError(`${source}: ${field}: expected ${expected}, got ${got}`);
}

/** Throws an InputError naming the first non-finite value of `a` (as [row, col] when `cols` is given). */
export function assertFinite(a: ArrayLike<number>, source: string, field: string, cols?: number): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!Number.isFinite(v)) {
      const at = cols ? `[${Math.floor(i / cols)}, ${i % cols}]` : `[${i}]`;
      throw formatError(source, `${field}${at}`, 'a finite number', String(v));
    }
  }
}
