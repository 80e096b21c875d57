// Every kernel compiles clean: each shaders/*.wgsl through createShaderModule + getCompilationInfo on
// Dawn must give no error and no warning (as compileKernel in src/gpu/kernel.ts demands), so a kernel that
// gains a warning fails here even when no test dispatches it. `override` constants need no values to
// compile a module (only a pipeline needs them), so no shader needs anything defined. Two negative
// controls prove the check sees both kinds of message. Reads shaders/ from disk (Node only); imports
// test/helpers/gpu.ts, never src/engine or src/ui.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useGpu, withErrorScope } from '../helpers/gpu.ts';

const gpu = useGpu();
const SHADERS_DIR = new URL('../../shaders/', import.meta.url);
const SHADERS = readdirSync(SHADERS_DIR)
  .filter((f) => f.endsWith('.wgsl'))
  .sort();

/** The compiler's errors and warnings for `code` as `shaders/<file>:line:col: type: message` (info messages ignored). */
async function problems(device: GPUDevice, file: string, code: string): Promise<string[]> {
  return withErrorScope(
    device,
    async () => {
      const module = device.createShaderModule({ label: file, code });
      const info = await module.getCompilationInfo();
      return info.messages.filter((m) => m.type === 'error' || m.type === 'warning').map((m) => `shaders/${file}:${m.lineNum}:${m.linePos}: ${m.type}: ${m.message}`);
    },
    `compiling ${file}`,
  );
}

describe('every shaders/*.wgsl compiles on Dawn with no error and no warning', () => {
  it('finds the shaders', () => {
    expect(SHADERS.length).toBeGreaterThanOrEqual(20);
  });

  for (const file of SHADERS) {
    it(file, async () => {
      expect(await problems(gpu().device, file, readFileSync(new URL(file, SHADERS_DIR), 'utf8'))).toEqual([]);
    });
  }
});

describe('negative controls: the check catches', () => {
  it('an error (an undeclared identifier)', async () => {
    const code = '@compute @workgroup_size(1) fn main() { let a: f32 = undeclared; }';
    // Dawn also reports a broken module as a validation error; withErrorScope turns that into a throw.
    const run = problems(gpu().device, 'broken.wgsl', code);
    await expect(run).rejects.toThrow(/validation error/);
    gpu().device.pushErrorScope('validation');
    const info = await gpu().device.createShaderModule({ label: 'broken.wgsl', code }).getCompilationInfo();
    await gpu().device.popErrorScope();
    expect(info.messages.filter((m) => m.type === 'error').map((m) => m.message).join('\n')).toMatch(/undeclared/);
  });

  it('a warning (unreachable code)', async () => {
    const code = '@group(0) @binding(0) var<storage, read_write> y: array<f32>;\n@compute @workgroup_size(1) fn main() {\n  return;\n  y[0] = 1.0;\n}\n';
    const got = await problems(gpu().device, 'warns.wgsl', code);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(/^shaders\/warns\.wgsl:4:\d+: warning: .*unreachable/);
  });
});
