#!/usr/bin/env bash
# Installs OpenBLAS (Debian's libopenblas0-pthread) for @lockstep/backend-cpu's matmul, only when
# no libopenblas.so.0 is there yet. Idempotent and non-interactive; apt-get update runs only when the
# package is not known to apt. Exits 0 with a message when it cannot install (not Debian, no root, no
# network): the cpu backend then falls back to the exact reference matmul and says so.
set -u
if { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q 'libopenblas\.so\.0'; then
  echo "install-openblas: libopenblas.so.0 already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-openblas: apt-get not found (not Debian?); install OpenBLAS yourself or set LOCKSTEP_BLAS to a CBLAS library" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "install-openblas: needs root to run apt-get install libopenblas0-pthread; skipping" >&2
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show libopenblas0-pthread >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
fi
if ! $SUDO apt-get install -y -qq libopenblas0-pthread >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  if ! $SUDO apt-get install -y -qq libopenblas0-pthread >/dev/null 2>&1; then
    echo "install-openblas: apt-get install libopenblas0-pthread failed (offline?); matmul on \"cpu\" will use the reference" >&2
    exit 0
  fi
fi
echo "install-openblas: installed libopenblas0-pthread"
exit 0
