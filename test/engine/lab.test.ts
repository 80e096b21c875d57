// The geometry lab's session in-thread (createWorkbench without a GPU: the CPU draws the partition): open on a
// lab state, step, reset, drag, hover, render; a URL's state (steps = N) reopens to exactly the models of N
// live steps; bad requests are refused naming the problem and leave the session as it was; painted points and
// a dataset's projection.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LAB_STATE, type LabState } from '../../src/core/lab/state.ts';
import type { LabInfo } from '../../src/engine/api.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';

const sae = (info: LabInfo) => {
  const p = info.panels.find((x) => x.panel === 'sae');
  if (!p) throw new Error('no SAE panel');
  return p;
};
const state = (patch: Partial<LabState> = {}): LabState => ({ ...DEFAULT_LAB_STATE, ...patch });

describe('lab session', () => {
  it('opens on the toy with three panels, and training lowers the SAE MSE', async () => {
    const wb = createWorkbench();
    const a = await wb.labOpen(state({ dSae: 8, k: 2 }));
    expect(a.n).toBe(100);
    expect(a.points.length).toBe(200);
    expect(a.panels.map((p) => p.panel)).toEqual(['kmeans', 'kflats', 'sae']);
    expect(sae(a).available).toBe(true);
    expect(sae(a).overlay.units).toBe(8);
    expect(a.view.u1 - a.view.u0).toBeCloseTo(a.view.v1 - a.view.v0, 9);
    const b = await wb.labStep(300);
    expect(b.steps).toBe(300);
    expect(sae(b).steps).toBe(300);
    expect(sae(b).mse).toBeLessThan(sae(a).mse * 0.7);
    const c = await wb.labReset();
    expect(c.steps).toBe(0);
    expect(sae(c).mse).toBe(sae(a).mse);
  });

  it('k-means and local PCA run beside the SAE: each draws its cells; k above the points leaves that panel out, saying why', async () => {
    const wb = createWorkbench();
    await wb.labOpen(state({ clusters: 3 }));
    const info = await wb.labStep(10);
    for (const p of info.panels) expect([p.panel, p.available, p.steps]).toEqual([p.panel, true, 10]);
    const [km, kf] = info.panels;
    expect(kf.mse).toBeLessThan(km.mse); // a line per region beats a point per region
    const img = await wb.labRender({ panel: 'kmeans', width: 48, height: 48 });
    expect(img.regions.map((r) => r.label.length)).toEqual(img.regions.map(() => 1));
    expect(img.regions.length).toBeLessThanOrEqual(3);
    const h = await wb.labHover({ panel: 'kflats', x: 0, y: 0 });
    expect(h.label).toEqual([h.active[0].unit]);
    const few = await wb.labSetPoints(Float32Array.of(0, 0, 1, 0, 0, 1));
    expect(few.panels.map((p) => p.available)).toEqual([true, true, true]);
    const tooMany = await wb.labOpen(state({ clusters: 5, data: { source: 'painted', xy: [0, 0, 1, 0, 0, 1] } }));
    expect(tooMany.panels.map((p) => p.available)).toEqual([false, false, true]);
    expect(tooMany.panels[0].note).toMatch(/k = 5 regions but only 3 points/);
    await expect(wb.labRender({ panel: 'kmeans', width: 10, height: 10 })).rejects.toThrow(/k = 5 regions but only 3 points/);
  });

  it('every SAE architecture and both trainers train and draw in the SAE panel', async () => {
    const wb = createWorkbench();
    for (const arch of ['topk', 'batchtopk', 'relu', 'jumprelu'] as const)
      for (const trainer of ['sgd', 'pam-sgd'] as const) {
        if (trainer === 'pam-sgd' && arch === 'batchtopk') continue; // PAM-SGD trains topk, relu and jumprelu (config.ts PAM_ARCHS)
        const a = await wb.labOpen(state({ arch, trainer, dSae: 6, k: 2 }));
        const b = await wb.labStep(40);
        expect(sae(b).mse, `${arch} ${trainer}`).toBeLessThan(sae(a).mse);
        const img = await wb.labRender({ panel: 'sae', width: 24, height: 24 });
        expect(img.regions.length, `${arch} ${trainer}`).toBeGreaterThan(1);
      }
    await expect(wb.labOpen(state({ arch: 'batchtopk', trainer: 'pam-sgd' }))).rejects.toThrow(/pam-sgd/);
  });

  it('a state with steps = N reopens to the models of N live steps (what a lab URL restores)', async () => {
    const wb = createWorkbench();
    await wb.labOpen(state({ k: 2 }));
    const live = await wb.labStep(120);
    const restored = await createWorkbench().labOpen(state({ k: 2, steps: 120 }));
    expect(restored.steps).toBe(120);
    expect(sae(restored).mse).toBe(sae(live).mse);
    expect(Array.from(sae(restored).overlay.sites)).toEqual(Array.from(sae(live).overlay.sites));
  });

  it('drag: a site moves under the pointer and the MSE changes at once; an arrow sets the decoder direction', async () => {
    const wb = createWorkbench();
    await wb.labOpen(state());
    const before = await wb.labStep(50);
    const moved = await wb.labDrag({ panel: 'sae', what: 'site', unit: 0, x: -1.5, y: 1.2 });
    expect(moved.steps).toBe(50);
    expect(sae(moved).overlay.sites[0]).toBeCloseTo(-1.5, 5);
    expect(sae(moved).overlay.sites[1]).toBeCloseTo(1.2, 5);
    expect(sae(moved).mse).not.toBe(sae(before).mse);
    const a = sae(moved).overlay.arrows;
    const turned = await wb.labDrag({ panel: 'sae', what: 'arrow', unit: 0, x: a[0] + 1, y: a[1] });
    const t = sae(turned).overlay.arrows;
    expect(t[3] - t[1]).toBeCloseTo(0, 5); // points along +x from b_dec
    expect(t[2] - t[0]).toBeGreaterThan(0);
  });

  it('hover and render: one label per distinct id, the hover’s active set is its region label, a redraw at the same size gives the same ids', async () => {
    const wb = createWorkbench();
    await wb.labOpen(state({ dSae: 6, k: 2 }));
    const info = await wb.labStep(80);
    const img = await wb.labRender({ panel: 'sae', width: 40, height: 30, error: true });
    expect(img.computedBy).toBe('cpu');
    expect(img.note).toMatch(/^CPU \(no WebGPU adapter\) at \d+ × \d+/);
    expect(img.ids.length).toBe(img.width * img.height);
    expect(img.error.length).toBe(img.width * img.height);
    expect(img.error.every((e) => e >= 0 && Number.isFinite(e))).toBe(true);
    expect(new Set(img.ids).size).toBe(img.regions.length);
    for (const r of img.regions) expect(r.label.length).toBeLessThanOrEqual(2);
    const h = await wb.labHover({ panel: 'sae', x: 1, y: 0.7 });
    expect(h.active.map((a) => a.unit).sort((p, q) => p - q)).toEqual(h.label);
    expect(h.error).toBeGreaterThanOrEqual(0);
    expect(info.view.u0).toBeLessThan(1);
    const again = await wb.labRender({ panel: 'sae', width: img.width, height: img.height });
    expect(again.width).toBe(img.width);
    expect(again.error.length).toBe(0);
    expect(Array.from(again.ids)).toEqual(Array.from(img.ids));
  });

  it('the CPU resolution follows the time budget: a huge canvas is drawn coarser, and the note says so', async () => {
    const wb = createWorkbench();
    await wb.labOpen(state({ dSae: 64, k: 4 }));
    await wb.labRender({ panel: 'sae', width: 64, height: 64 }); // one measurement
    const img = await wb.labRender({ panel: 'sae', width: 2048, height: 2048 });
    expect(img.width).toBeLessThan(2048);
    expect(img.width).toBeGreaterThanOrEqual(48);
    expect(img.note).toMatch(/at \d+ × \d+: \d+×\d+ \(lowered to keep 33 redraws\/s|the smallest drawn/);
  });

  it('refusals name the problem and leave the session as it was', async () => {
    const wb = createWorkbench();
    await expect(wb.labStep(1)).rejects.toThrow(/the lab is not open: call labOpen/);
    const ok = await wb.labOpen(state());
    await expect(wb.labOpen(state({ dSae: 0 }))).rejects.toThrow(/labOpen: dSae must be an integer in \[1, 256\], got 0/);
    await expect(wb.labStep(0)).rejects.toThrow(/n must be an integer in \[1, 5000\], got 0/);
    await expect(wb.labDrag({ panel: 'sae', what: 'site', unit: 99, x: 0, y: 0 })).rejects.toThrow(/unit must be an integer in \[0, 7\], got 99/);
    await expect(wb.labHover({ panel: 'sae', x: NaN, y: 0 })).rejects.toThrow(/coordinates must be finite/);
    await expect(wb.labRender({ panel: 'sae', width: 0, height: 10 })).rejects.toThrow(/width and height must be integers in \[1, 4096\]/);
    await expect(wb.labRender({ panel: 'nope' as never, width: 10, height: 10 })).rejects.toThrow(/panel "nope" is unknown/);
    await expect(wb.labSetPoints(Float32Array.of(0, 0, 1, 1))).rejects.toThrow(/painted points: need 3 to 2000/);
    const after = await wb.labStep(1);
    expect(after.n).toBe(ok.n);
    expect(after.steps).toBe(1);
  });

  it('painted points replace the data and restart the models; a synthetic dataset projects onto 2 dims or 2 PCs', async () => {
    const wb = createWorkbench();
    await wb.labOpen(state());
    await wb.labStep(5);
    const painted = await wb.labSetPoints(Float32Array.of(0, 0, 1, 0, 0, 1, 1, 1, 0.5, 0.5));
    expect([painted.n, painted.steps, painted.source]).toEqual([5, 0, '5 painted points']);
    const dims = await wb.labOpen(state({ data: { source: 'projection', dataset: 'synthetic:small', how: { kind: 'dims', a: 0, b: 3 }, rows: 300 } }));
    expect(dims.n).toBe(300);
    expect(dims.source).toMatch(/^synthetic:small(:0)?: its first 300 rows on dims 0 and 3$/);
    const pca = await wb.labOpen(state({ data: { source: 'projection', dataset: 'synthetic:small', how: { kind: 'pca' }, rows: 300 } }));
    expect(pca.source).toMatch(/PC1, PC2 \(\d+% of the variance\)/);
    await expect(wb.labOpen(state({ data: { source: 'projection', dataset: 'synthetic:small', how: { kind: 'dims', a: 0, b: 99 }, rows: 300 } }))).rejects.toThrow(/has 16 columns \(0\.\.15\), got dims 0, 99/);
  });
});

describe('lab slice: the current run’s SAE on a plane through three rows', () => {
  it('draws the partition of a trained 16-d SAE around its three rows; refuses bad rows and no run', async () => {
    const wb = createWorkbench();
    await expect(wb.labSlice({ rows: [0, 1, 2], width: 16, height: 16 })).rejects.toThrow(/there is no run yet/);
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await wb.onSnapshot((s) => {
      if (s.run > 0 && s.status === 'done') done();
    });
    await wb.startRun({ dataset: 'synthetic:small', config: { dSae: 24, k: 3, steps: 30, batch: 64, seed: 1 }, backend: 'cpu' });
    await finished;
    const img = await wb.labSlice({ rows: [0, 5, 9], width: 40, height: 40 });
    expect([img.width, img.height, img.ids.length]).toEqual([40, 40, 1600]);
    expect(img.dataset).toMatch(/^synthetic:small/);
    expect([img.anchors[0], img.anchors[1]]).toEqual([0, 0]); // row a at the origin, b on the u axis
    expect(Math.abs(img.anchors[3])).toBeLessThan(1e-6);
    expect(img.anchors[2]).toBeGreaterThan(0);
    expect(img.regions.length).toBeGreaterThan(1);
    for (const r of img.regions) expect(r.label.length).toBeLessThanOrEqual(3);
    expect(img.view.u0).toBeLessThan(0);
    await expect(wb.labSlice({ rows: [0, 0, 1], width: 10, height: 10 })).rejects.toThrow(/the three rows must differ/);
    await expect(wb.labSlice({ rows: [0, 1, 1e9], width: 10, height: 10 })).rejects.toThrow(/row 1000000000 is not a row of the data/);
    await expect(wb.labSlice({ rows: [0, 1, 2], width: 0, height: 10 })).rejects.toThrow(/width and height must be integers/);
  });
});
