#!/usr/bin/env bash
# Makes, on this machine, everything the GPU machine needs for bench/gpu/run.sh
# (it has CUDA, PyTorch and a C++ compiler but no LLVM/MLIR and no network):
#   carry/lib.tar.xz    the GPU kernel library of every spec in specs/ (attnc build
#                       --gpu-arch sm_80,sm_90a: cubins + PTX + host glue; an H100 runs
#                       the sm_90a cubin, whose tensor-core prefill is wgmma), and of
#                       the benchmark variants in bench/specs/gpu; in lib/mma the same
#                       two built for sm_80,sm_90 (the mma.sync prefill on an H100), and
#                       in lib/q64 the benchmark variants with 64-query blocks
#                       (--gpu-block-queries 64: one warpgroup above head dim 64); in
#                       lib/tune-* the benchmark variants and four checked specs built for
#                       sm_90a with other tensor-core pipelines (--gpu-stages 2,
#                       --gpu-key-tile 128, --gpu-overlap): run.sh checks them on those specs' cases,
#                       then bench.py's tuning table times them against the default
#   carry/cases.tar.xz  every spec's gpu_* prefill cases (attnc-check --gpu-cases
#                       --save-reference): inputs and the float64 reference; their 7
#                       queries reach warp 0 only, so three specs also get gpu_blocks
#                       (150 queries: two blocks and every warp; ~6 MB each): off_by_one
#                       (two warpgroups, Q in shared memory for mma.sync, lse), gpt_oss_sinks
#                       (one warpgroup of two row tiles), and mistral_7b (two warpgroups, Q in
#                       registers) unless cases and libraries would pass 61 MiB (the model
#                       and the check log take 1.3 MiB of the 64 a call carries)
#                       test/GPU/Inputs/tc_remap_small.attn is built and checked beside specs/:
#                       its gpu, tiles and remap cases cross its Self-Extend window
#   carry/cpu-check.txt the same cases on the CPU kernels (they must pass here first)
#   carry/model.tar.xz  attn-run (LLVM Support linked statically: it runs without LLVM),
#                       gguf-make-test-model, a text and the CPU's f32 perplexity of it
#                       on the --smollm2-full model (SmolLM2-135M's shapes, pseudo-random
#                       weights: the real GGUF, 98 MB, is over the 64 MiB a call carries)
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
mkdir -p "$CARRY" "$WORK/lib/mma" "$WORK/lib/q64"
# Beside specs/: a small Self-Extend whose cases cross its window in a few hundred KB (the real remap
# specs' take 18-34 MB), so the device checks the tensor-core remap's near, far and boundary tiles.
EXTRA=("$ROOT/test/GPU/Inputs/tc_remap_small.attn")
"$BUILD/bin/attnc" build "$ROOT"/specs/*.attn "${EXTRA[@]}" -o "$WORK/build" --name attn_kernels --gpu-arch sm_80,sm_90a
"$BUILD/bin/attnc" build "$ROOT"/bench/specs/gpu/*.attn -o "$WORK/build" --name gpu_bench --gpu-arch sm_80,sm_90a
cp "$WORK"/build/lib*_gpu.so "$WORK"/build/*_gpu.h "$WORK/lib/"
"$BUILD/bin/attnc" build "$ROOT"/specs/*.attn "${EXTRA[@]}" -o "$WORK/mma" --name attn_kernels --gpu-arch sm_80,sm_90
"$BUILD/bin/attnc" build "$ROOT"/bench/specs/gpu/*.attn -o "$WORK/mma" --name gpu_bench --gpu-arch sm_80,sm_90
cp "$WORK"/mma/lib*_gpu.so "$WORK/lib/mma/"
"$BUILD/bin/attnc" build "$ROOT"/bench/specs/gpu/*.attn -o "$WORK/q64" --name gpu_bench --gpu-arch sm_80,sm_90a \
  --gpu-block-queries 64
cp "$WORK"/q64/libgpu_bench_gpu.so "$WORK/lib/q64/"
CHECKED=("$ROOT/specs/mistral_7b.attn" "$ROOT/specs/off_by_one.attn" "$ROOT/specs/gpt_oss_sinks.attn" "${EXTRA[@]}")
for tune in "s2:--gpu-stages 2" "k128:--gpu-key-tile 128" "ov:--gpu-overlap"; do
  name=${tune%%:*}
  # shellcheck disable=SC2086 # the flags split on purpose
  "$BUILD/bin/attnc" build "$ROOT"/bench/specs/gpu/*.attn "${CHECKED[@]}" -o "$WORK/tune-$name" --name gpu_bench \
    --gpu-arch sm_90a ${tune#*:}
  mkdir -p "$WORK/lib/tune-$name"
  cp "$WORK/tune-$name/libgpu_bench_gpu.so" "$WORK/lib/tune-$name/"
done
tar -C "$WORK" -cJf "$CARRY/lib.tar.xz" lib
"$BUILD/bin/attnc-check" --dtype spec --gpu-cases --save-reference --work "$WORK/cases" "$ROOT"/specs/*.attn "${EXTRA[@]}" \
  > "$CARRY/cpu-check.txt" || { tail "$CARRY/cpu-check.txt"; echo "prepare: the CPU kernels fail the cases"; exit 1; }
"$BUILD/bin/attnc-check" --dtype spec --config gpu_blocks --save-reference --work "$WORK/cases" \
  "$ROOT"/specs/off_by_one.attn "$ROOT"/specs/gpt_oss_sinks.attn "$ROOT"/specs/mistral_7b.attn >> "$CARRY/cpu-check.txt" ||
  { tail "$CARRY/cpu-check.txt"; echo "prepare: the CPU kernels fail the gpu_blocks cases"; exit 1; }
for config in tiles remap; do
  "$BUILD/bin/attnc-check" --dtype spec --config $config --save-reference --work "$WORK/cases" "${EXTRA[@]}" \
    >> "$CARRY/cpu-check.txt" || { tail "$CARRY/cpu-check.txt"; echo "prepare: the CPU kernels fail $config"; exit 1; }
done
tar -C "$WORK" -cJf "$CARRY/cases.tar.xz" cases
if [ $(( $(stat -c %s "$CARRY/cases.tar.xz") + $(stat -c %s "$CARRY/lib.tar.xz") )) -gt $(( 61 << 20 )) ]; then
  echo "prepare: the carry nears 64 MiB: mistral_7b's gpu_blocks case left out"
  rm -rf "$WORK"/cases/mistral_7b.gpu_blocks.*
  tar -C "$WORK" -cJf "$CARRY/cases.tar.xz" cases
fi
mkdir -p "$WORK/model"
cp "$BUILD/bin/attn-run" "$BUILD/bin/gguf-make-test-model" "$WORK/model/"
if ldd "$WORK/model/attn-run" | grep -q libLLVM; then echo "prepare: attn-run links libLLVM"; exit 1; fi
# The fabricated vocabulary has a-z, '.', ',' and the word boundary only.
tr 'A-Z' 'a-z' < "$ROOT/test/Runtime/Inputs/ppl-english.txt" | tr -cd 'a-z., \n' > "$WORK/model/text.txt"
"$BUILD/bin/gguf-make-test-model" --smollm2-full "$WORK/full.gguf"
for spec in smollm2_135m smollm2_135m_paged; do
  "$BUILD/bin/attn-run" perplexity --model "$WORK/full.gguf" --spec "$ROOT/specs/$spec.attn" --file "$WORK/model/text.txt" \
    --ctx 256 --max-chunks 4 --activations f32 2> /dev/null | grep '^PPL' > "$WORK/model/cpu-ppl-$spec.txt"
  echo "prepare: $spec on the CPU: $(cat "$WORK/model/cpu-ppl-$spec.txt")"
done
tar -C "$WORK" -cJf "$CARRY/model.tar.xz" model
echo "prepare: $(grep -c PASS "$CARRY/cpu-check.txt") case checks pass on the CPU; carry:"
du -sh "$CARRY"/*
