// The stories260K tokenizer, llama2.c style: BPE encode by highest-score merges with byte fallback, and
// decode back to text. Imports only src/core (no node:fs, no DOM).

import type { LmVocab } from './model.ts';
import { BOS, BYTE_OFFSET, EOS } from './model.ts';

const SPACE_PIECE = '▁'; // U+2581: SentencePiece's space

export interface EncodeOptions {
  /** Put BOS (id 1) first (default false). */
  bos?: boolean;
  /** Put EOS (id 2) last (default false). */
  eos?: boolean;
}

/**
 * Encodes text as llama2.c does: spaces become `▁`, a `▁` is prepended (the dummy prefix, unless the text
 * is empty), every character becomes its piece or, when the vocab has none, its UTF-8 bytes as byte pieces
 * (ids 3..258); then the adjacent pair whose concatenation is a piece with the highest score is merged,
 * repeatedly (ties: the leftmost pair), until no pair merges. A heap makes that O(n log n), so a whole book
 * encodes at once with the same result as llama2.c's quadratic loop.
 * returns: token ids [n]
 */
export function encode(vocab: LmVocab, text: string, options: EncodeOptions = {}): Int32Array {
  const symbols: number[] = [];
  if (options.bos) symbols.push(BOS);
  const start = symbols.length;
  if (text.length > 0) {
    const s = SPACE_PIECE + text.replaceAll(' ', SPACE_PIECE);
    const utf8 = new TextEncoder();
    for (const ch of s) {
      const id = vocab.ids.get(ch);
      if (id !== undefined) symbols.push(id);
      else for (const b of utf8.encode(ch)) symbols.push(BYTE_OFFSET + b);
    }
  }
  const merged = mergePairs(vocab, symbols.slice(start));
  const out = [...symbols.slice(0, start), ...merged];
  if (options.eos) out.push(EOS);
  return Int32Array.from(out);
}

/** BPE merges over a doubly linked list of symbols with a max-heap of candidate pairs (score desc, position asc). */
function mergePairs(vocab: LmVocab, ids: number[]): number[] {
  const n = ids.length;
  const tok = ids.slice();
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const alive = new Uint8Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  // Heap entries: [score, left, leftTok, right, rightTok, mergedId]; the left index orders ties.
  type Entry = [number, number, number, number, number, number];
  const heap: Entry[] = [];
  const before = (a: Entry, b: Entry): boolean => a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]);
  const push = (e: Entry): void => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const pop = (): Entry => {
    const top = heap[0];
    const last = heap.pop() as Entry;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l], heap[m])) m = l;
        if (r < heap.length && before(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };
  const consider = (left: number): void => {
    const right = next[left];
    if (left < 0 || right < 0) return;
    const id = vocab.ids.get(vocab.pieces[tok[left]] + vocab.pieces[tok[right]]);
    if (id !== undefined) push([vocab.scores[id], left, tok[left], right, tok[right], id]);
  };
  for (let i = 0; i + 1 < n; i++) consider(i);
  while (heap.length > 0) {
    const [, left, leftTok, right, rightTok, id] = pop();
    // Stale entries: a side was merged away or changed since the pair was pushed.
    if (!alive[left] || !alive[right] || next[left] !== right || tok[left] !== leftTok || tok[right] !== rightTok) continue;
    tok[left] = id;
    alive[right] = 0;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    consider(left);
    if (prev[left] >= 0) consider(prev[left]);
  }
  const out: number[] = [];
  for (let i = n > 0 ? 0 : -1; i >= 0; i = next[i]) out.push(tok[i]);
  return out;
}

/** The bytes a token stands for: `▁` → space, `<0xXX>` → that byte, BOS/EOS/unk → nothing. */
export function tokenBytes(vocab: LmVocab, id: number): Uint8Array {
  if (id === BOS || id === EOS || id === 0) return new Uint8Array(0);
  if (id >= BYTE_OFFSET && id < BYTE_OFFSET + 256) return Uint8Array.of(id - BYTE_OFFSET);
  return new TextEncoder().encode(vocab.pieces[id].replaceAll(SPACE_PIECE, ' '));
}

/**
 * Decodes token ids to text: pieces with `▁` → space, byte pieces → bytes, BOS/EOS → nothing, then UTF-8
 * (invalid sequences → U+FFFD). The leading space of the first text token of the sequence (or the first after a
 * BOS) is the dummy prefix and is dropped, so `decode(encode(text)) === text`.
 * tokens: [n]
 */
export function decode(vocab: LmVocab, tokens: ArrayLike<number>): string {
  const parts: Uint8Array[] = [];
  let atStart = true;
  for (let i = 0; i < tokens.length; i++) {
    const id = tokens[i];
    if (id === BOS) {
      atStart = true;
      continue;
    }
    let b = tokenBytes(vocab, id);
    if (atStart && b.length > 0) {
      if (b[0] === 0x20) b = b.subarray(1);
      atStart = false;
    }
    parts.push(b);
  }
  let total = 0;
  for (const p of parts) total += p.length;
  const all = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return new TextDecoder('utf-8').decode(all);
}

/**
 * A readable label of one token for tables and highlights: `▁` → space, printable ASCII byte pieces and
 * newline/tab as themselves, other byte pieces as `<0xXX>`, specials as `<s>`, `</s>`, `<unk>`.
 */
export function tokenLabel(vocab: LmVocab, id: number): string {
  if (id >= BYTE_OFFSET && id < BYTE_OFFSET + 256) {
    const b = id - BYTE_OFFSET;
    return (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x09 ? String.fromCharCode(b) : vocab.pieces[id];
  }
  return vocab.pieces[id].replaceAll(SPACE_PIECE, ' ');
}
