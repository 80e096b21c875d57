// What identifies the user's own data — an uploaded file or pasted text — without the data itself (issue #13
// item 3): its name, its size in bytes and the SHA-256 of its bytes (crypto.subtle.digest; text: of its UTF-8).
// A link or a reload whose dataset was an upload carries this fingerprint, and the file picked again must match
// it. Files above FULL_HASH_BYTES are hashed on their first and last SAMPLE_BYTES only (WebCrypto has no
// streaming digest, and reading gigabytes at once to hash them would cost that much memory; `sampled` says so).
// Plain functions; imports nothing outside this file.

/** Uploads up to this size are kept whole in IndexedDB (reloaded without asking); larger ones only by fingerprint.
 * 50 MB holds the app's own scale (8,192 rows × 768 float32 = 25 MB; Fashion-MNIST's 60,000 × 784 bytes = 47 MB),
 * reads back from IndexedDB in well under a second, and leaves the quota to runs and checkpoints. */
export const KEEP_DATA_BYTES = 50_000_000;
/** Whole-file hashing up to this size (1 GB); above it, the first and last SAMPLE_BYTES. */
const FULL_HASH_BYTES = 1_000_000_000;
const SAMPLE_BYTES = 8 * 1024 * 1024;

export interface DataFingerprint {
  /** 'upload': a file; 'text': pasted text. */
  kind: 'upload' | 'text';
  /** The file's name ('' for text). */
  name: string;
  /** Size in bytes (text: of its UTF-8). */
  bytes: number;
  /** SHA-256 as 64 lowercase hex digits (of the whole data, or of its first and last 8 MiB when `sampled`). */
  sha256: string;
  sampled?: boolean;
}

const hex = (buf: ArrayBuffer): string => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

/** The fingerprint of a file (a File or Blob with its name). */
export async function fileFingerprint(file: Blob, name: string): Promise<DataFingerprint> {
  const sampled = file.size > FULL_HASH_BYTES;
  const data = sampled ? await new Blob([file.slice(0, SAMPLE_BYTES), file.slice(file.size - SAMPLE_BYTES)]).arrayBuffer() : await file.arrayBuffer();
  const sha256 = hex(await crypto.subtle.digest('SHA-256', data));
  return { kind: 'upload', name, bytes: file.size, sha256, ...(sampled ? { sampled } : {}) };
}

/** The fingerprint of pasted text. */
export async function textFingerprint(text: string): Promise<DataFingerprint> {
  const data = new TextEncoder().encode(text);
  return { kind: 'text', name: '', bytes: data.byteLength, sha256: hex(await crypto.subtle.digest('SHA-256', data)) };
}

/** The fingerprint as a link parameter: `${bytes}.${sha256}` (the name is in the dataset id beside it). */
export const fingerprintParam = (fp: Pick<DataFingerprint, 'bytes' | 'sha256'>): string => `${fp.bytes}.${fp.sha256}`;

/** A link parameter back to a size and hash (null when it is not one). */
export function parseFingerprintParam(raw: string): { bytes: number; sha256: string } | null {
  const m = /^(\d{1,15})\.([0-9a-f]{64})$/.exec(raw);
  return m ? { bytes: Number(m[1]), sha256: m[2]! } : null;
}

/** "3.4 MB": sizes in messages. */
const size = (n: number): string => (n < 1000 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : `${(n / 1e6).toFixed(1)} MB`);

/**
 * Null when `got` is the data `want` describes; otherwise why not, naming both (the file's name and size first,
 * then the hash), and what to do. `want.name` may be unknown (''); `want.bytes`/`sha256` may be unknown (null).
 */
export function differs(want: { kind: 'upload' | 'text'; name: string; bytes: number | null; sha256: string | null }, got: DataFingerprint): string | null {
  const wanted = want.kind === 'text' ? `the pasted text of the link (${want.bytes === null ? 'size unknown' : size(want.bytes)})` : `${want.name || 'the file'}${want.bytes === null ? '' : ` (${size(want.bytes)})`}`;
  const given = got.kind === 'text' ? `this text is ${size(got.bytes)}` : `this is ${got.name} (${size(got.bytes)})`;
  const fix = want.kind === 'text' ? 'paste the same text' : `pick ${want.name || 'the same file'}`;
  if (want.kind === 'upload' && want.name && got.name !== want.name) return `${given}, the link's dataset was ${wanted}: ${fix}`;
  if (want.bytes !== null && got.bytes !== want.bytes) return `${given}, the link's dataset was ${wanted}: ${fix}`;
  if (want.sha256 !== null && got.sha256 !== want.sha256) return `${given} but its contents differ from ${wanted} (SHA-256 ${got.sha256.slice(0, 12)}…, the link's ${want.sha256.slice(0, 12)}…): ${fix}`;
  return null;
}
