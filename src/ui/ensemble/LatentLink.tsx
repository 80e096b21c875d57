// A clickable latent of an ensemble member: opens it in the feature inspector (store.inspectLatent,
// which switches the inspector's member) and scrolls the inspector into view, leaving a "← back to …"
// button there that restores the scroll (issue #14: the jump is ~2400 px). Used by every view that lists
// latents (matched pairs, stability, unique features, the decoder map). Imports React and the store.

import type { AppStore } from '../store.ts';

/** Opens member `member`'s latent `latent` in the inspector and brings the inspector into view; `from` names the view for the way back. */
export function openLatent(store: AppStore, member: number, latent: number, from = 'the ensemble views'): void {
  store.getState().setReturnTo({ label: from, scrollY: window.scrollY });
  void store.getState().inspectLatent(member, latent);
  document.querySelector('.feature-panel')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
}

export function LatentLink({ store, member, latent, noun = 'member', from }: { store: AppStore; member: number; latent: number; noun?: string; from?: string }) {
  return (
    <button className="latent-link" data-member={member} data-latent={latent} title={`Open ${noun} ${member}'s latent ${latent} in the feature inspector`} onClick={() => openLatent(store, member, latent, from)}>
      {latent}
    </button>
  );
}
