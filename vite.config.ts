// Vite (app build and dev server) and Vitest (unit, file, CLI and browser tests) in one config.
// Tests run in Node; the WebGPU ones use Dawn (npm `webgpu`) on SwiftShader, so they run one file at a time.
//
// Test tiers (vitest projects; `npm test` runs them all, `npm run test:<name>` one, see README "Tests"). Every
// test file is in exactly one: `app` is whatever the other three leave, so a new file is never skipped.
//   core — pure TypeScript, no GPU, no child processes: src/core's spec, the lint rules, pure helpers (seconds)
//   gpu  — WebGPU on Dawn: the kernels, every shader compiled clean, and the engine/CLI tests that open a device
//   e2e  — the app in headless Chromium (Playwright)
//   app  — the engine, UI store and CLI on the CPU reference (in-thread Workbench, CLI child processes)
import { configDefaults, defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { CORE, E2E, GPU } from './test/tiers.ts';

// The file lists live in test/tiers.ts (the GPU machine's config reads them too): a new GPU test goes in its GPU list.

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  test: {
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The JSON report lets .ci/run print the plain 'N passed, N failed' closing line CI reads.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      // Pure functions with no global state: one process reuses the module cache across files (half the time).
      { extends: true, test: { name: 'core', include: CORE, isolate: false } },
      { extends: true, test: { name: 'gpu', include: GPU } },
      { extends: true, test: { name: 'e2e', include: E2E } },
      { extends: true, test: { name: 'app', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...CORE, ...GPU, ...E2E] } },
    ],
  },
});
