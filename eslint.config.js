// Lint: typescript-eslint plus the layering rules of shared/DESIGN.md, enforced per folder.
//   core   imports nothing outside core (no DOM, WebGPU, React, Comlink, plotly, WGSL)
//   gpu    imports core and shaders only
//   cpu    imports core only (the wasm engine: its C source builds to a binary inlined in cpu/)
//   engine imports core, gpu and cpu only
//   ui     sees the engine only through client.ts and `import type`
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const uiLibs = ['react', 'react-dom', 'react-dom/*', 'zustand', 'zustand/*', 'plotly.js-dist-min', 'comlink'];

/** @param {{group: string[], message: string, allowTypeImports?: boolean}[]} patterns */
const restrict = (patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'out/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: restrict([
      {
        group: ['**/gpu/**', '**/engine/**', '**/ui/**', '**/cli/**', '**/worker', '**/client', '*.wgsl*', 'webgpu', 'node:*', 'fs', 'path', ...uiLibs],
        message: 'src/core is the executable spec: it imports nothing outside src/core (no DOM, WebGPU, Node, React, Comlink).',
      },
    ]),
  },
  {
    files: ['src/gpu/**/*.ts'],
    rules: restrict([
      {
        group: ['**/engine/**', '**/ui/**', '**/cli/**', '**/worker', '**/client', ...uiLibs],
        message: 'src/gpu may import only src/core and shaders/.',
      },
    ]),
  },
  {
    files: ['src/cpu/**/*.ts'],
    rules: restrict([
      {
        group: ['**/gpu/**', '**/engine/**', '**/ui/**', '**/cli/**', '**/worker', '**/client', '*.wgsl*', 'webgpu', 'node:*', ...uiLibs],
        message: 'src/cpu (the wasm engine) may import only src/core: it runs in Node and in a browser worker alike.',
      },
    ]),
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: restrict([
      {
        group: ['**/ui/**', '**/cli/**', '**/worker', '**/client', '*.wgsl*', ...uiLibs],
        message: 'src/engine may import only src/core, src/gpu and src/cpu (no UI, Comlink or WGSL: kernels come through src/gpu and src/cpu).',
      },
    ]),
  },
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...restrict([
        {
          group: ['**/engine/**', '**/engine'],
          message: 'src/ui sees the engine only as types: use `import type` (values go through src/client.ts).',
          allowTypeImports: true,
        },
        {
          group: ['**/gpu/**', '**/cli/**', '*.wgsl*', 'webgpu', 'node:*'],
          message: 'src/ui never imports GPU, CLI or Node code: talk to the worker through src/client.ts.',
        },
      ]),
    },
  },
);
