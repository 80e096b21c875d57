// Web Worker entry: exposes the Workbench to the main thread through Comlink, and nothing else.
// The only code that knows it runs in a worker (navigator.gpu is the worker's own). Must not import src/ui.

import { expose } from 'comlink';
import { createWorkbench } from './engine/workbench.ts';

// The shipped data (public/data/, served at /data/ by Vite and by any static host of dist/).
expose(createWorkbench(navigator.gpu, { dataBase: new URL(`${import.meta.env.BASE_URL}data/`, self.location.origin).href }));
