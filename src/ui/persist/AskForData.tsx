// The request for the user's own data when a link or a reload names an upload or pasted text that this browser
// does not keep (issue #13 item 3): what the link's dataset was (name, size, SHA-256 prefix), a file picker or a
// text box, and why a file was refused (another name, size or contents). Every other setting of the link is
// already applied. Reads the store's storage slice (pending, provideData); imports React and zustand only.

import { useState } from 'react';
import { useStore } from 'zustand';
import type { AppStore } from '../store.ts';
import { formatBytes } from '../StoragePanel.tsx';

export function AskForData({ store }: { store: AppStore }) {
  const pending = useStore(store, (s) => s.storage.pending);
  const provideData = useStore(store, (s) => s.provideData);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  if (!pending) return null;
  const fp = pending.fingerprint;
  const what = pending.kind === 'upload' ? <strong>{pending.name}</strong> : <strong>pasted text</strong>;
  const give = (input: File | string): void => {
    setBusy(true);
    void provideData(input).finally(() => setBusy(false));
  };
  return (
    <section className="ask-data" data-testid="ask-data" aria-label="The link's dataset">
      <p>
        This link's dataset was {what}
        {fp ? ` (${formatBytes(fp.bytes)}, SHA-256 ${fp.sha256.slice(0, 12)}…)` : ''}
        {pending.kind === 'text' ? ` run to ${pending.site}` : pending.tensor ? `, tensor ${pending.tensor}` : ''}, which stays on the machine that loaded it. Every other setting of the link is applied;{' '}
        {pending.kind === 'upload' ? 'pick the file again to train on it' : 'paste the text again to train on it'}
        {fp ? ' (it is checked against the link)' : ' (only its name can be checked: the link carries no fingerprint)'}.
      </p>
      {pending.kind === 'upload' ? (
        <input
          type="file"
          data-testid="ask-file"
          disabled={busy}
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f) give(f);
          }}
        />
      ) : (
        <>
          <textarea data-testid="ask-text" rows={4} value={text} onChange={(e) => setText(e.currentTarget.value)} />
          <button data-testid="ask-text-load" disabled={busy || text === ''} onClick={() => give(text)}>
            load this text
          </button>
        </>
      )}
      {busy && <p className="hint">checking and loading…</p>}
      {pending.message && (
        <p role="alert" className="error" data-testid="ask-data-message">
          {pending.message}
        </p>
      )}
    </section>
  );
}
