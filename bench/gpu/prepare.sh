#!/usr/bin/env bash
# Makes, on this machine, everything the GPU machine needs for bench/gpu/run.sh
# (it has CUDA, PyTorch and a C++ compiler but no LLVM/MLIR and no network):
#   carry/lib.tar.xz    the GPU kernel library of every spec in specs/ (attnc build
#                       --gpu-arch sm_80,sm_90: cubins + PTX + host glue), and of the
#                       benchmark variants in bench/specs/gpu
#   carry/cases.tar.xz  every spec's gpu_* prefill cases (attnc-check --gpu-cases
#                       --save-reference): inputs and the float64 reference
#   carry/cpu-check.txt the same cases on the CPU kernels (they must pass here first)
# Then, with the device tool:
#   run(command="bench/gpu/run.sh", carry=["bench/gpu/carry"], timeout_s=540)
# Usage: bench/gpu/prepare.sh [BUILD_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
CARRY=$ROOT/bench/gpu/carry
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
rm -rf "$CARRY"
mkdir -p "$CARRY" "$WORK/lib"
"$BUILD/bin/attnc" build "$ROOT"/specs/*.attn -o "$WORK/build" --name attn_kernels --gpu-arch sm_80,sm_90
"$BUILD/bin/attnc" build "$ROOT"/bench/specs/gpu/*.attn -o "$WORK/build" --name gpu_bench --gpu-arch sm_80,sm_90
cp "$WORK"/build/lib*_gpu.so "$WORK"/build/*_gpu.h "$WORK/lib/"
tar -C "$WORK" -cJf "$CARRY/lib.tar.xz" lib
"$BUILD/bin/attnc-check" --dtype spec --gpu-cases --save-reference --work "$WORK/cases" "$ROOT"/specs/*.attn \
  > "$CARRY/cpu-check.txt" || { tail "$CARRY/cpu-check.txt"; echo "prepare: the CPU kernels fail the cases"; exit 1; }
tar -C "$WORK" -cJf "$CARRY/cases.tar.xz" cases
echo "prepare: $(grep -c PASS "$CARRY/cpu-check.txt") case checks pass on the CPU; carry:"
du -sh "$CARRY"/*
