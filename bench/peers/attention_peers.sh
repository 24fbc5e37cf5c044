#!/usr/bin/env bash
# CPU prefill attention side by side, one run on one machine: attnc's
# generated kernels (attnc-bench-prefill, which measures the FMA peak first),
# ggml's CPU flash attention (FLASH_ATTN_EXT, built from the llama.cpp
# vendored in the llama-cpp-python sdist) and PyTorch CPU SDPA/FlexAttention
# (a CPU torch in a venv). Not a test: prints one line per (kernel, shape).
#   bench/peers/attention_peers.sh [THREADS]
# Env: LENS (attnc, default "1024 2048 4096 8192 16384"), PEER_LENS (every
# shape, default "1024 4096"), LONG_LEN (dense and sliding window only,
# default 16384, 1 timed run), REPEATS (3), ATTNC_PEERS_GGML (default
# ~/.cache/attnc/peers-ggml), TORCH_PY (default the venv's python), DTYPE
# (f32, or bf16: attnc's bf16 specs with AMX tiles where the CPU has them and
# the same specs on AVX-512 FMAs, PyTorch in bf16; ggml keeps f16 K/V).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
THREADS=${1:-2}
LENS=${LENS:-"1024 2048 4096 8192 16384"}
PEER_LENS=${PEER_LENS:-"1024 4096"}
LONG_LEN=${LONG_LEN:-16384}
REPEATS=${REPEATS:-3}
PEERS=${ATTNC_PEERS_GGML:-$HOME/.cache/attnc/peers-ggml}
TORCH_PY=${TORCH_PY:-$HOME/.cache/attnc/torch-venv/bin/python}

# ggml: only the ggml libraries are needed, not llama.cpp itself.
LLAMA=$(ls -d "$PEERS"/llama_cpp_python-*/vendor/llama.cpp 2>/dev/null | head -1 || true)
if [[ -z $LLAMA ]]; then
  mkdir -p "$PEERS"
  (cd "$PEERS" && pip download -q --no-deps --no-binary :all: llama-cpp-python -d . &&
   tar -xzf llama_cpp_python-*.tar.gz)
  LLAMA=$(ls -d "$PEERS"/llama_cpp_python-*/vendor/llama.cpp | head -1)
fi
if [[ ! -f $PEERS/build/bin/libggml-cpu.so ]]; then
  cmake -S "$LLAMA" -B "$PEERS/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_EXAMPLES=OFF >/dev/null
  ninja -C "$PEERS/build" -j2 ggml ggml-cpu ggml-base >/dev/null
fi
GGML_BENCH=$PEERS/ggml-flash-attn
if [[ ! -x $GGML_BENCH || $ROOT/bench/peers/ggml_flash_attn.c -nt $GGML_BENCH ]]; then
  cc -O2 -o "$GGML_BENCH" "$ROOT/bench/peers/ggml_flash_attn.c" -I"$LLAMA/ggml/include" \
    -L"$PEERS/build/bin" -lggml -lggml-base -lggml-cpu -lm -Wl,-rpath,"$PEERS/build/bin"
fi

MIN=$(echo $LENS | tr ' ' '\n' | sort -n | head -1)
MAX=$(echo $LENS | tr ' ' '\n' | sort -n | tail -1)
echo "== machine: $(nproc) hardware threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $THREADS threads"
DTYPE=${DTYPE:-f32}
if [[ $DTYPE == bf16 ]]; then
  echo "== attnc bf16, AMX tiles where the CPU has AMX-BF16 (attnc-bench-prefill-bf16)"
  "$BUILD/bench/attnc-bench-prefill-bf16" --threads "$THREADS" --repeats "$REPEATS" --min-len "$MIN" --max-len "$MAX"
  echo "== attnc bf16, AVX-512 FMAs (attnc-bench-prefill-bf16-fma: the same specs, --no-amx)"
  "$BUILD/bench/attnc-bench-prefill-bf16-fma" --threads "$THREADS" --repeats "$REPEATS" --min-len "$MIN" --max-len "$MAX"
else
  echo "== attnc (attnc-bench-prefill: peak first, then GFLOP/s per variant)"
  "$BUILD/bench/attnc-bench-prefill" --threads "$THREADS" --repeats "$REPEATS" --min-len "$MIN" --max-len "$MAX"
fi

# name D heads kv_heads window softcap max_bias (the attnc variants' shapes)
SHAPES="dense_d64:64:8:8:0:0:0 dense_d128:128:8:8:0:0:0 gqa4_d128:128:16:4:0:0:0 gqa8_d128:128:16:2:0:0:0
alibi_d128:128:8:8:0:0:8 softcap_d128:128:8:8:0:50:0 swa4096_d128:128:8:8:4096:0:0"
LONG_SHAPES="dense_d128:128:8:8:0:0:0 swa4096_d128:128:8:8:4096:0:0"
echo "== ggml FLASH_ATTN_EXT (f32 Q, f16 K/V and mask)"
for L in $PEER_LENS; do
  for s in $SHAPES; do
    IFS=: read -r name D H HKV W SC MB <<<"$s"
    echo -n "$name "; "$GGML_BENCH" "$THREADS" "$D" "$H" "$HKV" "$L" "$W" "$REPEATS" "$SC" "$MB"
  done
done
for s in $LONG_SHAPES; do
  IFS=: read -r name D H HKV W SC MB <<<"$s"
  echo -n "$name "; "$GGML_BENCH" "$THREADS" "$D" "$H" "$HKV" "$LONG_LEN" "$W" 1 "$SC" "$MB"
done
if [[ -x $TORCH_PY ]]; then
  echo "== PyTorch $("$TORCH_PY" -c 'import torch; print(torch.__version__)') CPU ($DTYPE)"
  export TORCH_DTYPE=$DTYPE
  args=()
  for L in $PEER_LENS; do
    for s in $SHAPES; do
      IFS=: read -r name D H HKV W SC MB <<<"$s"
      [[ $SC != 0 || $MB != 0 ]] && continue # SDPA has no softcap/ALiBi parameters
      args+=("$D:$H:$HKV:$L:$W")
    done
  done
  "$TORCH_PY" "$ROOT/bench/peers/torch_sdpa.py" "$THREADS" "$REPEATS" "${args[@]}" 2>&1 | grep -v "^W[0-9]"
  long=()
  for s in $LONG_SHAPES; do
    IFS=: read -r name D H HKV W SC MB <<<"$s"
    long+=("$D:$H:$HKV:$LONG_LEN:$W")
  done
  "$TORCH_PY" "$ROOT/bench/peers/torch_sdpa.py" "$THREADS" 1 "${long[@]}" 2>&1 | grep -v "^W[0-9]"
else
  echo "== PyTorch: $TORCH_PY not found (python3 -m venv ~/.cache/attnc/torch-venv && ~/.cache/attnc/torch-venv/bin/pip install torch numpy)"
fi
