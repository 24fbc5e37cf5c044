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
/usr/bin/time -f "  llama-bench peak RSS %M KiB" "$LLAMA/build/bin/llama-bench" -m "$MODEL" -t "$THREADS" \
  -p 21,128 -n 32 -r 3 -o md
echo "== attnc attn-run, $THREADS threads (int8 activations, the default; then f32 activations)"
RUN=${BUILD_DIR:-$ROOT/build}/bin/attn-run
# Generation: an 8-token prompt, 32 tokens. Prompt processing: 123 tokens
# (the start of the GPL-3 text), as llama-bench's pp128, logits of the last.
PP_PROMPT=$(head -c 560 /usr/share/common-licenses/GPL-3)
for acts in int8 f32; do
  "$RUN" generate --model "$MODEL" --prompt "The history of the city of Paris begins" \
    --max-tokens 32 --threads "$THREADS" --activations $acts 2>&1 > /dev/null | grep '^attn-run'
  "$RUN" generate --model "$MODEL" --prompt "$PP_PROMPT" \
    --max-tokens 1 --threads "$THREADS" --activations $acts 2>&1 > /dev/null | grep '^attn-run'
done
