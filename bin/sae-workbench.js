#!/usr/bin/env node
// `sae-workbench` entry (package.json bin): runs the TypeScript CLI through tsx, so `npx sae-workbench`
// works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
// Kernels import their WGSL as `./x.wgsl?raw` (a Vite convention); teach Node the same.
const { enableRawImports } = await import('../src/cli/rawImports.ts');
enableRawImports();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
