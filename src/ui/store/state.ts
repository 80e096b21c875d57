// The app's state: the eight slices side by side (lab.ts: the view shown and the geometry lab), and the storage slice (src/ui/persist/slice.ts) (zustand's slice pattern). Each slice's file says what it
// holds; no field belongs to two slices. Types only: imports the slices' types and zustand's StoreApi.

import type { StoreApi } from 'zustand/vanilla';
import type { StorageSlice } from '../persist/slice.ts';
import type { CompareSlice } from './compare.ts';
import type { DatasetSlice } from './dataset.ts';
import type { DraftSlice } from './draft.ts';
import type { EnsembleSlice } from './ensemble.ts';
import type { InspectorSlice } from './inspector.ts';
import type { LabSlice } from './lab.ts';
import type { RunSlice } from './run.ts';
import type { RunsSlice } from './runs.ts';

export type AppState = DraftSlice & DatasetSlice & RunSlice & RunsSlice & InspectorSlice & EnsembleSlice & CompareSlice & LabSlice & StorageSlice;

export type AppStore = StoreApi<AppState>;
