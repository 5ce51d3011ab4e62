#!/usr/bin/env bash
# Provides a software WebGPU adapter on Debian bookworm for Dawn (npm `webgpu`): Mesa 25's lavapipe
# from bookworm-backports, downloaded with `apt-get download` into .cache/webgpu-adapter (Debian's
# stock lavapipe 22.3 is rejected by Dawn), plus a Vulkan driver manifest pointing at it.
# Prints the manifest's path on its last line; callers export VK_ICD_FILENAMES to it.
# Needs root for apt-get (the libraries lavapipe links against come from stock bookworm).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/.cache/webgpu-adapter"
manifest="$dir/lvp_icd.json"
lib="$dir/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
if [ -f "$manifest" ] && [ -f "$lib" ]; then echo "$manifest"; exit 0; fi

apt_get() { if [ "$(id -u)" = 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi; }
src=/etc/apt/sources.list.d/bookworm-backports.sources
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat <<'SRC' | if [ "$(id -u)" = 0 ]; then tee "$src"; else sudo tee "$src"; fi >/dev/null
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
apt_get update -qq
# lavapipe's run-time dependencies, all at versions stock bookworm satisfies.
DEBIAN_FRONTEND=noninteractive apt_get install -y -qq --no-install-recommends \
  libvulkan1 libllvm15 libx11-xcb1 libxcb-dri3-0 libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1 \
  libxcb-xfixes0 libwayland-client0 libxshmfence1 libelf1 libzstd1 libexpat1 libdrm2 libdrm-amdgpu1 >/dev/null
mkdir -p "$dir/debs"
(cd "$dir/debs" && rm -f ./*.deb && apt_get download -qq mesa-vulkan-drivers/bookworm-backports 2>&1 | grep -v "unsandboxed" || true)
deb=$(ls "$dir"/debs/mesa-vulkan-drivers_*.deb)
dpkg-deb -x "$deb" "$dir/root"
version=$(dpkg-deb -f "$deb" Version)
cat >"$manifest" <<JSON
{ "file_format_version": "1.0.0", "ICD": { "library_path": "$lib", "api_version": "1.4.305" } }
JSON
echo "lavapipe (mesa-vulkan-drivers $version from bookworm-backports) in $dir" >&2
echo "$manifest"
