#!/usr/bin/env bash
# Builds the long text of bench/long_context.sh (issue 4, "Long context"): the
# license texts on the machine, /usr/share/common-licenses/* and then
# /usr/share/doc/*/copyright, each in sorted order, symlinks resolved,
# identical files kept once, one blank line between files, until the text
# tokenizes to at least MIN_TOKENS SmolLM2 tokens (BOS included). Writes the
# text to OUT and the files used, with the token count and sha256, to
# OUT.sources.
#
# Usage: bench/long_context_text.sh OUT [MIN_TOKENS] [BUILD_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:?usage: bench/long_context_text.sh OUT [MIN_TOKENS] [BUILD_DIR]}
MIN_TOKENS=${2:-65536}
BUILD=${3:-$ROOT/build}
MODEL=$("$ROOT/runtime/tools/fetch-smollm2.sh")
# Token count: attn-run refuses more --tokens than the text has and says how
# many it has (it stops after tokenizing).
count() {
  { "$BUILD/bin/attn-run" perplexity --model "$MODEL" --file "$1" --stream --tokens 2147483647 2>&1 || true; } |
    sed -n "s/.*exceeds the text's \([0-9]*\) tokens.*/\1/p"
}
: > "$OUT"
: > "$OUT.files"
declare -A seen
bytes=0 tokens=0 pending=0
for f in $(ls /usr/share/common-licenses/* | sort) $(ls /usr/share/doc/*/copyright | sort); do
  real=$(readlink -f "$f")
  [[ -f $real ]] || continue
  sum=$(sha256sum < "$real" | cut -d' ' -f1)
  if [[ -n ${seen[$sum]:-} ]]; then continue; fi
  seen[$sum]=1
  cat "$real" >> "$OUT"
  printf '\n' >> "$OUT"
  echo "$f" >> "$OUT.files"
  bytes=$(stat -c %s "$OUT")
  pending=$((pending + 1))
  # Count from 200 kB on (about 3.5 bytes a token), every 10 files.
  if (( bytes >= 200000 && pending >= 10 )); then
    pending=0
    tokens=$(count "$OUT")
    if (( tokens >= MIN_TOKENS )); then break; fi
  fi
done
tokens=$(count "$OUT")
if (( tokens < MIN_TOKENS )); then
  echo "long_context_text: only $tokens tokens of license text on this machine (< $MIN_TOKENS)" >&2
  exit 1
fi
{
  echo "# bench/long_context_text.sh $OUT $MIN_TOKENS"
  echo "# $(wc -l < "$OUT.files") files, $bytes bytes, $tokens SmolLM2 tokens (BOS included), sha256 $(sha256sum < "$OUT" | cut -d' ' -f1)"
  cat "$OUT.files"
} > "$OUT.sources"
rm -f "$OUT.files"
echo "$tokens tokens, $bytes bytes -> $OUT (sources: $OUT.sources)"
