// The geometry lab view (issue #12 §2–4): lessons with their captions, play / pause / step / reset / speed, the
// three panels side by side (k-means | local PCA | SAE; stacked on a phone), the hover readout with its latents
// (hovering one highlights its cells), and the settings: data (presets, painting, a dataset's projection), the
// models, the overlays. The lab state lives in the URL (#lab&…, synced here). Reads the store; imports React,
// zustand, core/lab definitions and the lab's components.

import { useEffect } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { LabPanel, LabState } from '../../engine/api.ts';
import { LESSONS, lessonNamed } from '../../core/lab/lessons.ts';
import { LAB_MAX_SPEED, LAB_OVERLAYS, LAB_PANELS, PANEL_TITLES, type LabOverlay } from '../../core/lab/state.ts';
import type { AppStore } from '../store.ts';
import { encodeLabHash } from '../urlState.ts';
import { LabCanvas } from './LabCanvas.tsx';
import { LabSettings } from './LabSettings.tsx';
import { LabSlice } from './LabSlice.tsx';
import { unitColour } from './paint.ts';
import { Tex } from './Tex.tsx';

const CANVAS_IDS: Record<LabPanel, string> = { kmeans: 'lab-canvas-kmeans', kflats: 'lab-canvas-kflats', sae: 'lab-canvas' };
const OVERLAY_LABELS: Record<LabOverlay, string> = { points: 'data points', sites: 'sites', circles: 'circles √(α − min α)', arrows: 'decoder arrows', boundaries: 'cell boundaries', error: 'shade by error' };

export function LabView({ store }: { store: AppStore }) {
  useLabHash(store);
  const [error, info, lesson] = useStore(store, useShallow((s) => [s.labError, s.labInfo, s.lab.lesson] as const));
  const l = lessonNamed(lesson);
  return (
    <section className="lab" data-testid="lab" aria-label="Geometry lab">
      <h2>Geometry lab: how an SAE cuts up its input space</h2>
      <p className="lede-small">
        Three autoencoders learn the same 2-D points. Each colour is a region where the model is one affine map (SplInterp, Budd et al.): k-means gives each region a
        constant, local PCA a line fitted to the region, the SAE a sum of shared decoder directions. Drag a site or an arrow head; hover anywhere to see what fires.
      </p>
      <Lessons store={store} />
      {l && (
        <div className="lab-caption" data-testid="lab-caption">
          <strong>{l.title}.</strong> {l.caption[0]}
          <br />
          {l.caption[1]}
          <div className="lab-formula">
            <Tex tex={l.tex} testId="lab-formula" block />
          </div>
        </div>
      )}
      <Controls store={store} />
      {error && (
        <p role="alert" className="error" data-testid="lab-error">
          {error}
        </p>
      )}
      <div className="lab-panels">
        {LAB_PANELS.map((p) => (
          <Panel key={p} store={store} panel={p} />
        ))}
      </div>
      <HoverReadout store={store} />
      {info && (
        <p className="muted lab-source" data-testid="lab-source">
          data: {info.source}
        </p>
      )}
      <LabSettings store={store} />
      <Overlays store={store} />
      <LabSlice store={store} />
    </section>
  );
}

function Lessons({ store }: { store: AppStore }) {
  const [current, playLesson] = useStore(store, useShallow((s) => [s.lab.lesson, s.labLesson] as const));
  return (
    <div className="lab-lessons" role="group" aria-label="Lessons">
      <span className="muted">Lessons:</span>
      {LESSONS.map((l) => (
        <button key={l.name} type="button" data-testid={`lesson-${l.name}`} className={l.name === current ? 'lesson active' : 'lesson'} onClick={() => void playLesson(l.name)}>
          {l.title}
        </button>
      ))}
    </div>
  );
}

function Controls({ store }: { store: AppStore }) {
  const [playing, steps, speed, ready] = useStore(store, useShallow((s) => [s.labPlaying, s.labInfo?.steps ?? 0, s.lab.speed, s.labInfo !== null] as const));
  const [play, pause, step, reset, labSet] = useStore(store, useShallow((s) => [s.labPlay, s.labPause, s.labStep, s.labReset, s.labSet] as const));
  return (
    <div className="controls lab-controls">
      <button type="button" data-testid="lab-play" className="primary" disabled={!ready} onClick={() => (playing ? pause() : play())}>
        {playing ? 'Pause' : 'Play'}
      </button>
      <button type="button" data-testid="lab-step" disabled={!ready} onClick={() => void step()} title={`Train ${speed} step${speed === 1 ? '' : 's'} and stop`}>
        Step
      </button>
      <button type="button" data-testid="lab-reset" disabled={!ready} onClick={() => void reset()} title="The models from scratch, same data and settings">
        Reset
      </button>
      <label className="inline" title="Steps per frame while playing (and per Step click)">
        speed
        <input type="range" data-testid="lab-speed" min={1} max={LAB_MAX_SPEED} value={speed} onChange={(e) => void labSet({ speed: Number(e.currentTarget.value) })} />
        <span className="num">{speed}/frame</span>
      </label>
      <span className="status">
        step <span data-testid="lab-steps">{steps}</span>
      </span>
    </div>
  );
}

function Panel({ store, panel }: { store: AppStore; panel: LabPanel }) {
  const [p, note] = useStore(store, useShallow((s) => [s.labInfo?.panels.find((x) => x.panel === panel) ?? null, s.labNotes[panel] ?? ''] as const));
  const best = useStore(store, (s) => {
    const ms = (s.labInfo?.panels ?? []).filter((x) => x.available).map((x) => x.mse);
    return ms.length > 1 ? Math.min(...ms) : null;
  });
  return (
    <figure className="lab-panel" data-testid={`lab-panel-${panel}`}>
      <figcaption>
        <span className="lab-panel-title">{PANEL_TITLES[panel]}</span>
        <span className={`lab-mse${p?.available && best !== null && p.mse === best ? ' best' : ''}`} title="mean over the points of ‖x − x̂‖²">
          MSE <span data-testid={`lab-mse-${panel}`}>{p?.available ? fmtMse(p.mse) : '—'}</span>
        </span>
      </figcaption>
      <LabCanvas store={store} panel={panel} testId={CANVAS_IDS[panel]} />
      <div className="lab-note muted" data-testid={`lab-note-${panel}`}>
        {p ? (p.available ? `${p.note}. ${note}` : p.note) : 'starting…'}
      </div>
      {panel === 'sae' && p?.available && <LatentChips store={store} units={p.overlay.units} dead={p.overlay.dead} />}
    </figure>
  );
}

/** One chip per latent: hover (or tap) highlights its cells in the SAE panel — the Playground's linked views. */
function LatentChips({ store, units, dead }: { store: AppStore; units: number; dead: Uint8Array }) {
  const [hl, setHl] = useStore(store, useShallow((s) => [s.labHighlight, s.setLabHighlight] as const));
  if (units > 64) return <div className="muted lab-chips">{units} latents (hover a point to see which fire)</div>;
  const nDead = dead.reduce((a, b) => a + b, 0);
  return (
    <div className="lab-chips" aria-label="Latents">
      {Array.from({ length: units }, (_, i) => (
        <button
          key={i}
          type="button"
          className={`chip${dead[i] ? ' dead' : ''}${hl?.panel === 'sae' && hl.unit === i ? ' on' : ''}`}
          style={{ borderColor: unitColour(i, units) }}
          data-testid={`lab-latent-${i}`}
          title={dead[i] ? `latent ${i}: dead (fires on no point)` : `latent ${i}: hover to see its cells`}
          onPointerEnter={() => setHl({ panel: 'sae', unit: i })}
          onPointerLeave={() => setHl(null)}
          onClick={() => setHl(hl?.panel === 'sae' && hl.unit === i ? null : { panel: 'sae', unit: i })}
        >
          {i}
        </button>
      ))}
      {nDead > 0 && <span className="muted" data-testid="lab-dead">{nDead} dead</span>}
    </div>
  );
}

function HoverReadout({ store }: { store: AppStore }) {
  const [h, setHl] = useStore(store, useShallow((s) => [s.labHover, s.setLabHighlight] as const));
  if (!h) return <p className="lab-hover muted" data-testid="lab-hover">Hover (or tap) a panel to see which units fire there, x̂ and the error.</p>;
  const unit = h.panel === 'sae' ? 'latent' : h.panel === 'kmeans' ? 'cluster' : 'flat';
  return (
    <div className="lab-hover" data-testid="lab-hover">
      <strong>{PANEL_TITLES[h.panel]}</strong>: region {`{${h.label.join(', ')}}`} ·{' '}
      {h.active.length === 0
        ? 'nothing fires'
        : h.active.map((a) => (
            <button key={a.unit} type="button" className="chip" onPointerEnter={() => setHl({ panel: h.panel, unit: a.unit })} onPointerLeave={() => setHl(null)}>
              {unit} {a.unit} = {a.value.toFixed(3)}
            </button>
          ))}{' '}
      · x̂ = ({h.xHat[0].toFixed(3)}, {h.xHat[1].toFixed(3)}) · ‖x − x̂‖² = <span data-testid="lab-hover-error">{h.error.toFixed(4)}</span>
    </div>
  );
}

function Overlays({ store }: { store: AppStore }) {
  const [overlays, labSet] = useStore(store, useShallow((s) => [s.lab.overlays, s.labSet] as const));
  const toggle = (o: LabOverlay, on: boolean) => void labSet({ overlays: LAB_OVERLAYS.filter((x) => (x === o ? on : overlays.includes(x))) });
  return (
    <fieldset className="lab-overlays">
      <legend>Draw</legend>
      {LAB_OVERLAYS.map((o) => (
        <label key={o} className="check">
          <input type="checkbox" data-testid={`lab-overlay-${o}`} checked={overlays.includes(o)} onChange={(e) => toggle(o, e.currentTarget.checked)} />
          {OVERLAY_LABELS[o]}
        </label>
      ))}
    </fieldset>
  );
}

const fmtMse = (v: number): string => (!Number.isFinite(v) ? '—' : v < 1e-3 ? v.toExponential(2) : v.toFixed(4));

/** The lab state is the URL (#lab&…): written on change (at most every 300 ms while playing), read back on a hand-edited hash. */
function useLabHash(store: AppStore): void {
  useEffect(() => {
    let last = '';
    let timer: ReturnType<typeof setTimeout> | null = null;
    const write = (lab: LabState) => {
      const hash = encodeLabHash(lab);
      if (hash === last) return;
      last = hash;
      history.replaceState(null, '', `#${hash}`);
    };
    write(store.getState().lab);
    const unsubscribe = store.subscribe((s, prev) => {
      if (s.lab === prev.lab || timer) return;
      timer = setTimeout(() => {
        timer = null;
        write(store.getState().lab);
      }, 300);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [store]);
}
