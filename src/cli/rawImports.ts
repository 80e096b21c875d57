// Lets Node (under tsx) import WGSL the way Vite does: `import code from './x.wgsl?raw'` gives the file's
// text as the default export. src/gpu/kernels/*.ts import their shaders like this; Vite and Vitest
// understand it, plain Node does not. Node only; call enableRawImports() before importing src/gpu/kernels.
// Imports only node:module. bin/sae-workbench.js enables it before loading the CLI.

import { register } from 'node:module';

/** A module-customisation hook: resolve `X?raw` like X, then load it as `export default "<text>"`. */
const HOOKS = `
export async function resolve(specifier, context, next) {
  if (!specifier.endsWith('?raw')) return next(specifier, context);
  const r = await next(specifier.slice(0, -4), context);
  return { url: r.url + '?raw', shortCircuit: true };
}
export async function load(url, context, next) {
  if (!url.endsWith('?raw')) return next(url, context);
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(new URL(url.slice(0, -4)), 'utf8');
  return { format: 'module', source: 'export default ' + JSON.stringify(text) + ';', shortCircuit: true };
}
`;

let enabled = false;

/** Registers the `?raw` hooks once per process (later hooks run first, so they precede tsx's). */
export function enableRawImports(): void {
  if (enabled) return;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
  enabled = true;
}
