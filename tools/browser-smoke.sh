#!/usr/bin/env bash
# Browser smoke test of the WebGPU backend: installs Debian's chromium (apt) and the driver's npm
# dependencies (playwright-core, esbuild: tools/browser-smoke/package-lock.json), then trains a
# small model on WebGPU in a headless page (tools/browser-smoke/smoke.ts).
# Exit status: 0 passed, 1 failed, 77 skipped (reason printed). --install-only stops after installing.
set -euo pipefail
cd "$(dirname "$0")/.."
apt_get() { if [ "$(id -u)" = 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi; }
if ! command -v chromium >/dev/null; then
  apt_get update -qq
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq --no-install-recommends chromium >/dev/null
fi
# outside the pnpm workspace: a browser driver is no dependency of any package
if [ ! -d tools/browser-smoke/node_modules/playwright-core ]; then
  npm ci --prefix tools/browser-smoke --no-audit --no-fund --loglevel=error
fi
[ "${1:-}" = "--install-only" ] && exit 0
[ -d node_modules ] || pnpm install --frozen-lockfile # tsx, and the workspace sources the page bundles
exec node --import tsx tools/browser-smoke/smoke.ts
