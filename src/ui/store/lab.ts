// The lab slice (issue #12 §2–4): which view the page shows (the training page or the geometry lab), the lab's
// state (core/lab/state.ts: data, the three panels' settings, speed, overlays, steps, lesson), the engine
// session's latest answer (LabInfo), play / pause / step / reset, lessons, painting, dragging, the hover
// readout and the highlighted latent (linked views). The partition images are not state: each panel canvas
// asks the engine for them and draws outside React (src/ui/lab/). Imports engine types, core/lab values and
// context.ts only.

import type { LabDragRequest, LabHoverInfo, LabImage, LabInfo, LabPanel, LabRenderRequest, LabSliceImage, LabSliceRequest, LabState } from '../../engine/api.ts';
import { lessonNamed } from '../../core/lab/lessons.ts';
import { DEFAULT_LAB_STATE, labStateProblems, maxStepsOf, sameModels } from '../../core/lab/state.ts';
import { message, type GetState, type SetState, type StoreContext } from './context.ts';

export type AppView = 'train' | 'lab';

export interface LabSlice {
  view: AppView;
  lab: LabState;
  labInfo: LabInfo | null;
  labPlaying: boolean;
  labError: string | null;
  labHover: LabHoverInfo | null;
  /** The latent (or cluster) whose cells are highlighted in its panel, from hovering it in a list or a readout. */
  labHighlight: { panel: LabPanel; unit: number } | null;
  /** How each panel's partition was last drawn (LabImage.note: GPU or CPU, at what resolution). */
  labNotes: Partial<Record<LabPanel, string>>;
  /** Painting: points added by click-and-drag, not yet enough to train on (null when not painting). */
  labPaint: number[] | null;
  setView(view: AppView): void;
  /** Opens the engine's session on `state` (default: the slice's), retraining to state.steps. */
  labOpen(state?: LabState): Promise<void>;
  /** Changes settings: model settings restart the models, the rest (speed, overlays) only changes the view. */
  labSet(patch: Partial<LabState>): Promise<void>;
  labPlay(): void;
  /** Stops playing after the step in flight (labPlaying turns false then). */
  labPause(): void;
  labStep(): Promise<void>;
  labReset(): Promise<void>;
  labLesson(name: string): Promise<void>;
  /** Starts painting (empty canvas) or stops it. */
  labPaintMode(on: boolean): void;
  /** Adds painted points (x, y pairs); at 3 points and more the models train on them. */
  labAddPoints(xy: number[]): Promise<void>;
  labDrag(req: LabDragRequest): Promise<void>;
  labHoverAt(panel: LabPanel, x: number, y: number): Promise<void>;
  setLabHighlight(h: LabSlice['labHighlight']): void;
  setLabNote(panel: LabPanel, note: string): void;
  /** A panel's partition image (the canvases call it outside React; not state). */
  labRender(req: LabRenderRequest): Promise<LabImage>;
  /** The current run's SAE on the plane through three rows (LabSlice.tsx keeps the image). */
  labSlice(req: LabSliceRequest): Promise<LabSliceImage>;
}

/** Waits for the next animation frame where there is one (a tab in the background waits longer: fine). */
const frame = (): Promise<void> => new Promise((resolve) => (typeof requestAnimationFrame !== 'undefined' ? requestAnimationFrame(() => resolve()) : setTimeout(resolve, 16)));

export const createLabSlice =
  (ctx: StoreContext, opened: { view: AppView; lab: LabState; error: string | null }) =>
  (set: SetState<LabSlice>, get: GetState<LabSlice>): LabSlice => {
    const wb = ctx.workbench;
    /** Bumped by every call that replaces the session: a play loop or a late answer of an older one stops. */
    let epoch = 0;
    /** Hover and drag: one call in flight, the latest wish waits (a pointer fires faster than the engine answers). */
    let hoverBusy = false;
    let hoverNext: (() => Promise<void>) | null = null;
    const latest = async (call: () => Promise<void>) => {
      if (hoverBusy) {
        hoverNext = call;
        return;
      }
      hoverBusy = true;
      try {
        await call();
        while (hoverNext) {
          const next = hoverNext;
          hoverNext = null;
          await next();
        }
      } finally {
        hoverBusy = false;
      }
    };

    const took = (info: LabInfo, mine: number) => {
      if (mine !== epoch) return;
      set({ labInfo: info, lab: { ...get().lab, steps: info.steps }, labError: null });
    };
    const failed = (e: unknown) => set({ labError: message(e), labPlaying: false });

    const open = async (state: LabState) => {
      const mine = ++epoch;
      set({ lab: state, labPlaying: false, labHover: null, labHighlight: null });
      try {
        took(await wb.labOpen(state), mine);
      } catch (e) {
        if (mine === epoch) failed(e);
      }
    };

    /** Pause asked: the loop ends after the step in flight, and only then reads as paused (no step lands after). */
    let stopAsked = false;
    const play = async (until: number | null) => {
      const mine = epoch;
      stopAsked = false;
      set({ labPlaying: true });
      while (get().labPlaying && !stopAsked && mine === epoch) {
        const { steps, speed } = get().lab;
        // Never past what a link can reopen (state.ts maxStepsOf): the URL always restores what is shown.
        const most = maxStepsOf(get().lab);
        const cap = Math.min(until ?? most, most);
        const n = Math.min(speed, cap - steps);
        if (n < 1) {
          if (cap === most && until === null) set({ labError: `stopped at ${most} steps: the most a lab link restores at this size (${get().labInfo?.n ?? '?'} points, ${get().lab.dSae} latents); reset to train again` });
          break;
        }
        try {
          took(await wb.labStep(n), mine);
        } catch (e) {
          if (mine === epoch) failed(e);
          return;
        }
        await frame();
      }
      if (mine === epoch) set({ labPlaying: false });
    };

    return {
      view: opened.view,
      lab: opened.lab,
      labInfo: null,
      labPlaying: false,
      labError: opened.error,
      labHover: null,
      labHighlight: null,
      labNotes: {},
      labPaint: null,
      setView: (view) => {
        set({ view });
        if (view === 'lab' && !get().labInfo) void open(get().lab);
        if (view === 'train') set({ labPlaying: false });
      },
      labOpen: (state) => open(state ?? get().lab),
      labSet: async (patch) => {
        // A lesson stays shown while its settings are varied (tick AuxK in the dead-latents lesson); new data ends it.
        const next: LabState = { ...get().lab, ...patch, lesson: patch.lesson !== undefined ? patch.lesson : patch.data ? null : get().lab.lesson };
        const wrong = labStateProblems({ ...next, steps: 0 });
        if (wrong.length > 0) {
          set({ labError: wrong.join('; ') });
          return;
        }
        if (sameModels(next, get().lab) && get().labInfo) set({ lab: next, labError: null });
        else await open({ ...next, steps: 0 });
      },
      labPlay: () => {
        if (!get().labPlaying && get().labInfo) void play(lessonNamed(get().lab.lesson)?.playTo ?? null);
      },
      labPause: () => {
        if (get().labPlaying) stopAsked = true;
      },
      labStep: async () => {
        set({ labPlaying: false });
        const mine = epoch;
        const n = Math.min(get().lab.speed, maxStepsOf(get().lab) - get().lab.steps);
        if (n < 1) {
          set({ labError: `at ${get().lab.steps} steps already: the most a lab link restores at this size; reset to train again` });
          return;
        }
        try {
          took(await wb.labStep(n), mine);
        } catch (e) {
          failed(e);
        }
      },
      labReset: async () => {
        const mine = ++epoch;
        set({ labPlaying: false, labHover: null });
        try {
          took(await wb.labReset(), mine);
        } catch (e) {
          failed(e);
        }
      },
      labLesson: async (name) => {
        const lesson = lessonNamed(name);
        if (!lesson) return;
        set({ labPaint: null });
        await open({ ...lesson.state, lesson: name });
        if (!get().labError) void play(lesson.playTo);
      },
      labPaintMode: (on) => set({ labPaint: on ? [] : null, labPlaying: false }),
      labAddPoints: async (xy) => {
        const paint = get().labPaint;
        if (!paint) return;
        const all = [...paint, ...xy];
        set({ labPaint: all });
        if (all.length < 6) return;
        const mine = ++epoch;
        try {
          const info = await wb.labSetPoints(Float32Array.from(all));
          if (mine !== epoch) return;
          set({ labInfo: info, lab: { ...get().lab, data: { source: 'painted', xy: all.map((v) => Math.round(v * 1000) / 1000) }, steps: 0, lesson: null }, labError: null });
        } catch (e) {
          failed(e);
        }
      },
      labDrag: (req) =>
        latest(async () => {
          const mine = epoch;
          try {
            took(await wb.labDrag(req), mine);
          } catch (e) {
            failed(e);
          }
        }),
      labHoverAt: (panel, x, y) =>
        latest(async () => {
          try {
            const h = await wb.labHover({ panel, x, y });
            set({ labHover: h });
          } catch {
            set({ labHover: null }); // a panel without a model: nothing to read out
          }
        }),
      setLabHighlight: (h) => set({ labHighlight: h }),
      setLabNote: (panel, note) => {
        if (get().labNotes[panel] !== note) set({ labNotes: { ...get().labNotes, [panel]: note } });
      },
      labRender: (req) => wb.labRender(req),
      labSlice: (req) => wb.labSlice(req),
    };
  };

export { DEFAULT_LAB_STATE };
