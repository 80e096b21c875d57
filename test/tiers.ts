// The test tiers' file lists (README "Tests"), shared by vite.config.ts and the GPU machine's config
// (scripts/gpu-machine/vitest.gpu.config.ts). Pure data: imports nothing.

/** Pure TypeScript, no GPU, no child processes: src/core's spec, the lint rules, pure helpers. */
export const CORE = ['test/core/**/*.test.ts', 'test/cpu/**/*.test.ts', 'test/lint/**/*.test.ts', 'test/bench/**/*.test.ts', 'test/cli/svgPlot.test.ts'];
/** Files that open a WebGPU device (useGpu, createNodeGpu, or the CLI's default webgpu backend). */
export const GPU = [
  'test/gpu/**/*.test.ts',
  'test/engine/api.test.ts',
  'test/engine/datasetsGpu.test.ts',
  'test/engine/devices.test.ts',
  'test/engine/ensembleRun.test.ts',
  'test/engine/lmGpu.test.ts',
  'test/engine/pamParity.test.ts',
  'test/engine/parity.test.ts',
  'test/engine/residual.test.ts',
  'test/engine/resume.test.ts',
  'test/cli/cli.test.ts',
];
/** The app in headless Chromium (Playwright). */
export const E2E = ['test/e2e/**/*.test.ts'];
