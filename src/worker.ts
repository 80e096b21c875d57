// Web Worker entry: exposes the Workbench to the main thread through Comlink (the lab's images transferred), and nothing else.
// The only code that knows it runs in a worker (navigator.gpu is the worker's own). Must not import src/ui.

import { expose, transfer } from 'comlink';
import { createWorkbench } from './engine/workbench.ts';

// The shipped data (public/data/, served at /data/ by Vite and by any static host of dist/).
const workbench = createWorkbench(navigator.gpu, { dataBase: new URL(`${import.meta.env.BASE_URL}data/`, self.location.origin).href });
// The lab's region ids go back transferred, not copied (a redraw per frame; the engine knows nothing of Comlink).
expose({
  ...workbench,
  labRender: async (req: Parameters<typeof workbench.labRender>[0]) => {
    const image = await workbench.labRender(req);
    return transfer(image, [image.ids.buffer, image.error.buffer]);
  },
  labSlice: async (req: Parameters<typeof workbench.labSlice>[0]) => {
    const image = await workbench.labSlice(req);
    return transfer(image, [image.ids.buffer]);
  },
});
