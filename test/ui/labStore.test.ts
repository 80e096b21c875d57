// The lab slice with an in-thread engine (no GPU): switching to the lab opens the session; play runs and pause
// stops; a lesson loads its state and plays to its step, then stops; a model setting restarts at step 0 while
// speed only changes the view; a bad setting is refused in labError; painting sends the points once there are 3;
// a #lab&… hash round-trips through the slice's state.
import { describe, expect, it } from 'vitest';
import { lessonNamed } from '../../src/core/lab/lessons.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';
import { createAppStore } from '../../src/ui/store.ts';
import { DEFAULT_DRAFT } from '../../src/ui/store/experiment.ts';
import { decodeLabHash, encodeLabHash, viewOfHash } from '../../src/ui/urlState.ts';

const until = async (ok: () => boolean, ms = 20_000) => {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('lab slice', () => {
  const store = createAppStore(createWorkbench(), { ...DEFAULT_DRAFT, dataset: 'synthetic:small' });
  const s = () => store.getState();

  it('opens on the lab view, plays and pauses, steps by speed', async () => {
    expect(s().view).toBe('train');
    s().setView('lab');
    await until(() => s().labInfo !== null);
    expect(s().labInfo?.steps).toBe(0);
    s().labPlay();
    await until(() => (s().labInfo?.steps ?? 0) >= 20);
    s().labPause();
    await until(() => !s().labPlaying);
    const at = s().labInfo?.steps ?? 0;
    expect(s().lab.steps).toBe(at);
    await s().labStep();
    expect(s().labInfo?.steps).toBe(at + s().lab.speed);
  });

  it('a lesson loads its state, plays to its step and stops there', async () => {
    const l = lessonNamed('k');
    if (!l) throw new Error('no lesson k');
    await s().labSet({ speed: 100 });
    await s().labLesson('k');
    expect(s().lab.lesson).toBe('k');
    expect(s().lab.k).toBe(2);
    await until(() => !s().labPlaying && (s().labInfo?.steps ?? 0) > 0);
    expect(s().labInfo?.steps).toBe(l.playTo);
  });

  it('model settings restart the models; speed does not; a bad value is refused', async () => {
    await s().labStep();
    const steps = s().labInfo?.steps ?? 0;
    await s().labSet({ speed: 7 });
    expect(s().labInfo?.steps).toBe(steps);
    expect(s().lab.lesson).toBe('k');
    await s().labSet({ dSae: 12 });
    expect(s().labInfo?.steps).toBe(0);
    expect(s().labInfo?.panels.find((p) => p.panel === 'sae')?.overlay.units).toBe(12);
    await s().labSet({ k: 99 });
    expect(s().labError).toMatch(/k must be an integer in \[1, dSae=12\], got 99/);
    expect(s().lab.k).toBe(2);
  });

  it('painting: nothing is sent below 3 points, then the models train on the painted points', async () => {
    s().labPaintMode(true);
    await s().labAddPoints([0, 0]);
    await s().labAddPoints([1, 0]);
    expect(s().labInfo?.n).not.toBe(2);
    await s().labAddPoints([0, 1, 1, 1]);
    expect(s().labInfo?.n).toBe(4);
    expect(s().lab.data).toEqual({ source: 'painted', xy: [0, 0, 1, 0, 0, 1, 1, 1] });
    expect(s().lab.lesson).toBeNull();
  });

  it('the lab hash round-trips the slice state; the view follows the hash', () => {
    const hash = encodeLabHash(s().lab);
    expect(viewOfHash(`#${hash}`)).toBe('lab');
    expect(viewOfHash('#dataset=builtin:digits')).toBe('train');
    expect(decodeLabHash(`#${hash}`)).toEqual({ lab: s().lab, error: null });
    expect(decodeLabHash('#lab&dSae=-1').error).toMatch(/dSae must be an integer in \[1, 256\], got -1\. Showing the default lab\./);
  });
});
