// gatherRows.wgsl against its twin (src/core/sae/train.ts:gatherRows): single and chunked datasets,
// batch sizes at the workgroup edges, and a grid folded past 65,535 workgroups.
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/math/random.ts';
import { gatherRows } from '../../src/core/sae/train.ts';
import { compileKernel } from '../../src/gpu/kernel.ts';
import type { DataChunk } from '../../src/gpu/kernels/data.ts';
import { GATHER_ROWS, GATHER_WG, prepareGatherRows } from '../../src/gpu/kernels/data.ts';
import { readF32, uploadF32, useGpu, withErrorScope } from '../helpers/gpu.ts';
import { expectClose } from '../helpers/close.ts';

const gpu = useGpu();

async function gatherGpu(data: Float32Array, dIn: number, idx: Uint32Array, scale: number, chunkRows: number): Promise<Float32Array> {
  const { device } = gpu();
  return withErrorScope(device, async () => {
    const kernel = await compileKernel(device, GATHER_ROWS, { WG: GATHER_WG });
    const rows = data.length / dIn;
    const chunks: DataChunk[] = [];
    for (let start = 0; start < rows; start += chunkRows) {
      const n = Math.min(chunkRows, rows - start);
      chunks.push({ buffer: uploadF32(device, data.subarray(start * dIn, (start + n) * dIn), `data:${start}`), start, rows: n });
    }
    const idxBuf = device.createBuffer({ size: Math.max(4, idx.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(idxBuf, 0, new Uint32Array(idx));
    const x = uploadF32(device, new Float32Array(idx.length * dIn).fill(Number.NaN), 'x');
    const gather = prepareGatherRows(device, kernel, chunks, idxBuf, x, { batch: idx.length, dIn, scale });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    gather.record(pass);
    pass.end();
    device.queue.submit([enc.finish()]);
    const out = await readF32(device, x, idx.length * dIn);
    gather.destroy();
    return out;
  }, 'gatherRows');
}

describe('gatherRows', () => {
  it.each([
    { rows: 10, dIn: 1, batch: 1, chunkRows: 10 },
    { rows: 10, dIn: 7, batch: 5, chunkRows: 10 },
    { rows: 300, dIn: 3, batch: GATHER_WG - 1, chunkRows: 300 },
    { rows: 300, dIn: 1, batch: GATHER_WG + 1, chunkRows: 64 }, // 5 chunks, the last partial
    { rows: 50, dIn: 5, batch: 33, chunkRows: 7 },
  ])('$rows rows × $dIn, batch $batch, chunks of $chunkRows rows', async ({ rows, dIn, batch, chunkRows }) => {
    const rng = createRng(rows * 31 + dIn);
    const data = Float32Array.from({ length: rows * dIn }, () => rng.normal());
    const idx = Uint32Array.from({ length: batch }, () => rng.int(rows));
    const got = await gatherGpu(data, dIn, idx, 1.25, chunkRows);
    // one f32 multiply on both sides: equal up to the twin's f64 product rounded once
    expectClose(got, gatherRows(data, dIn, idx, 1.25), { atol: 0, rtol: 1.2e-7 }, 'x');
  });

  it('folds the grid past 65,535 workgroups', async () => {
    const dIn = 1;
    const batch = 65_536 * GATHER_WG + 5; // 65,537 workgroups
    const rows = 97;
    const data = Float32Array.from({ length: rows }, (_, i) => i);
    const idx = Uint32Array.from({ length: batch }, (_, b) => (b * 7) % rows);
    const got = await gatherGpu(data, dIn, idx, 1, rows);
    let bad = 0;
    for (let b = 0; b < batch; b++) if (got[b] !== (b * 7) % rows) bad++;
    expect(bad).toBe(0);
  });
});
