#!/usr/bin/env bash
# Everything GPU in one call, on the GPU machine (after bench/gpu/prepare.sh on
# the build machine; see there):
#   1. builds gpu-check (plain C++17, the CUDA driver through dlopen, no LLVM);
#   2. runs every spec's kernels on the GPU against the float64 reference
#      (carry/cases: one PASS/FAIL line per case, then "N passed, M failed"):
#      the default kernels (tensor cores for bf16/f16 specs: wgmma on an
#      H100, whose sm_90a cubin the library carries), the mma.sync ones (the
#      library built for sm_80,sm_90), then the CUDA-core ones
#      (ATTNC_GPU_CUDA_CORES=1); each mode also packs every spec's cases
#      into one ragged batch (gpu-check --varlen, NAME_prefill_varlen_gpu),
#      and the tensor-core modes replay the decode traces' calls as prefills
#      over the cache (gpu-check --cache-prefill, NAME_prefill_cache_gpu; and
#      as one batch per trace, --cache-prefill-batch);
#      The tuning builds (lib/tune-*: two stages, 128-key tiles, overlap) run
#      their four specs' cases and prefills over the cache;
#   3. times prefill side by side, attnc (wgmma and mma.sync) vs PyTorch SDPA
#      and FlexAttention (bench.py over bench/specs/gpu; LENS, REPEATS,
#      NO_FLEX=1 to adjust), and last the tuning builds against the default;
#   4. runs attn-run --device cuda (cuBLAS dense layers, the generated
#      attention and RMSNorm/SwiGLU kernels) on a SmolLM2-135M-shaped model:
#      its perplexity against the CPU's (carried), then generation speed.
# Logs go to $OUT (the device tool's) or bench/gpu/out. Exit status: step 2's.
# Each step runs under a time limit (a kernel that hangs on the GPU, e.g. a
# barrier some threads never reach, would otherwise spend the whole call and
# leave the later steps unrun): 100 s per correctness mode, 40 s per model
# run, and the benchmark what is left of BUDGET (520 s: the device call's 540
# less the unpacking) after 170 s kept for the model; a step that times out
# says so.
#
# Dry run without a GPU (the stand-in driver runs the launches on CPU builds
# of the same specs, attnc build --gpu-emulation; bench.py without PyTorch
# times attnc only, and the emulated timings mean nothing):
#   clang-19 -O2 -shared -fPIC -o fake.so test/GPU/Inputs/fake_cuda.c -lm
#   ATTNC_CUDA_DRIVER=$PWD/fake.so ATTNC_CUBLAS=$PWD/fake.so FAKE_QUIET=1 \
#   FAKE_CPU_KERNELS=EMU/libattn_kernels.so:EMU2/libgpu_bench.so LENS=128 NO_FLEX=1 bench/gpu/run.sh
# (a carry with a few specs' cases keeps it to minutes).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CARRY=${CARRY:-$ROOT/bench/gpu/carry}
LOGS=${OUT:-$ROOT/bench/gpu/out}
WORK=$(mktemp -d)
mkdir -p "$LOGS"
cd "$WORK" || exit 2
tar -xJf "$CARRY/lib.tar.xz" && tar -xJf "$CARRY/cases.tar.xz" || { echo "run: no carry (run prepare.sh)"; exit 2; }
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tee "$LOGS/device.txt"
CXX=${CXX:-$(command -v c++ || command -v g++ || command -v clang++)}
"$CXX" -O2 -std=c++17 -I"$ROOT" "$ROOT/bench/gpu/gpu_check.cpp" "$ROOT/tools/common/Npy.cpp" "$ROOT/runtime/gpu/CudaDriver.cpp" -ldl -o gpu-check \
  || { echo "run: cannot build gpu-check"; exit 2; }
rc=0
for mode in tensor-cores mma-sync cuda-cores; do
  echo "== correctness ($mode): every spec's GPU kernels vs the float64 reference"
  cores="" lib=./lib/libattn_kernels_gpu.so
  [[ $mode == cuda-cores ]] && cores=1
  [[ $mode == mma-sync ]] && lib=./lib/mma/libattn_kernels_gpu.so
  ATTNC_GPU_CUDA_CORES=$cores timeout -k 5 100 ./gpu-check --lib $lib --name attn_kernels cases/*/ \
    > "$LOGS/gpu-check-$mode.txt" 2>&1
  st=$?
  ((st == 124 || st == 137)) && echo "run: gpu-check ($mode) timed out after 100 s" >> "$LOGS/gpu-check-$mode.txt"
  ((st)) && rc=1
  grep -v PASS "$LOGS/gpu-check-$mode.txt" | head -40
  tail -1 "$LOGS/gpu-check-$mode.txt"
  # Ragged batches: each spec's cases packed into one batch (--varlen: one
  # NAME_prefill_varlen_gpu call, each sequence against its own reference).
  vlog="$LOGS/gpu-check-varlen-$mode.txt"
  ATTNC_GPU_CUDA_CORES=$cores timeout -k 5 60 ./gpu-check --lib $lib --name attn_kernels --varlen cases/*/ > "$vlog" 2>&1
  st=$?
  ((st == 124 || st == 137)) && echo "run: gpu-check --varlen ($mode) timed out after 60 s" >> "$vlog"
  ((st)) && rc=1
  grep -E "FAIL|ERROR|run:" "$vlog" | head -20
  echo "varlen ($mode): $(tail -1 "$vlog")"
  # Prefill over the cache (tensor cores only): each decode trace's calls
  # as NAME_prefill_cache_gpu (cache rows gathered, then the tensor-core
  # prefill), against the same reference.
  if [[ $mode != cuda-cores ]]; then
    clog="$LOGS/gpu-check-cache-prefill-$mode.txt"
    timeout -k 5 40 ./gpu-check --lib $lib --name attn_kernels --cache-prefill cases/*/ > "$clog" 2>&1
    st=$?
    ((st == 124 || st == 137)) && echo "run: gpu-check --cache-prefill ($mode) timed out after 40 s" >> "$clog"
    ((st)) && rc=1
    grep -E "FAIL|ERROR|run:" "$clog" | head -20
    echo "cache prefill ($mode): $(tail -1 "$clog")"
    # The same calls as one batch per trace (NAME_prefill_cache_varlen_gpu).
    blog="$LOGS/gpu-check-cache-prefill-batch-$mode.txt"
    timeout -k 5 40 ./gpu-check --lib $lib --name attn_kernels --cache-prefill-batch cases/*/ > "$blog" 2>&1
    st=$?
    ((st == 124 || st == 137)) && echo "run: gpu-check --cache-prefill-batch ($mode) timed out after 40 s" >> "$blog"
    ((st)) && rc=1
    grep -E "FAIL|ERROR|run:" "$blog" | head -20
    echo "cache prefill batch ($mode): $(tail -1 "$blog")"
  fi
done
echo "== correctness (tuning builds: other tensor-core pipelines, sm_90a)"
checked=()
for d in cases/{mistral_7b,off_by_one,gpt_oss_sinks,tc_remap_small}.*/; do [[ -d $d ]] && checked+=("$d"); done
for t in lib/tune-*/; do
  label=$(basename "$t") tlog="$LOGS/gpu-check-$(basename "$t").txt"
  { timeout -k 5 40 ./gpu-check --lib "$t/libgpu_bench_gpu.so" --name gpu_bench "${checked[@]}"; echo "status $?"
    timeout -k 5 30 ./gpu-check --lib "$t/libgpu_bench_gpu.so" --name gpu_bench --cache-prefill "${checked[@]}"; echo "status $?"; } > "$tlog" 2>&1
  grep -q "^status [1-9]" "$tlog" && rc=1
  grep -E "FAIL|ERROR|status [1-9]" "$tlog" | head -10
  echo "$label: $(grep -E '^gpu-check.*passed' "$tlog" | tr '\n' ' ')"
done
echo "== prefill: attnc vs PyTorch SDPA / FlexAttention (bf16, batch 1)"
flex=""
[[ -n ${NO_FLEX:-} ]] && flex=--no-flex
bench_s=$(( ${BUDGET:-520} - SECONDS - 170 ))
((bench_s < 60)) && bench_s=60
echo "(benchmark time limit ${bench_s} s)"
timeout -k 5 $bench_s python3 "$ROOT/bench/gpu/bench.py" --gpu-check ./gpu-check --lib ./lib/libgpu_bench_gpu.so --name gpu_bench \
  --alt-lib "mma.sync=./lib/mma/libgpu_bench_gpu.so" --alt-lib "64-query blocks=./lib/q64/libgpu_bench_gpu.so" \
  --tune-lib "2 stages=./lib/tune-s2/libgpu_bench_gpu.so" --tune-lib "128-key tiles=./lib/tune-k128/libgpu_bench_gpu.so" \
  --tune-lib "overlap=./lib/tune-ov/libgpu_bench_gpu.so" \
  --lens "${LENS:-1024,4096,16384}" --repeats "${REPEATS:-5}" $flex 2>&1 | tee "$LOGS/bench.txt"
st=${PIPESTATUS[0]}
((st == 124 || st == 137)) && echo "run: the benchmark timed out after ${bench_s} s" | tee -a "$LOGS/bench.txt"
echo "== attn-run --device cuda: SmolLM2-135M's shapes (pseudo-random weights) vs the CPU's f32 perplexity"
if tar -xJf "$CARRY/model.tar.xz" && ./model/gguf-make-test-model --smollm2-full model/full.gguf; then
  # cuBLAS: the toolkit's, else PyTorch's wheel (ATTNC_CUBLAS wins).
  if [[ -z ${ATTNC_CUBLAS:-} ]]; then
    site=$(python3 -c 'import site; print(site.getsitepackages()[0])' 2> /dev/null)
    for c in /usr/local/cuda/lib64/libcublas.so.* "$site"/nvidia/*/lib/libcublas.so.*; do
      [[ -f $c ]] && { export ATTNC_CUBLAS=$c; break; }
    done
  fi
  [[ -n ${ATTNC_CUBLAS:-} ]] && export LD_LIBRARY_PATH=$(dirname "$ATTNC_CUBLAS")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  echo "cuBLAS: ${ATTNC_CUBLAS:-(none found: the default search)}"
  for spec in smollm2_135m smollm2_135m_paged; do
    timeout -k 5 40 ./model/attn-run perplexity --model model/full.gguf --spec "$ROOT/specs/$spec.attn" --file model/text.txt \
      --ctx 256 --max-chunks 4 --device cuda > "$LOGS/model-ppl-$spec.txt" 2> "$LOGS/model-ppl-$spec.err"
    cpu=$(awk '{print $3}' "model/cpu-ppl-$spec.txt"); gpu=$(awk '/^PPL/ {print $3}' "$LOGS/model-ppl-$spec.txt")
    # f32 on both sides, different summation orders over 30 layers: 1e-3 relative.
    if awk -v a="$cpu" -v b="$gpu" 'BEGIN { d = (a - b) / a; if (d < 0) d = -d; exit !(b != "" && d <= 1e-3) }'; then
      echo "PASS attn-run $spec: PPL $gpu on the GPU, $cpu on the CPU"
    else
      echo "FAIL attn-run $spec: PPL '$gpu' on the GPU, $cpu on the CPU (a timeout leaves it empty)"; tail -3 "$LOGS/model-ppl-$spec.err"; rc=1
    fi
    timeout -k 5 40 ./model/attn-run generate --model model/full.gguf --spec "$ROOT/specs/$spec.attn" --prompt "the river that runs" \
      --max-tokens 256 --device cuda > /dev/null 2> "$LOGS/model-gen-$spec.txt" || rc=1
    grep "^attn-run" "$LOGS/model-gen-$spec.txt" | tail -2
  done
else
  echo "FAIL attn-run: no model (carry/model.tar.xz)"; rc=1
fi
exit $rc
