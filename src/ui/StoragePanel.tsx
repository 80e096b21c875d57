// What this browser keeps (src/ui/persist/): each saved run with its status, its checkpoint and size, a delete button
// per run and delete-all, the quota (navigator.storage.estimate) and whether storage is persistent, and a
// one-line message when saving is off (no IndexedDB: private browsing) or failed (a full quota), and the
// last checkpoint taken (its size and what it cost the engine). What a
// reload restores and what it does not is said here. Reads the store's storage slice; imports React.

import { useStore } from 'zustand';
import type { AppStore } from './store.ts';
import type { RunArtifacts } from './persist/db.ts';

/** "1.2 MB": bytes in decimal units, as browsers report quota. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ${units[u]}`;
}

const ms = (v: number): string => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;

/** Saves a saved run's zip as a download (false when none is kept). */
export function downloadZip(a: RunArtifacts | null): boolean {
  if (!a?.zip) return false;
  const url = URL.createObjectURL(new Blob([new Uint8Array(a.zip)], { type: 'application/zip' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = a.zipName ?? 'sae.zip';
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return true;
}

export function StoragePanel({ store }: { store: AppStore }) {
  const storage = useStore(store, (s) => s.storage);
  const deleteSaved = useStore(store, (s) => s.deleteSaved);
  const deleteAllSaved = useStore(store, (s) => s.deleteAllSaved);
  const deleteDataset = useStore(store, (s) => s.deleteDataset);
  const total = storage.saved.reduce((a, s) => a + s.sizeBytes, 0) + storage.datasets.reduce((a, d) => a + d.keptBytes, 0);
  const last = storage.lastCheckpoint;
  return (
    <section className="storage-panel" aria-label="Saved in this browser" data-testid="storage-panel">
      <h2>Saved in this browser</h2>
      <p className="hint">
        Every run's settings, seeds, status and metrics are saved here as it trains, with a checkpoint of its training state every 10 s or so and when it pauses (one per run, replaced; SGD runs that are not boosting); a finished or stopped run keeps its zip (every member's SAELens folder and ensemble.json), its loss curve and metric history instead. After a reload the runs table shows them again: a run that was training shows <em>interrupted</em> with a <em>resume</em> button that continues it from its checkpoint, and each saved zip downloads from its row. The latest saved run's plots come back too, and <em>open</em> takes a finished run's SAE back as the current run (inspector, views, exports). Uploads and pasted text are kept whole up to 50 MB, else by fingerprint (name, size, SHA-256): a link or reload loads them again or asks for the file, and refuses a different one.
      </p>
      {storage.message && (
        <p className="storage-message" role="alert" data-testid="storage-message">
          {storage.message}
        </p>
      )}
      <p className="storage-quota" data-testid="storage-quota">
        {storage.mode === 'off'
          ? 'Saving is off.'
          : `${storage.saved.length} run${storage.saved.length === 1 ? '' : 's'} kept, ${formatBytes(total)}` +
            (storage.usageBytes !== null && storage.quotaBytes !== null ? ` · this site uses ${formatBytes(storage.usageBytes)} of ${formatBytes(storage.quotaBytes)} allowed` : '') +
            (storage.persisted === null ? '' : storage.persisted ? ' · persistent (the browser will not evict it)' : ' · best effort (the browser may evict it under storage pressure)')}
      </p>
      {last && (
        <p className="hint" data-testid="storage-last-checkpoint">
          Last checkpoint: run {last.run} at step {last.step}, {formatBytes(last.bytes)}; training waited {ms(last.ms)} for it (round trip {ms(last.roundTripMs)}, saved in {ms(last.saveMs)}).
        </p>
      )}
      {storage.saved.length > 0 && (
        <table className="storage-table">
          <thead>
            <tr>
              <th>run</th>
              <th>dataset</th>
              <th>status</th>
              <th>saved</th>
              <th className="num">zip</th>
              <th className="num" title="The latest training state a resume continues from: its step and size">checkpoint</th>
              <th className="num">size</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {storage.saved.map((s) => (
              <tr key={s.key} data-testid="storage-row" data-key={s.key}>
                <td>#{s.record.saved?.run ?? s.record.run}</td>
                <td>{s.record.draft.dataset}</td>
                <td>{s.record.status}</td>
                <td>{new Date(s.savedAt).toLocaleString()}</td>
                <td className="num">{s.zipBytes > 0 ? formatBytes(s.zipBytes) : '—'}</td>
                <td className="num" data-testid="storage-checkpoint">
                  {(s.checkpointBytes ?? 0) > 0 ? `step ${s.checkpointStep ?? '?'} · ${formatBytes(s.checkpointBytes ?? 0)}` : '—'}
                </td>
                <td className="num" data-testid="storage-size">
                  {formatBytes(s.sizeBytes)}
                </td>
                <td>
                  <button data-testid="storage-delete" title="Delete this saved run from the browser (its row from an earlier page load goes too)" onClick={() => void deleteSaved(s.key)}>
                    delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {storage.datasets.length > 0 && (
        <table className="storage-table" data-testid="storage-datasets">
          <thead>
            <tr>
              <th title="Uploads and pasted text: kept whole up to 50 MB (a reload or link loads them again without asking), else only their fingerprint (the file is asked for again and checked)">your data</th>
              <th>fingerprint</th>
              <th className="num">kept</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {storage.datasets.map((d) => (
              <tr key={d.id} data-testid="storage-dataset-row" data-id={d.id}>
                <td>{d.id}</td>
                <td title={`SHA-256 ${d.fingerprint.sha256}${d.fingerprint.sampled ? ' (of the first and last 8 MiB)' : ''}`}>
                  {formatBytes(d.fingerprint.bytes)} · {d.fingerprint.sha256.slice(0, 12)}…
                </td>
                <td className="num">{d.keptBytes > 0 ? formatBytes(d.keptBytes) : 'fingerprint only'}</td>
                <td>
                  <button data-testid="storage-dataset-delete" title="Forget this data (links to it will ask for the file again)" onClick={() => void deleteDataset(d.id)}>
                    delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {storage.saved.length > 0 && (
        <button data-testid="storage-delete-all" title="Delete every saved run from this browser" onClick={() => void deleteAllSaved()}>
          delete all saved runs
        </button>
      )}
    </section>
  );
}
