#!/usr/bin/env bash
# Configures and builds attnc into BUILD_DIR (default build/). Extra arguments
# go to cmake. Uses clang-19 and lld; -j2 matches the 2-core machines.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
JOBS=${JOBS:-2}
if [[ ! -f $BUILD_DIR/build.ninja ]]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD_DIR" \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DLLVM_USE_LINKER=lld "$@" >/dev/null
fi
# shellcheck disable=SC2086
ninja -C "$BUILD_DIR" -j"$JOBS" ${TARGETS:-all}
