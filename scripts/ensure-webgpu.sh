#!/usr/bin/env bash
# npm `pretest` hook: make sure Node can reach a WebGPU adapter before the tests start.
# The WebGPU tests run Dawn (npm `webgpu`) on SwiftShader's Vulkan driver, which Debian's `chromium`
# package ships (/usr/lib/chromium/vk_swiftshader_icd.json, plus its own libvulkan.so.1).
# A fast no-op when that driver (or a Vulkan driver named by VK_ICD_FILENAMES / VK_DRIVER_FILES) is present.
# Installs chromium only when running as root with apt-get; otherwise says what to install and fails.
set -euo pipefail

icd=/usr/lib/chromium/vk_swiftshader_icd.json

# Not Linux (macOS: Metal, Windows: D3D12): Dawn needs no Vulkan driver there.
[[ "$(uname -s)" == Linux ]] || exit 0
# The end-to-end tests (test/e2e) also need the browser itself: ${CHROMIUM:-/usr/bin/chromium}.
browser=${CHROMIUM:-/usr/bin/chromium}
have_browser() { [[ -x "$browser" ]]; }
# The user chose a Vulkan driver explicitly: trust it (the browser is still needed).
for f in ${VK_ICD_FILENAMES:-} ${VK_DRIVER_FILES:-}; do
  [[ -f "${f%%:*}" ]] && have_browser && exit 0
done
[[ -f "$icd" ]] && have_browser && exit 0

if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
  echo "ensure-webgpu: installing Debian's chromium (apt-get): the WebGPU tests run on the SwiftShader Vulkan driver it ships, the end-to-end tests in the browser" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  if [[ -f "$icd" ]]; then exit 0; fi
  echo "ensure-webgpu: chromium installed but $icd is still missing; find the ICD with 'dpkg -L chromium-common | grep swiftshader' and set VK_ICD_FILENAMES to it" >&2
  exit 1
fi

cat >&2 <<MSG
ensure-webgpu: no Vulkan driver for the WebGPU tests ($icd not found), or no browser for the
end-to-end tests ($browser; set CHROMIUM to use another Chromium).
  Debian/Ubuntu:  sudo apt-get install chromium   (ships SwiftShader, a CPU Vulkan driver)
  elsewhere:      install any working Vulkan driver for your GPU, or set VK_ICD_FILENAMES to a
                  SwiftShader ICD json (e.g. from a Chromium build: vk_swiftshader_icd.json)
MSG
exit 1
