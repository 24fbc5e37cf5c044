#!/usr/bin/env bash
# Issue 4, "Long context": attn-run perplexity --stream on SmolLM2-135M-Instruct
# over a 64k-token license text (bench/long_context_text.sh), one thread:
#   sinks     --cache sinks:4,1020, 65,536 tokens (StreamingLLM: 4 sinks + 1020 recent)
#   window    --cache window:1024, 65,536 tokens (the oldest evicted, no sinks)
#   dense     the full cache over 16,384 tokens, twice the trained 8192 (--allow-past-context)
#   linear2 ntk2 yarn2   dense over 16,384 tokens with RoPE scaling by 2 (specs/smollm2_135m_*2.attn)
#   recompute --recompute 1024: each of RECOMP tokens after the first 1024 predicted
#             from the 1024 before it, re-run from an empty cache
#   sinks1    --cache sinks:4,1020 token by token (--batch 1) over the same tokens, the
#             per-token latency to set against recompute
#   ring1     specs/smollm2_135m_ring.attn (4 + 1020 slots, constant memory; token by
#             token by construction) over the same tokens
#   dense4k window4k sinks4k sink1_4k   the first 4,096 tokens in 16 spans of 256, to
#             see what happens when the window starts evicting (after 1,024 tokens);
#             sink1_4k keeps one sink (BOS) and 1,023 recent tokens
#   sinks16k  --cache sinks:4,1020 over the dense runs' 16,384 tokens in their spans of 1,024
# Raw output (stdout, and stderr without the progress line) in
# bench/long_context_out/NAME.txt; plots: bench/plot_long_context.py. Not a test;
# results in bench/RESULTS.md.
#
# Usage: bench/long_context.sh [BUILD_DIR] [CONFIG...]   (default: all, in the order above)
# Environment: TOKENS (65536), DENSE_TOKENS (16384), RECOMP (24), THREADS (1), BINS (16)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
shift || true
CONFIGS=${*:-sinks window dense linear2 ntk2 yarn2 recompute sinks1 ring1 dense4k window4k sinks4k sink1_4k sinks16k}
TOKENS=${TOKENS:-65536}
DENSE_TOKENS=${DENSE_TOKENS:-16384}
RECOMP=${RECOMP:-24}
THREADS=${THREADS:-1}
BINS=${BINS:-16}
RUN="$BUILD/bin/attn-run"
MODEL=$("$ROOT/runtime/tools/fetch-smollm2.sh")
OUT=$ROOT/bench/long_context_out
TEXT=${TEXT:-${ATTNC_MODEL_CACHE:-$HOME/.cache/attnc}/long_context.txt}
mkdir -p "$OUT"
if [[ ! -f $TEXT ]]; then
  "$ROOT/bench/long_context_text.sh" "$TEXT" "$TOKENS" "$BUILD"
fi
cp "$TEXT.sources" "$OUT/text.sources"

run() { # NAME ARGS...
  local name=$1
  shift
  local cmd=("$RUN" perplexity --model "$MODEL" --file "$TEXT" --stream --threads "$THREADS" "$@")
  echo "== $name: ${cmd[*]//$HOME/\~}"
  "${cmd[@]}" > "$OUT/$name.stdout" 2> "$OUT/$name.stderr"
  {
    echo "# ${cmd[*]//$HOME/\~}"
    echo "# finished $(date -u +%FT%TZ), $(nproc) cores"
    cat "$OUT/$name.stdout"
    tr '\r' '\n' < "$OUT/$name.stderr" | grep -v '^\[' | grep -v '^ *$' || true
  } > "$OUT/$name.txt"
  rm -f "$OUT/$name.stdout" "$OUT/$name.stderr"
  grep -E '^(stream|PPL)' "$OUT/$name.txt"
}

for c in $CONFIGS; do
  case $c in
  sinks) run sinks --tokens "$TOKENS" --bins "$BINS" --cache sinks:4,1020 ;;
  window) run window --tokens "$TOKENS" --bins "$BINS" --cache window:1024 ;;
  dense) run dense --tokens "$DENSE_TOKENS" --bins "$BINS" --allow-past-context ;;
  linear2 | ntk2 | yarn2)
    run "$c" --tokens "$DENSE_TOKENS" --bins "$BINS" --spec "$ROOT/specs/smollm2_135m_$c.attn" ;;
  recompute) run recompute --tokens $((1024 + RECOMP)) --score-from 1024 --bins 1 --recompute 1024 ;;
  sinks1) run sinks1 --tokens $((1024 + RECOMP)) --score-from 1024 --bins 1 --cache sinks:4,1020 --batch 1 ;;
  ring1) run ring1 --tokens $((1024 + RECOMP)) --score-from 1024 --bins 1 --spec "$ROOT/specs/smollm2_135m_ring.attn" ;;
  dense4k) run dense4k --tokens 4096 --bins 16 ;;
  window4k) run window4k --tokens 4096 --bins 16 --cache window:1024 ;;
  sinks4k) run sinks4k --tokens 4096 --bins 16 --cache sinks:4,1020 ;;
  sink1_4k) run sink1_4k --tokens 4096 --bins 16 --cache sinks:1,1023 ;;
  sinks16k) run sinks16k --tokens "$DENSE_TOKENS" --bins "$BINS" --cache sinks:4,1020 ;;
  *) echo "long_context.sh: unknown config '$c'" >&2; exit 2 ;;
  esac
done
