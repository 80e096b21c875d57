#!/usr/bin/env bash
# Packs what a bare Linux GPU machine (the device tool's: Vulkan and NVIDIA drivers, no Node) needs to run
# the GPU tests and `sae-workbench bench` (issue #15 deliverable 3), into .gpu/ at the repo root (git-ignored;
# the device tool carries it: `carry: [".gpu"]`, then `bash scripts/gpu-machine/run.sh`):
#   .gpu/node.xz       this machine's node binary (Node 20, linux-x64), xz -9
#   .gpu/nm.tar.xz     the node_modules the tests and the bench load, and no more: vitest's closure, tsx's,
#                      comlink and idb (imported by the tested engine), `webgpu` with only linux-x64's
#                      dawn.node, and TensorFlow.js (the bench's peer) as its single-file node bundles
#   .gpu/gl/*.deb      the Vulkan loader (libvulkan1), which such machines may lack (device README)
# The device tool carries at most 64 MiB (the working tree included): the script prints the total.
# Run from anywhere, after `npm ci`: `bash scripts/gpu-machine/pack.sh`. Needs xz, tar, apt-get download.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/.gpu
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out/gl"
grep -qxF '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude

echo "pack: node $(node --version) → .gpu/node.xz"
xz -9 -T2 -c "$(command -v node)" > "$out/node.xz"

echo "pack: node_modules closure → .gpu/nm.tar.xz"
node - "$root/node_modules" "$stage/node_modules" vitest tsx comlink idb webgpu @tensorflow/tfjs @tensorflow/tfjs-backend-webgpu <<'JS'
// Copies each package and its dependency closure (dependencies, optional ones that are installed, required
// peers); native bindings for other platforms are left out, and so are the @tensorflow packages' files other
// than package.json and their self-contained `main` bundle.
const fs = require('fs'), path = require('path');
const [from, to, ...roots] = process.argv.slice(2);
const seen = new Set();
const foreign = /^@rolldown\/binding-(?!linux-x64-gnu)|^lightningcss-(?!linux-x64-gnu)|^@esbuild\/(?!linux-x64)/;
function walk(name) {
  if (seen.has(name) || foreign.test(name)) return;
  const dir = path.join(from, name);
  if (!fs.existsSync(path.join(dir, 'package.json'))) return; // an optional dependency not installed here
  seen.add(name);
  const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const peers = Object.keys(pj.peerDependencies ?? {}).filter((d) => !pj.peerDependenciesMeta?.[d]?.optional);
  for (const d of [...Object.keys(pj.dependencies ?? {}), ...Object.keys(pj.optionalDependencies ?? {}), ...peers]) walk(d);
}
roots.forEach(walk);
for (const name of seen) {
  const src = path.join(from, name), dst = path.join(to, name);
  if (name.startsWith('@tensorflow/')) {
    const main = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8')).main;
    fs.mkdirSync(path.dirname(path.join(dst, main)), { recursive: true });
    fs.copyFileSync(path.join(src, 'package.json'), path.join(dst, 'package.json'));
    fs.copyFileSync(path.join(src, main), path.join(dst, main));
  } else if (name === 'webgpu') {
    fs.cpSync(src, dst, { recursive: true, filter: (p) => !/dist\/(?!linux-x64)[a-z0-9]+-[a-z0-9-]+$/.test(p.slice(src.length)) });
  } else {
    fs.cpSync(src, dst, { recursive: true, dereference: true });
  }
}
// The bins the scripts call by path (node_modules/.bin is not needed).
console.error(`pack: ${seen.size} packages`);
JS
tar -C "$stage" -cf - node_modules | xz -6 -T2 > "$out/nm.tar.xz"

echo "pack: the Vulkan loader (libvulkan1) → .gpu/gl/"
rm -f "$out"/gl/*.deb
(cd "$out/gl" && apt-get download -q libvulkan1 >/dev/null)

tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
carry=$(du -sb "$out" | cut -f1)
echo "pack: .gpu/ $((carry / 1048576)) MiB + working tree $((tree / 1048576)) MiB = $(((carry + tree) / 1048576)) MiB (the device tool carries at most 64 MiB)"
ls -la "$out" "$out/gl"
