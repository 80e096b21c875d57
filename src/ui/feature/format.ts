// Number formatting of the feature page (table, inspector, captions). Plain functions; imports nothing.

/** Fixed digits, an exponent for tiny values, '—' for non-finite ones. */
export function fmt(v: number, digits: number): string {
  if (!Number.isFinite(v)) return '—';
  return Math.abs(v) !== 0 && Math.abs(v) < 10 ** -digits ? v.toExponential(1) : v.toFixed(digits);
}

/** A token as shown inline: newlines as ⏎, an empty label as ∅, a label of spaces only as ␣ (else invisible); other spaces kept (the caller's CSS keeps them). */
export function showToken(text: string): string {
  if (text === '') return '∅';
  if (/^ +$/.test(text)) return '␣'.repeat(text.length);
  return text.replace(/\n/g, '⏎').replace(/\t/g, '⇥');
}
