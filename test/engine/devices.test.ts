// The shared WebGPU device of a Workbench or CLI process (src/engine/training/webgpuTrainer.ts): one device
// while later requests fit its limits, a loss we did not cause reaches every subscribed listener once, and a
// listener that unsubscribed (a finished run) is not called — nor held — any more. Dawn on SwiftShader here.

import { describe, expect, it } from 'vitest';
import { createNodeGpu } from '../../src/gpu/node.ts';
import type { LostInfo } from '../../src/engine/training/memberTrainer.ts';
import { createDeviceHolder } from '../../src/engine/training/webgpuTrainer.ts';

describe('createDeviceHolder', () => {
  it('shares one device, tells subscribed listeners of a loss once, and forgets unsubscribed ones', async () => {
    const { gpu } = await createNodeGpu();
    const holder = createDeviceHolder(gpu);
    const a = await holder.get({});
    expect(await holder.get({})).toBe(a); // fits: the same device, pipelines compiled once
    const heard: string[] = [];
    const offFinished = a.onLost(() => heard.push('finished run'));
    a.onLost((info: LostInfo) => heard.push(`live run: ${info.reason}`));
    offFinished(); // a run that ended unsubscribes
    a.device.destroy(); // taken from the engine, as a driver reset would
    await a.device.lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(heard).toEqual(['live run: destroyed']);
    const b = await holder.get({}); // the lost device is replaced
    expect(b).not.toBe(a);
    const late: string[] = [];
    b.onLost(() => late.push('b'));
    holder.release(); // our own destroy is not a loss
    await b.device.lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(late).toEqual([]);
  });
});
