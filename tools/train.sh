#!/usr/bin/env bash
# The README's main-job command: installs what it needs on a fresh Debian machine (pnpm, node
# packages, the Fashion-MNIST data), then trains. Extra arguments go to the trainer (--help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
if ! command -v pnpm >/dev/null || [ "$(pnpm --version)" != "10.34.8" ]; then
  npm install -g pnpm@10.34.8
fi
pnpm install --frozen-lockfile
bash tools/install-fashion-mnist.sh
bash tools/install-openblas.sh
if [ "$#" -eq 0 ]; then set -- --model mlp --epochs 2; fi
exec pnpm --silent --filter @lockstep/fashion-mnist start "$@"
