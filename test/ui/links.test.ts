// Links and reloads whose dataset was the user's own (issue #13 item 3), through the app's store with an
// in-thread engine and fake-indexeddb: an upload is kept (fingerprint and, under 50 MB, its bytes); a link with
// `dataset=upload:…&fp=…` keeps every other setting and loads the kept file again without asking; where only the
// link knows the data, the file is asked for and a file of another name, size or contents is refused naming both,
// the right one loads; pasted text is checked the same way. Also fingerprint.ts and the hash's fp parameter.
import { IDBCursor, IDBCursorWithValue, IDBDatabase, IDBFactory, IDBIndex, IDBObjectStore, IDBRequest, IDBTransaction } from 'fake-indexeddb';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/core/formats/npy.ts';
import type { DataReader } from '../../src/engine/data/datasets.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';
import { differs, fileFingerprint, fingerprintParam, parseFingerprintParam, textFingerprint } from '../../src/ui/persist/fingerprint.ts';
import { createAppStore } from '../../src/ui/store.ts';
import { UPLOAD } from '../../src/ui/store/dataset.ts';
import { DEFAULT_DRAFT } from '../../src/ui/store/experiment.ts';
import { decodeHash, encodeHash } from '../../src/ui/urlState.ts';

Object.assign(globalThis, { IDBCursor, IDBCursorWithValue, IDBDatabase, IDBIndex, IDBObjectStore, IDBRequest, IDBTransaction });

const readData: DataReader = async (file) => new Uint8Array(await readFile(new URL(file, new URL('../../public/data/', import.meta.url))));

/** Opens the store as a page at `hash` would (createAppStore reads location.hash and the page's indexedDB). */
function page(factory: IDBFactory, hash: string) {
  Object.assign(globalThis, { indexedDB: factory, location: { hash } });
  return createAppStore(createWorkbench(undefined, { readData }));
}
afterEach(() => {
  delete (globalThis as { indexedDB?: unknown }).indexedDB;
  delete (globalThis as { location?: unknown }).location;
});

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const rows = (seed: number): Float32Array => Float32Array.from({ length: 300 * 6 }, (_, i) => Math.sin(i * 0.37 + seed) + ((i * 7919 + seed) % 13) / 13);
const npy = (seed: number): Uint8Array => writeNpy(rows(seed), [300, 6]);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('fingerprints (fingerprint.ts)', () => {
  it('SHA-256 of the bytes (text: of its UTF-8), as a link parameter and back; differs names both', async () => {
    const b = npy(1);
    const fp = await fileFingerprint(new Blob([new Uint8Array(b)]), 'a.npy');
    expect(fp).toEqual({ kind: 'upload', name: 'a.npy', bytes: b.byteLength, sha256: sha(b) });
    const t = await textFingerprint('Once upon a time ✓');
    expect(t.sha256).toBe(sha(new TextEncoder().encode('Once upon a time ✓')));
    expect(parseFingerprintParam(fingerprintParam(fp))).toEqual({ bytes: fp.bytes, sha256: fp.sha256 });
    expect(parseFingerprintParam('12.abc')).toBeNull();
    const want = { kind: 'upload' as const, name: 'a.npy', bytes: fp.bytes, sha256: fp.sha256 };
    expect(differs(want, fp)).toBeNull();
    expect(differs(want, { ...fp, name: 'b.npy' })).toMatch(/^this is b\.npy \([\d.]+ kB\), the link's dataset was a\.npy \([\d.]+ kB\): pick a\.npy$/);
    expect(differs(want, { ...fp, bytes: 5 })).toMatch(/^this is a\.npy \(5 B\), the link's dataset was a\.npy/);
    expect(differs(want, { ...fp, sha256: 'f'.repeat(64) })).toMatch(/^this is a\.npy .* but its contents differ from a\.npy .*\(SHA-256 ffffffffffff…, the link's [0-9a-f]{12}…\): pick a\.npy$/);
    expect(differs({ ...want, bytes: null, sha256: null }, { ...fp, sha256: '0'.repeat(64) })).toBeNull();
  });

  it('the hash carries fp beside an upload id, never beside a built-in; a bad fp is refused', () => {
    const draft = { ...DEFAULT_DRAFT, dataset: 'upload:a.npy', dSae: 32 };
    const param = `12.${'a'.repeat(64)}`;
    const hash = encodeHash(draft, DEFAULT_DRAFT, param);
    expect(hash).toContain(`fp=${param}`);
    expect(encodeHash(DEFAULT_DRAFT, DEFAULT_DRAFT, param)).not.toContain('fp=');
    const back = decodeHash(hash, DEFAULT_DRAFT);
    expect(back.draft.dSae).toBe(32);
    expect(back.local).toEqual({ id: 'upload:a.npy', fingerprint: { bytes: 12, sha256: 'a'.repeat(64) } });
    expect(decodeHash('#dataset=upload:a.npy&fp=zz', DEFAULT_DRAFT).error).toMatch(/fp "zz" is not <bytes>\.<64 hex digits of SHA-256>/);
  });
});

describe('uploads after a reload or through a link (store + engine + IndexedDB)', () => {
  it('a kept upload loads again without asking; a link elsewhere asks, refuses another file, takes the right one', { timeout: 60_000 }, async () => {
    const factory = new IDBFactory();
    const bytes = npy(1);
    const first = page(factory, '');
    await until('storage on', () => first.getState().storage.mode === 'on');
    await until('the default dataset', () => first.getState().dataset !== null);
    first.getState().setUpload({ file: new File([new Uint8Array(bytes)], 'acts.npy') });
    await first.getState().choose(UPLOAD);
    await first.getState().loadChoice();
    expect(first.getState().dataset?.id).toBe('upload:acts.npy');
    await until('kept with its bytes', () => first.getState().storage.datasets.some((d) => d.id === 'upload:acts.npy' && d.keptBytes === bytes.byteLength));
    expect(first.getState().storage.current).toEqual({ id: 'upload:acts.npy', param: `${bytes.byteLength}.${sha(bytes)}` });
    const link = `#${encodeHash({ ...first.getState().draft, dSae: 24, k: 3 }, DEFAULT_DRAFT, first.getState().storage.current!.param)}`;
    expect(link).toMatch(/dataset=upload%3Aacts\.npy.*&fp=\d+\.[0-9a-f]{64}/);

    // The reload (same browser): the kept file loads again, the link's other settings stay.
    const reload = page(factory, link);
    await until('the kept upload loaded again', () => reload.getState().dataset?.id === 'upload:acts.npy' && reload.getState().storage.pending === null);
    expect(reload.getState().draft).toMatchObject({ dataset: 'upload:acts.npy', dSae: 24, k: 3 });
    expect(reload.getState().hashError).toBeNull();

    // Another browser (nothing kept): asked for, checked against the link's fingerprint.
    const other = page(new IDBFactory(), link);
    await until('storage on elsewhere', () => other.getState().storage.mode === 'on');
    const pending = other.getState().storage.pending!;
    expect(pending).toMatchObject({ id: 'upload:acts.npy', kind: 'upload', name: 'acts.npy', fingerprint: { bytes: bytes.byteLength, sha256: sha(bytes) } });
    expect(other.getState().draft).toMatchObject({ dSae: 24, k: 3 });
    expect(await other.getState().provideData(new File([new Uint8Array(bytes)], 'other.npy'))).toBe(false);
    expect(other.getState().storage.pending!.message).toMatch(/^this is other\.npy \([\d.]+ kB\), the link's dataset was acts\.npy \([\d.]+ kB\): pick acts\.npy$/);
    const same = npy(2);
    expect(same.byteLength).toBe(bytes.byteLength);
    expect(await other.getState().provideData(new File([new Uint8Array(same)], 'acts.npy'))).toBe(false);
    expect(other.getState().storage.pending!.message).toMatch(/but its contents differ/);
    expect(other.getState().dataset?.id).not.toBe('upload:acts.npy');
    expect(await other.getState().provideData(new File([new Uint8Array(bytes)], 'acts.npy'))).toBe(true);
    expect(other.getState().storage.pending).toBeNull();
    expect(other.getState().draft).toMatchObject({ dataset: 'upload:acts.npy', dSae: 24, k: 3 });
    await other.getState().train();
    await until('a run on it', () => other.getState().snapshot !== null && other.getState().snapshot!.step > 0);
    await other.getState().stop();
  });

  it('pasted text is asked for with its fingerprint and another text refused', { timeout: 30_000 }, async () => {
    const want = await textFingerprint('One day, a little girl named Lily found a needle.');
    const other = page(new IDBFactory(), `#dataset=text:resid:3&dSae=48&fp=${fingerprintParam(want)}`);
    await until('storage on', () => other.getState().storage.mode === 'on');
    expect(other.getState().storage.pending).toMatchObject({ kind: 'text', site: 'resid:3', fingerprint: { bytes: want.bytes, sha256: want.sha256 } });
    expect(await other.getState().provideData('One day, a little boy named Tim found a needle.')).toBe(false);
    expect(other.getState().storage.pending!.message).toMatch(/^this text is \d+ B, the link's dataset was the pasted text of the link \(\d+ B\): paste the same text$/);
    expect(other.getState().draft.dSae).toBe(48);
  });
});
