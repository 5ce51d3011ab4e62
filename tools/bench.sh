#!/usr/bin/env bash
# pnpm bench [--backend reference|cpu|webgpu] [args...]: every package's benchmark, or one backend's.
# Each prints JSON with ratios against anchors measured in the same run (PyTorch, tfjs).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
backend=""
if [ "${1:-}" = "--backend" ]; then backend="${2:?--backend needs a name}"; shift 2; fi
case "$backend" in
  "") exec pnpm exec turbo run bench --log-prefix=none "$@" ;;
  reference) exec pnpm --silent --filter @lockstep/core bench "$@" ;;
  cpu) exec pnpm --silent --filter @lockstep/backend-cpu bench "$@" ;;
  webgpu)
    if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f .cache/webgpu-adapter/lvp_icd.json ]; then
      export VK_ICD_FILENAMES="$PWD/.cache/webgpu-adapter/lvp_icd.json"
    fi
    exec pnpm --silent --filter @lockstep/backend-webgpu bench "$@" ;;
  *) echo "bench: unknown backend '$backend' (reference, cpu, webgpu)" >&2; exit 64 ;;
esac
