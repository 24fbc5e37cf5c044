#!/usr/bin/env bash
# Fuzzes the GGUF reader for a bounded time.
#   test/fuzz/gguf/run-gguf-fuzzer.sh BUILD_DIR SECONDS
# BUILD_DIR is a build configured with -DATTNC_ENABLE_FUZZERS=ON (clang) that
# also has gguf-make-test-model. Seeds are small valid GGUF files made by
# gguf-make-test-model --tiny. Exits non-zero if the fuzzer finds a crash, a
# sanitizer error, a leak or a timeout; the reproducer is left in
# BUILD_DIR/fuzz/gguf/artifacts.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
seconds=$2

if command -v ninja >/dev/null && [[ -f "$build/build.ninja" ]]; then
  ninja -C "$build" gguf_fuzzer gguf-make-test-model
fi
fuzzer="$build/bin/gguf_fuzzer"
maker="$build/bin/gguf-make-test-model"
[[ -x "$fuzzer" ]] || { echo "error: $fuzzer not built" >&2; exit 2; }

work="$build/fuzz/gguf"
mkdir -p "$work/seeds" "$work/corpus" "$work/artifacts"
if [[ -x "$maker" ]]; then
  "$maker" --tiny "$work/seeds/tiny-v3.gguf"
  "$maker" --tiny --version=2 "$work/seeds/tiny-v2.gguf"
fi
cat > "$work/gguf.dict" <<'DICT'
"GGUF"
"general.architecture"
"general.alignment"
"llama"
"llama.block_count"
"llama.attention.head_count"
"tokenizer.ggml.tokens"
"\x02\x00\x00\x00"
"\x03\x00\x00\x00"
"\x09\x00\x00\x00"
"\x08\x00\x00\x00"
"\x20\x00\x00\x00"
DICT

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$fuzzer" "$work/corpus" "$work/seeds" \
  -dict="$work/gguf.dict" \
  -max_total_time="$seconds" \
  -max_len=8192 \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -artifact_prefix="$work/artifacts/" \
  -print_final_stats=1
