// "Copy link": the page's URL — the experiment in its hash (urlState.ts), with an upload's or pasted text's
// fingerprint — to the clipboard, or shown to copy by hand where the clipboard is refused (issue #13 item 3).
// The feature page uses it too (the hash names its latent: issue #14). Reads nothing from the store: the hash
// is kept current by App.tsx. Imports React only.

import { useState } from 'react';

const EXPERIMENT_TITLE = 'Copy a link to this experiment: every setting and the dataset (an upload or pasted text is asked for again, checked by its fingerprint)';

/** testId: the button's data-testid (the text box's is `${testId}-text`); title: what the link restores. */
export function CopyLink({ testId = 'copy-link', title = EXPERIMENT_TITLE }: { testId?: string; title?: string }) {
  const [state, setState] = useState<{ done: boolean; manual: string | null }>({ done: false, manual: null });
  const copy = (): void => {
    const link = location.href;
    const clip = typeof navigator !== 'undefined' ? navigator.clipboard : undefined;
    if (!clip) return setState({ done: false, manual: link });
    clip.writeText(link).then(
      () => {
        setState({ done: true, manual: null });
        setTimeout(() => setState((s) => ({ ...s, done: false })), 2000);
      },
      () => setState({ done: false, manual: link }),
    );
  };
  return (
    <span className="copy-link">
      <button data-testid={testId} title={title} onClick={copy}>
        {state.done ? 'link copied' : 'copy link'}
      </button>
      {state.manual && <input data-testid={`${testId}-text`} readOnly value={state.manual} onFocus={(e) => e.currentTarget.select()} aria-label="the link, to copy" />}
    </span>
  );
}
