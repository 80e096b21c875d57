// A clickable latent of an ensemble member: opens it in the feature inspector (store.inspectLatent,
// which switches the inspector's member) and scrolls the inspector into view. Used by every view that
// lists latents (matched pairs, stability, unique features, the decoder map). Imports React and the store.

import type { AppStore } from '../store.ts';

/** Opens member `member`'s latent `latent` in the inspector and brings the inspector into view. */
export function openLatent(store: AppStore, member: number, latent: number): void {
  void store.getState().inspectLatent(member, latent);
  document.querySelector('.feature-panel')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
}

export function LatentLink({ store, member, latent, noun = 'member' }: { store: AppStore; member: number; latent: number; noun?: string }) {
  return (
    <button className="latent-link" data-member={member} data-latent={latent} title={`Open ${noun} ${member}'s latent ${latent} in the feature inspector`} onClick={() => openLatent(store, member, latent)}>
      {latent}
    </button>
  );
}
