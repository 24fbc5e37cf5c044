//===- Build.h - attnc build ---------------------------------------*- C++ -*-===//
#ifndef ATTNC_TOOLS_ATTNC_BUILD_H
#define ATTNC_TOOLS_ATTNC_BUILD_H

#include "codegen/Passes.h"
#include "dsl/Spec.h"

namespace mlir {
class DialectRegistry;
} // namespace mlir

#include <string>
#include <vector>

namespace attnc {

struct BuildOptions {
  std::string outDir;
  std::string libName;
  std::string cpu; // empty or "native": the host CPU and its features
  bool noShared = false;
  /// bf16 prefill products stay on AVX-512 FMAs even on an AMX-BF16 target.
  bool noAmx = false;
  bool verbose = true;
  /// GPU kernels too (lib<name>_gpu.{a,so}, <name>_gpu.h) for these
  /// architectures ("sm_80", "sm_90"); none: CPU only.
  std::vector<std::string> gpuArchs;
  std::string ptxas;     // empty: PATH, then /usr/local/cuda/bin
  std::string libdevice; // libdevice bitcode for the f64 math of RoPE
  /// Also compile the tensor-core GPU functions for the CPU, their GPU
  /// operations as calls to an emulation runtime (attn-emulate-gpu-on-cpu;
  /// testing without a GPU).
  bool gpuEmulation = false;
  /// Queries per tensor-core block at most (128, or 64: one warpgroup above
  /// head dim 64; for timing the two shapes side by side).
  int64_t gpuBlockQueries = 128;
  /// Shared buffers per K and V tile in the tensor-core prefill (1 or 2).
  int64_t gpuStages = 1;
  /// Keys per tensor-core tile (0: the pass's default).
  int64_t gpuKeyTile = 0;
  /// sm_90a: the softmax overlaps the tensor cores' P V (async wgmma).
  bool gpuOverlap = false;
};

/// attn-lower-prefill-tensor-core's options from the --gpu-* tuning flags
/// (wgmma left false: it follows each architecture).
mlir::attn::AttnLowerPrefillTensorCorePassOptions tensorCoreOptions(const BuildOptions &options);

/// ATTNC_NO_AMX=1 in the environment (same as --no-amx).
bool amxDisabledByEnvironment();

/// Compiles `specs` ahead of time into DIR/lib<name>.a, DIR/lib<name>.so and
/// DIR/<name>.h. Returns the exit code (errors are printed).
int runBuild(const std::vector<Spec> &specs, const BuildOptions &options);

/// The C type of a kernel buffer element in the generated headers: float,
/// uint16_t bits of bf16/f16, or the integer type.
const char *cElementType(DType t);

/// The attn dialects plus what lowering to PTX needs: gpu and nvvm, their
/// LLVM IR translations and the NVVM target (BuildGPU.cpp).
void registerGPUCompilation(mlir::DialectRegistry &registry);

/// The GPU part (BuildGPU.cpp): DIR/lib<name>_gpu.a, .so, <name>_gpu.h with
/// cubins for options.gpuArchs and host glue on the CUDA driver API.
int runBuildGPU(const std::vector<Spec> &specs, const BuildOptions &options);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_BUILD_H
