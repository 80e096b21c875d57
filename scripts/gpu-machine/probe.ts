// The adapter as Dawn sees it on this machine (run by scripts/gpu-machine/run.sh before the tests): name,
// vendor, architecture, whether it is a software adapter, its features and limits, and which Vulkan driver
// src/gpu/node.ts picked. Prints JSON. Run: node --import tsx scripts/gpu-machine/probe.ts
import { createNodeGpu } from '../../src/gpu/node.ts';

const g = await createNodeGpu();
const adapter = await g.gpu.requestAdapter({ powerPreference: 'high-performance' });
const limits: Record<string, number> = {};
if (!adapter) throw new Error('no adapter');
for (const k in adapter.limits) limits[k] = (adapter.limits as unknown as Record<string, number>)[k];
console.log(JSON.stringify({ adapterName: g.adapterName, isSoftware: g.isSoftware, driver: g.driver, info: { vendor: adapter.info.vendor, architecture: adapter.info.architecture, device: adapter.info.device, description: adapter.info.description }, features: [...adapter.features].sort(), limits }, null, 2));
process.exit(0);
