// Vite (app build and dev server) and Vitest (unit, file and CLI tests) in one config.
// Tests run in Node; the WebGPU ones use Dawn (npm `webgpu`) on SwiftShader, so they run one file at a time.
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The JSON report lets .ci/run print the plain 'N passed, N failed' closing line CI reads.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
