#!/usr/bin/env bash
# Installs the real Fashion-MNIST IDX files (60k train / 10k test) from Debian's
# `dataset-fashion-mnist` package, where lockstep's FashionMNIST dataset looks by default
# (/usr/share/datasets/fashion-mnist). Idempotent. Exits 0 with a message when it cannot install
# (not Debian, no root, no network): the Fashion-MNIST tests are then reported as skipped.
set -u
DIR=/usr/share/datasets/fashion-mnist
FILES="train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz"

have_files() {
  for f in $FILES; do [ -s "$DIR/$f" ] || return 1; done
  return 0
}

if have_files; then
  echo "install-fashion-mnist: already installed in $DIR"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-fashion-mnist: apt-get not found (not Debian?); put the four IDX .gz files in $DIR or pass root to FashionMNIST" >&2
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "install-fashion-mnist: needs root to run apt-get install dataset-fashion-mnist; skipping" >&2
    exit 0
  fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show dataset-fashion-mnist >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
fi
if ! $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  if ! $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; then
    echo "install-fashion-mnist: apt-get install dataset-fashion-mnist failed (offline?); the Fashion-MNIST tests will be skipped" >&2
    exit 0
  fi
fi

if have_files; then
  echo "install-fashion-mnist: installed in $DIR"
else
  echo "install-fashion-mnist: the package installed but the files are not in $DIR:" >&2
  dpkg -L dataset-fashion-mnist 2>/dev/null | grep -- '-ubyte' >&2 || true
fi
exit 0
