#!/usr/bin/env bash
# On the lent GPU machine (bare Linux with Vulkan/NVIDIA drivers, no Node), from the repo root, with .gpu/
# carried (scripts/gpu-machine/pack.sh made it): installs the Vulkan loader, Node and the packed node_modules,
# then in one go writes to $OUT (the device tool brings these back):
#   adapter.json     the adapter Dawn found (name, features incl. shader-f16 and timestamp-query, limits)
#   gpu-tests.json   + gpu-tests.log: the whole `gpu` test tier (test/tiers.ts) on the hardware adapter
#   bench.json       + bench.md, bench.log: `sae-workbench bench` at the real-GPU shapes (src/bench/harness.ts)
# Any kernel that disagrees with the reference on hardware shows as a failed test: fix it first.
# Usage (device tool): carry [".gpu"], command `bash scripts/gpu-machine/run.sh`. Steps can be skipped with
# SKIP_TESTS=1 or SKIP_BENCH=1; TEST_FILTER narrows the tests (vitest file filters); BENCH_ARGS adds flags (--quick).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/out}
export OUT
mkdir -p "$OUT"
t0=$(date +%s)
say() { echo "[run.sh $(( $(date +%s) - t0 ))s] $*"; }

if ! ldconfig -p | grep -q libvulkan.so.1; then
  say "installing the Vulkan loader from .gpu/gl"
  for f in .gpu/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
# The NVIDIA driver's Vulkan ICD, where the loader's default search does not find it (device README).
nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [[ -f $nv && -z ${VK_DRIVER_FILES:-} && -z ${VK_ICD_FILENAMES:-} ]] && ! ls /usr/share/vulkan/icd.d/*nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES=$nv
fi
mkdir -p /tmp/node/bin
xz -dc .gpu/node.xz > /tmp/node/bin/node && chmod +x /tmp/node/bin/node
export PATH=/tmp/node/bin:$PATH
[[ -d node_modules ]] || { say "unpacking node_modules"; tar -xJf .gpu/nm.tar.xz; }
say "node $(node --version); nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo none)"

node --import tsx scripts/gpu-machine/probe.ts > "$OUT/adapter.json" 2> "$OUT/adapter.log"
say "adapter: $(grep -m1 adapterName "$OUT/adapter.json" || cat "$OUT/adapter.log")"

if [[ -z ${SKIP_TESTS:-} ]]; then
  say "the gpu test tier"
  # shellcheck disable=SC2086
  node node_modules/vitest/vitest.mjs run --config scripts/gpu-machine/vitest.gpu.config.ts ${TEST_FILTER:-} > "$OUT/gpu-tests.log" 2>&1
  rc=$?
  say "tests exit $rc: $(sed 's/\x1b\[[0-9;]*m//g' "$OUT/gpu-tests.log" | grep -E 'Tests +[0-9]' | tail -1)"
fi
if [[ -z ${SKIP_BENCH:-} ]]; then
  say "sae-workbench bench ${BENCH_ARGS:-}"
  # shellcheck disable=SC2086
  node bin/sae-workbench.js bench --json "$OUT/bench.json" --markdown "$OUT/bench.md" ${BENCH_ARGS:-} > "$OUT/bench.log" 2>&1
  say "bench exit $?"
  tail -40 "$OUT/bench.md" 2>/dev/null
fi
say "done"
