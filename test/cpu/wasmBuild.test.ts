// The committed wasm binary is the build of the committed C source: CI has no clang, so it runs the binary
// in git; this fails when saeStep.c changed without `npm run build:wasm` (scripts/build-wasm.sh), or when the
// inlined base64 and saeStep.wasm disagree.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SAE_STEP_SOURCE_SHA256, SAE_STEP_WASM_BASE64 } from '../../src/cpu/saeStepWasm.ts';
import { wasmSimdSupported } from '../../src/cpu/saeStep.ts';

describe('src/cpu/saeStep.wasm', () => {
  it('was built from the committed saeStep.c (else run npm run build:wasm)', () => {
    const source = readFileSync(new URL('../../src/cpu/saeStep.c', import.meta.url));
    expect(createHash('sha256').update(source).digest('hex'), 'saeStep.c changed since saeStep.wasm was built: run npm run build:wasm').toBe(SAE_STEP_SOURCE_SHA256);
  });

  it('is the binary inlined in saeStepWasm.ts, and this Node runs WebAssembly SIMD', () => {
    const file = readFileSync(new URL('../../src/cpu/saeStep.wasm', import.meta.url));
    expect(Buffer.from(SAE_STEP_WASM_BASE64, 'base64').equals(file)).toBe(true);
    expect(wasmSimdSupported()).toBe(true);
    expect(WebAssembly.validate(file)).toBe(true);
  });
});
