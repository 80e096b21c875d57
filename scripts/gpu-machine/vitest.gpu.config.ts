// Vitest on the lent GPU machine (scripts/gpu-machine/run.sh): the `gpu` tier only (test/tiers.ts), without
// the app's Vite plugins (React's is not carried there). The JSON report goes to $OUT (the device tool brings
// it back). Imports vitest and the tier lists only.
import { defineConfig } from 'vitest/config';
import { GPU } from '../../test/tiers.ts';

export default defineConfig({
  root: new URL('../..', import.meta.url).pathname,
  test: {
    environment: 'node',
    include: GPU,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: `${process.env.OUT ?? 'test-results'}/gpu-tests.json` },
  },
});
