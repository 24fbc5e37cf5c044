#!/usr/bin/env bash
# Builds llama.cpp (CPU, from the vendored copy in the llama-cpp-python source
# distribution on PyPI; llama_cpp_build.sh) into ${ATTNC_PEERS:-$HOME/.cache/attnc/peers} and runs
# llama-bench on SmolLM2-135M-Instruct next to attn-run, same GGUF, same
# threads. Not a test: prints a side-by-side table.
#   bench/peers/llama_cpp.sh [THREADS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
THREADS=${1:-2}
source "$ROOT/bench/peers/llama_cpp_build.sh" llama-bench
MODEL=$("$ROOT"/runtime/tools/fetch-smollm2.sh)
echo "== llama.cpp llama-bench (pp = prompt tokens/s, tg = generated tokens/s), $THREADS threads"
"$LLAMA/build/bin/llama-bench" -m "$MODEL" -t "$THREADS" -p 21,128 -n 32 -r 3 -o md
echo "== attnc attn-run, $THREADS threads"
"${BUILD_DIR:-$ROOT/build}"/bin/attn-run generate --model "$MODEL" --prompt "The history of the city of Paris begins" \
  --max-tokens 32 --threads "$THREADS" > /dev/null
