#!/usr/bin/env node
// `sae-workbench` entry (package.json bin): runs the TypeScript CLI through tsx, so `npx sae-workbench`
// works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
