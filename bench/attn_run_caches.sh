#!/usr/bin/env bash
# attn-run on SmolLM2-135M-Instruct with every compiled cache layout (issue 4,
# "every cache layout runs in the model"): perplexity at --ctx 512 on the five
# license texts of bench/peers/llama_cpp_parity.sh (dense, paged, int8, fp8,
# KIVI int4, per-channel int8: PPL and KV-cache bytes), greedy generation speed per spec, and the ring
# (StreamingLLM, constant memory) against the prefill path's --cache
# sinks:4,1020 over one longer window. Not a test; results in bench/RESULTS.md.
#
# Usage: [PPL_SPECS="a b"] bench/attn_run_caches.sh [BUILD_DIR] [THREADS] [LONG_CTX]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
THREADS=${2:-2}
LONG_CTX=${3:-4096}
RUN="$BUILD/bin/attn-run"
MODEL=$("$ROOT/runtime/tools/fetch-smollm2.sh")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for f in Apache-2.0 GPL-2 GPL-3 LGPL-2.1 MPL-2.0; do cat /usr/share/common-licenses/$f; done > "$WORK/ppl.txt"
last() { tr '\r' '\n' | grep -E "^attn-run: (scored|prompt)|^PPL" ; }

echo "== perplexity --ctx 512, $THREADS threads"
PPL_SPECS=${PPL_SPECS:-smollm2_135m smollm2_135m_paged smollm2_135m_int8 smollm2_135m_fp8 smollm2_135m_kivi smollm2_135m_int8_channel}
for s in $PPL_SPECS; do
  echo "-- $s"
  "$RUN" perplexity --model "$MODEL" --spec "$ROOT/specs/$s.attn" --file "$WORK/ppl.txt" --ctx 512 \
    --threads "$THREADS" 2>&1 | last
done

echo "== generate, 256 tokens, $THREADS threads"
for s in smollm2_135m smollm2_135m_sinks smollm2_135m_paged smollm2_135m_int8 smollm2_135m_fp8 smollm2_135m_ring \
         smollm2_135m_kivi smollm2_135m_int8_channel; do
  echo "-- $s"
  "$RUN" generate --model "$MODEL" --spec "$ROOT/specs/$s.attn" --prompt "The history of the city of Paris begins" \
    --max-tokens 256 --threads "$THREADS" 2>&1 >/dev/null | last
done

echo "== ring vs --cache sinks:4,1020, one window of $LONG_CTX tokens"
"$RUN" perplexity --model "$MODEL" --spec "$ROOT/specs/smollm2_135m_ring.attn" --file "$WORK/ppl.txt" \
  --ctx "$LONG_CTX" --max-chunks 1 --threads "$THREADS" 2>&1 | last
"$RUN" perplexity --model "$MODEL" --spec "$ROOT/specs/smollm2_135m_sinks.attn" --file "$WORK/ppl.txt" \
  --ctx "$LONG_CTX" --max-chunks 1 --threads "$THREADS" --cache sinks:4,1020 2>&1 | last
