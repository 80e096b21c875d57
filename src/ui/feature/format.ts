// Number formatting of the feature page (table, inspector, captions). Plain functions; imports nothing.

/** Fixed digits, an exponent for tiny values, '—' for non-finite ones. */
export function fmt(v: number, digits: number): string {
  if (!Number.isFinite(v)) return '—';
  return Math.abs(v) !== 0 && Math.abs(v) < 10 ** -digits ? v.toExponential(1) : v.toFixed(digits);
}

/**
 * A token as shown inline: newlines as ⏎, an empty label as ∅; standing alone (a list, the peak) a label of
 * spaces only as ␣, else it would be invisible; inside a context spaces stay spaces (the caller's CSS keeps them).
 */
export function showToken(text: string, alone = true): string {
  if (text === '') return '∅';
  if (alone && /^ +$/.test(text)) return '␣'.repeat(text.length);
  return text.replace(/\n/g, '⏎').replace(/\t/g, '⇥');
}
