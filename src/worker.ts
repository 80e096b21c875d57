// Web Worker entry: exposes the Workbench to the main thread through Comlink, and nothing else.
// The only code that knows it runs in a worker (navigator.gpu is the worker's own). Must not import src/ui.

import { expose } from 'comlink';
import { createWorkbench } from './engine/workbench.ts';

expose(createWorkbench(navigator.gpu));
