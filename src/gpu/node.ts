// WebGPU in Node: Dawn (npm `webgpu`), with SwiftShader found automatically on machines with no GPU.
// Node only (imports node:* and `webgpu`): never import it from the browser build, src/engine or src/ui;
// the CLI and the tests call it and hand the resulting `GPU` to src/gpu/device.ts.
//
// How an adapter is found (Linux; macOS and Windows use Metal / D3D12 and skip all of this):
//  1. VK_ICD_FILENAMES or VK_DRIVER_FILES set: use exactly that Vulkan driver (with Chromium's loader when
//     the system has none, as below).
//  2. No GPU device node (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg): use SwiftShader before the first
//     create(), because the Vulkan loader reads VK_ICD_FILENAMES when Dawn creates its instance.
//  3. Otherwise try the system's Vulkan; if it gives no adapter or only a software one, switch to
//     SwiftShader and create again.
// SwiftShader comes from Debian's `chromium` (/usr/lib/chromium/vk_swiftshader_icd.json). Chromium also
// ships its own Vulkan loader (libvulkan.so.1), which Debian's libvulkan1 package may not have installed;
// when the system has none, we load Chromium's first so that Dawn's dlopen("libvulkan.so.1") finds it.
//
// Lifetime caveat (webgpu 0.6.2): the object returned by create() owns Dawn's instance. It lives in this
// module's scope for the life of the process, never on globalThis.navigator (which keeps Node from
// exiting, crbug 387965810); with it here, Node exits once the event loop is empty. Never let it be
// garbage-collected while any device exists: Dawn keeps processing that instance's events, and a
// collected instance crashed or deadlocked our tests ~1 run in 4 (glibc "tpp.c: __pthread_tpp_change_priority"
// assertion, or a hang in InstanceBase::ProcessEvents). So there is no release function: destroy your
// devices when done and let the process end. Device loss on software Vulkan is unrecoverable
// in-process: restart the process.

import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { create, globals } from 'webgpu';
import { describeAdapter, isSoftwareAdapter } from './device.ts';

export interface NodeGpu {
  gpu: GPU;
  /** describeAdapter(adapter.info), e.g. "google swiftshader · SwiftShader driver 5.0.0" */
  adapterName: string;
  isSoftware: boolean;
  /** Where the Vulkan driver came from, for logs: 'system' | 'env' (VK_ICD_FILENAMES) | the ICD path. */
  driver: string;
}

/** SwiftShader ICDs shipped by distribution Chromium packages (Debian first). */
const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json', // Debian, Ubuntu (deb)
  '/usr/lib64/chromium-browser/vk_swiftshader_icd.json', // Fedora
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

/** glibc's RTLD_NODELETE (not in os.constants.dlopen): keeps a library loaded after process.dlopen fails. */
const RTLD_NODELETE = 0x1000;
const RTLD_NOW = 2;
const RTLD_GLOBAL = 0x100;

const INSTALL_HINT =
  'install a Vulkan driver: on Debian/Ubuntu `apt-get install chromium` (ships SwiftShader, found automatically), ' +
  'elsewhere a driver for your GPU, or set VK_ICD_FILENAMES to a vk_swiftshader_icd.json';

/** Every create() result, kept for the life of the process (see the lifetime caveat above). */
const instances: GPU[] = [];
let pending: Promise<NodeGpu> | null = null;

/** The Node `GPU` (one per process, created on first call) and the adapter it will give. */
export function createNodeGpu(): Promise<NodeGpu> {
  pending ??= open().catch((e: unknown) => {
    pending = null;
    throw e;
  });
  return pending;
}

async function open(): Promise<NodeGpu> {
  installGlobals();
  process.env.XDG_RUNTIME_DIR ??= tmpdir(); // silences the Vulkan loader's warnings
  const explicit = Boolean(process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES);
  let driver = explicit ? 'env' : 'system';
  const linux = process.platform === 'linux';

  // An explicit VK_ICD_FILENAMES still needs a Vulkan loader: where the system has none (no libvulkan1),
  // Chromium's bundled one is loaded first, as for the SwiftShader found by search.
  if (linux && explicit) ensureVulkanLoader();
  if (linux && !explicit && !hasGpuDeviceNode()) driver = useSwiftShader() ?? driver;
  let adapter = await tryAdapter();
  if (linux && !explicit && driver === 'system' && (!adapter || isSoftwareAdapter(adapter.info))) {
    const icd = useSwiftShader();
    if (icd) {
      driver = icd;
      adapter = await tryAdapter();
    }
  }
  const gpu = instances.at(-1);
  if (!adapter || !gpu) {
    const tried = driver === 'env' ? `VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES}` : driver;
    throw new Error(`WebGPU (Dawn in Node) found no adapter (Vulkan driver: ${tried}): ${INSTALL_HINT}`);
  }
  return { gpu, adapterName: describeAdapter(adapter.info), isSoftware: isSoftwareAdapter(adapter.info), driver };
}

async function tryAdapter(): Promise<GPUAdapter | null> {
  const gpu = create([]);
  instances.push(gpu);
  return gpu.requestAdapter({ powerPreference: 'high-performance' });
}

/** Points the Vulkan loader at SwiftShader; returns the ICD path, or null when none is installed. */
function useSwiftShader(): string | null {
  const icd = SWIFTSHADER_ICDS.find((p) => existsSync(p));
  if (!icd) return null;
  process.env.VK_ICD_FILENAMES = icd;
  ensureVulkanLoader();
  return icd;
}

/** Makes `libvulkan.so.1` loadable for Dawn: the system's, else the one a distribution Chromium ships beside SwiftShader. */
function ensureVulkanLoader(): void {
  if (canLoad('libvulkan.so.1')) return;
  for (const icd of SWIFTSHADER_ICDS) {
    const bundled = join(dirname(icd), 'libvulkan.so.1');
    if (existsSync(bundled) && canLoad(bundled)) return;
  }
}

/**
 * dlopen()s a plain shared library, kept loaded and global, so Dawn's later dlopen by soname finds it.
 * process.dlopen throws "did not self-register" for a non-addon after loading it: that still counts.
 */
function canLoad(lib: string): boolean {
  try {
    process.dlopen({ exports: {} }, lib, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
    return true;
  } catch (e) {
    return /self-register/.test(String(e));
  }
}

function hasGpuDeviceNode(): boolean {
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  return (
    list('/dev/dri').some((f) => f.startsWith('renderD')) ||
    list('/dev').some((f) => /^nvidia\d+$/.test(f) || f === 'dxg')
  );
}

/** GPUBufferUsage, GPUMapMode, GPUShaderStage… are globals in the browser; Dawn exports them instead. */
function installGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(globals as Record<string, unknown>)) if (!(name in g)) g[name] = value;
}
