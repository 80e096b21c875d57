// The layering rules of shared/DESIGN.md are enforced by ESLint: each forbidden import below must be
// reported, and the allowed ones must not.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath });
  return r.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layering', () => {
  it.each([
    ['src/core/x.ts', "import { createNodeGpu } from '../gpu/node.ts';\nexport const a = createNodeGpu;\n", /src\/core is the executable spec/],
    ['src/core/x.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n", /src\/core is the executable spec/],
    ['src/core/x.ts', "import { create } from 'zustand';\nexport const a = create;\n", /src\/core is the executable spec/],
    ['src/engine/x.ts', "import React from 'react';\nexport const a = React;\n", /src\/engine may import only/],
    ['src/gpu/x.ts', "import { wrap } from 'comlink';\nexport const a = wrap;\n", /src\/gpu may import only/],
    ['src/cpu/x.ts', "import { createNodeGpu } from '../gpu/node.ts';\nexport const a = createNodeGpu;\n", /src\/cpu \(the wasm engine\) may import only/],
    ['src/cpu/x.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n", /src\/cpu \(the wasm engine\) may import only/],
    ['src/ui/x.ts', "import { createWorkbench } from '../engine/workbench.ts';\nexport const a = createWorkbench;\n", /src\/ui sees the engine only as types/],
    ['src/ui/x.ts', "import { createNodeGpu } from '../gpu/node.ts';\nexport const a = createNodeGpu;\n", /src\/ui never imports GPU/],
  ])('%s rejects %j', async (file, code, msg) => {
    expect((await problems(file, code)).join('\n')).toMatch(msg);
  });

  it.each([
    ['src/core/x.ts', "import { createRng } from './math/random.ts';\nexport const a = createRng;\n"],
    ['src/ui/x.ts', "import type { Workbench } from '../engine/api.ts';\nexport type A = Workbench;\n"],
    ['src/engine/x.ts', "import { createRng } from '../core/math/random.ts';\nexport const a = createRng;\n"],
    ['src/engine/x.ts', "import { loadSaeStepModule } from '../cpu/saeStep.ts';\nexport const a = loadSaeStepModule;\n"],
    ['src/cpu/x.ts', "import { createRng } from '../core/math/random.ts';\nexport const a = createRng;\n"],
  ])('%s allows %j', async (file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });
});
