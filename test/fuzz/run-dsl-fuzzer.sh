#!/usr/bin/env bash
# Fuzzes the .attn front end for a bounded time.
#   test/fuzz/run-dsl-fuzzer.sh BUILD_DIR SECONDS
# BUILD_DIR is a build configured with -DATTNC_ENABLE_FUZZERS=ON (clang).
# The seed corpus is every spec in specs/ and test/DSL/. Exits non-zero if
# the fuzzer finds a crash, a sanitizer error, a leak or a timeout; the
# reproducer is left in BUILD_DIR/fuzz/dsl/artifacts.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
seconds=$2
src=$(cd "$(dirname "$0")/../.." && pwd)

if command -v ninja >/dev/null && [[ -f "$build/build.ninja" ]]; then
  ninja -C "$build" dsl_fuzzer
fi
fuzzer="$build/bin/dsl_fuzzer"
[[ -x "$fuzzer" ]] || { echo "error: $fuzzer not built" >&2; exit 2; }

work="$build/fuzz/dsl"
mkdir -p "$work/seeds" "$work/corpus" "$work/artifacts"
shopt -s nullglob
for f in "$src"/specs/*.attn "$src"/test/DSL/*.attn "$src"/test/DSL/Inputs/*; do
  [[ -f "$f" ]] && cp "$f" "$work/seeds/"
done
# Keep one shared dictionary of the language's words: it lets the fuzzer
# reach Sema instead of stopping at the lexer.
cat > "$work/attn.dict" <<'DICT'
"attention"
"input"
"heads"
"kv_heads"
"head_dim"
"value_dim"
"dtype"
"scale"
"lse"
"position"
"mask"
"score"
"normalizer"
"tile"
"blocks"
"cache"
"rope("
"alibi("
"t5_bias("
"causal"
"window("
"sinks("
"predicate("
"softcap("
"yarn("
"longrope("
"paged("
"ring("
"q_pos"
"k_pos"
"f32"
"bf16"
"i32"
"tokens"
"**"
"&&"
"||"
DICT

# -max_total_time bounds the run; libFuzzer exits non-zero on any finding.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$fuzzer" "$work/corpus" "$work/seeds" \
  -dict="$work/attn.dict" \
  -max_total_time="$seconds" \
  -max_len=4096 \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -artifact_prefix="$work/artifacts/" \
  -print_final_stats=1
