// Picking the partition drawing's resolution from a measured speed (issue #12: "on the CPU or a software adapter
// it stays usable at a lower resolution, chosen automatically and said"). Pure arithmetic; imports only src/core.
//
// The cost of a redraw is linear in pixels × units (every pixel evaluates every unit's score; regions.ts and
// shaders/partition.wgsl), so a measured ms per megapixel at the current number of units predicts the side that
// fits a frame budget. Measured (docs/reproduction-geometry.md, 256 latents, TopK k = 8, 2 shared CPU cores):
// the CPU twin 55–115 ms per 128×128 redraw (3.3–7 s per megapixel with the load: 96×96 down to 64×64 at 33 ms);
// shaders/partition.wgsl on SwiftShader 0.9–1.5 s (55–93 s per megapixel: software adapters use the twin).

import { InputError } from '../errors.ts';

/** The lab's bounds: 512×512 is the target on a real GPU; below 64×64 the cells are no longer readable. */
export const MIN_SIDE = 64;
export const MAX_SIDE = 512;

/**
 * The largest square side, a multiple of 8 (the kernel's tile) in [minSide, maxSide], whose redraw takes at most
 * `budgetMs` at `msPerMegapixel`, and a sentence saying so (for the panel's caption). When even minSide is over
 * budget it returns minSide and says that it is slower than the budget.
 */
export function chooseResolution(msPerMegapixel: number, budgetMs: number, minSide = MIN_SIDE, maxSide = MAX_SIDE): { side: number; msPerRedraw: number; note: string } {
  if (!(msPerMegapixel > 0) || !Number.isFinite(msPerMegapixel)) throw new InputError(`chooseResolution: msPerMegapixel must be a positive number (a measured redraw time), got ${msPerMegapixel}`);
  if (!(budgetMs > 0)) throw new InputError(`chooseResolution: budgetMs must be > 0, got ${budgetMs}`);
  if (!(minSide >= 8 && maxSide >= minSide)) throw new InputError(`chooseResolution: need 8 ≤ minSide ≤ maxSide, got ${minSide}, ${maxSide}`);
  const fit = Math.floor(Math.sqrt((budgetMs / msPerMegapixel) * 1e6) / 8) * 8;
  const side = Math.max(minSide, Math.min(maxSide, fit));
  const msPerRedraw = (side * side * msPerMegapixel) / 1e6;
  const fps = 1000 / msPerRedraw;
  const note =
    fit >= maxSide
      ? `${side}×${side} at ${fps.toFixed(0)} redraws/s`
      : fit >= minSide
        ? `${side}×${side} (lowered to keep ${(1000 / budgetMs).toFixed(0)} redraws/s on this device: ${msPerRedraw.toFixed(1)} ms each)`
        : `${side}×${side}, the smallest drawn, at ${msPerRedraw.toFixed(0)} ms per redraw (over the ${budgetMs} ms budget on this device)`;
  return { side, msPerRedraw, note };
}
