#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh Debian machine, then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
if ! command -v pnpm >/dev/null || [ "$(pnpm --version)" != "10.34.8" ]; then
  npm install -g pnpm@10.34.8
fi
pnpm install --frozen-lockfile
bash tools/install-fashion-mnist.sh
# A software WebGPU adapter (lavapipe) so the WebGPU backend's tests run without a GPU.
VK_ICD_FILENAMES="$(bash tools/install-webgpu-adapter.sh | tail -n 1)"
export VK_ICD_FILENAMES
bash tools/install-openblas.sh
# Debian Chromium + playwright-core for the in-browser WebGPU smoke test (backend-webgpu/test/browser.test.ts)
bash tools/browser-smoke.sh --install-only
pnpm run typecheck
pnpm run lint
pnpm run test
