#!/usr/bin/env bash
# Builds llama.cpp (CPU, from the vendored copy in the llama-cpp-python source
# distribution on PyPI) into ${ATTNC_PEERS:-$HOME/.cache/attnc/peers} and runs
# llama-bench on SmolLM2-135M-Instruct next to attn-run, same GGUF, same
# threads. Not a test: prints a side-by-side table.
#   bench/peers/llama_cpp.sh [THREADS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
THREADS=${1:-2}
PEERS=${ATTNC_PEERS:-$HOME/.cache/attnc/peers}
mkdir -p "$PEERS"
if [[ ! -x "$PEERS/llama.cpp/build/bin/llama-bench" ]]; then
  (cd "$PEERS" && pip download -q --no-deps --no-binary :all: llama-cpp-python -d sdist)
  tar -xzf "$PEERS"/sdist/llama_cpp_python-*.tar.gz -C "$PEERS"
  src=$(ls -d "$PEERS"/llama_cpp_python-*/vendor/llama.cpp | head -1)
  rm -rf "$PEERS/llama.cpp" && mv "$src" "$PEERS/llama.cpp" && rm -f "$PEERS/llama.cpp/.git"
  cmake -S "$PEERS/llama.cpp" -B "$PEERS/llama.cpp/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >/dev/null
  ninja -C "$PEERS/llama.cpp/build" -j2 llama-bench >/dev/null
fi
MODEL=$("$ROOT"/runtime/tools/fetch-smollm2.sh)
echo "== llama.cpp llama-bench (pp = prompt tokens/s, tg = generated tokens/s), $THREADS threads"
"$PEERS/llama.cpp/build/bin/llama-bench" -m "$MODEL" -t "$THREADS" -p 21,128 -n 32 -r 3 -o md
echo "== attnc attn-run, $THREADS threads"
"${BUILD_DIR:-$ROOT/build}"/bin/attn-run generate --model "$MODEL" --prompt "The history of the city of Paris begins" \
  --max-tokens 32 --threads "$THREADS" > /dev/null
