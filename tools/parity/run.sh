#!/usr/bin/env bash
# Training parity with PyTorch: the Fashion-MNIST trainer's MLP and CNN, with Adam and with
# SGD-momentum, trained by lockstep (train_parity.ts) and by Debian's PyTorch (train_parity.py) from
# the same initial weights (exchanged as safetensors) on the same batches of real Fashion-MNIST.
# Prints a JSON report (per configuration: the largest relative difference between the two runs'
# per-step losses, and more) and exits non-zero if any step differs by more than 1e-5 relative, if
# the batch order or the inputs differ, or if an MLP run has fewer than 200 steps.
#
#   bash tools/parity/run.sh                      # MLP 200 steps, CNN 200 steps (or 300 s each)
#   PARITY_STEPS=300 PARITY_CNN_STEPS=50 bash tools/parity/run.sh
# Environment: PARITY_STEPS (MLP steps, default 200), PARITY_CNN_STEPS (default 200),
# PARITY_CNN_MAX_SECONDS (lockstep's CNN stops after this long, default 300: the reference backend
# takes about 1.3 s per CNN step), PARITY_CONFIGS (default "mlp-adam mlp-sgd cnn-adam cnn-sgd"),
# PARITY_JOBS (lockstep runs in parallel, default 2), PARITY_OUT (default a temporary directory),
# PARITY_TOLERANCE (default 1e-5).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
# PyTorch must run on netlib's reference BLAS (the order lockstep's reference reproduces); installing
# OpenBLAS (the fast CPU backend) makes it Debian's default libblas.so.3, so put netlib's first.
if [ -d /usr/lib/x86_64-linux-gnu/blas ]; then export LD_LIBRARY_PATH="/usr/lib/x86_64-linux-gnu/blas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
TSX=node_modules/.bin/tsx
OUT="${PARITY_OUT:-$(mktemp -d -t lockstep-parity-XXXXXX)}"
CONFIGS="${PARITY_CONFIGS:-mlp-adam mlp-sgd cnn-adam cnn-sgd}"
STEPS="${PARITY_STEPS:-200}"
CNN_STEPS="${PARITY_CNN_STEPS:-200}"
CNN_MAX_SECONDS="${PARITY_CNN_MAX_SECONDS:-300}"
TOL="${PARITY_TOLERANCE:-1e-5}"
mkdir -p "$OUT"
if ! "$PY" -c "import torch" 2>/dev/null; then
  echo "tools/parity: Debian's PyTorch is missing (apt-get install python3-torch)" >&2
  exit 2
fi
[ -x "$TSX" ] || { echo "tools/parity: run pnpm install first (no $TSX)" >&2; exit 2; }

lockstep_side() {
  local cfg="$1" model="${1%-*}" opt="${1#*-}"
  local args=(--model "$model" --optimizer "$opt" --out "$OUT")
  if [ "$model" = cnn ]; then args+=(--steps "$CNN_STEPS" --max-seconds "$CNN_MAX_SECONDS"); else args+=(--steps "$STEPS"); fi
  "$TSX" --conditions=source tools/parity/train_parity.ts "${args[@]}" >"$OUT/$cfg.lockstep.log" 2>&1 ||
    { echo "tools/parity: lockstep side of $cfg failed:" >&2; cat "$OUT/$cfg.lockstep.log" >&2; return 1; }
  cat "$OUT/$cfg.lockstep.log" >&2
}
export -f lockstep_side
export OUT STEPS CNN_STEPS CNN_MAX_SECONDS TSX
# shellcheck disable=SC2086
printf '%s\n' $CONFIGS | xargs -P "${PARITY_JOBS:-2}" -I{} bash -c 'lockstep_side "$@"' _ {}
for cfg in $CONFIGS; do
  "$PY" tools/parity/train_parity.py --out "$OUT" --tag "$cfg" --tolerance "$TOL" >/dev/null
done

# shellcheck disable=SC2086
"$PY" - "$OUT" "$TOL" $CONFIGS <<'PYEOF'
import json, os, sys
out, tol, configs = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
reports = []
for c in configs:
    r = json.load(open(os.path.join(out, f"{c}.report.json")))
    r.pop("relLossDiffs", None)  # per step, in the file
    reports.append(r)
failures = []
for r in reports:
    c = r["config"]
    if r["maxRelLossDiff"] is None or r["maxRelLossDiff"] > tol:
        ctl = r.get("pytorchUlpNoiseControl") or {}
        why = ""
        if ctl.get("firstStepOverTolerance") is not None:
            why = (f"; PyTorch against itself with +-1 ULP of noise in each step's gradients also exceeds it from step "
                   f"{ctl['firstStepOverTolerance']}: the run amplifies last-bit differences, only bit-identical arithmetic stays within it")
        failures.append(f"{c}: max relative loss difference {r['maxRelLossDiff']:.3g} > {tol} "
                        f"(first at step {r['firstStepOverTolerance']}, max at step {r['maxRelLossDiffStep']}){why}")
    if not r["batchOrderMatchesPyTorchDataLoader"]:
        failures.append(f"{c}: the batch order differs from PyTorch's DataLoader with the same seed")
    if not r["firstBatchInputBitwise"]:
        failures.append(f"{c}: the normalised inputs differ from PyTorch's")
    if c.startswith("mlp") and r["steps"] < 200:
        failures.append(f"{c}: only {r['steps']} steps (at least 200 wanted)")
summary = {
    "tolerance": tol,
    "out": out,
    "ok": not failures,
    "failures": failures,
    "maxRelLossDiff": {r["config"]: r["maxRelLossDiff"] for r in reports},
    "configs": reports,
}
json.dump(summary, sys.stdout, indent=1)
sys.stdout.write("\n")
sys.exit(0 if not failures else 1)
PYEOF
