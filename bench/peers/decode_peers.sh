#!/usr/bin/env bash
# CPU decode attention side by side, one run on one machine: attnc's
# generated decode kernels (attnc-bench-decode: bf16 paged caches, split-KV
# across THREADS, measured read bandwidth first) and ggml's CPU flash
# attention with one query over LEN cached f16 keys (what llama.cpp runs per
# generated token with -fa; ggml-flash-attn ... LQ=1), on the same shapes:
# MHA 8 heads D=128, GQA 32/8 D=128, GQA 16/2 D=64. Not a test.
#   bench/peers/decode_peers.sh [THREADS]
# Env: LENS (default "1024 4096 16384 32768"), REPEATS (21 attnc, 11 ggml),
# ATTNC_PEERS (llama.cpp build, see llama_cpp_build.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
THREADS=${1:-2}
LENS=${LENS:-"1024 4096 16384 32768"}
REPEATS=${REPEATS:-21}
source "$ROOT/bench/peers/llama_cpp_build.sh" ggml ggml-cpu ggml-base
GGML_BENCH=$PEERS/ggml-flash-attn
if [[ ! -x $GGML_BENCH || $ROOT/bench/peers/ggml_flash_attn.c -nt $GGML_BENCH ]]; then
  cc -O2 -o "$GGML_BENCH" "$ROOT/bench/peers/ggml_flash_attn.c" -I"$LLAMA/ggml/include" \
    -L"$LLAMA/build/bin" -lggml -lggml-base -lggml-cpu -lm -Wl,-rpath,"$LLAMA/build/bin"
fi
echo "== machine: $(nproc) hardware threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $THREADS threads"
echo "== attnc (attnc-bench-decode)"
"$BUILD/bench/attnc-bench-decode" --threads "$THREADS" --repeats "$REPEATS" --lens "$(echo $LENS | tr ' ' ,)" \
  --only decode_gqa1_d128,decode_gqa4_d128,decode_gqa8_d64
echo "== ggml FLASH_ATTN_EXT, one query (f32 Q, f16 K/V and mask)"
for L in $LENS; do
  for s in gqa1_d128:128:8:8 gqa4_d128:128:32:8 gqa8_d64:64:16:2; do
    IFS=: read -r name D H HKV <<<"$s"
    echo -n "decode_$name "; "$GGML_BENCH" "$THREADS" "$D" "$H" "$HKV" "$L" 0 11 0 0 1
  done
done
