//===- Passes.h - attn code generation passes --------------------*- C++ -*-===//
#ifndef ATTNC_CODEGEN_PASSES_H
#define ATTNC_CODEGEN_PASSES_H

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::attn {

#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"

/// What the CPU target offers the lowering.
struct LoweringOptions {
  /// AMX-BF16 tiles (Sapphire Rapids and later): bf16 variants' prefill
  /// products run on them (attn-classify-blocks amx-bf16).
  bool amxBf16 = false;
  /// attn-lower-cache-kernels' `chunk` (0: its default). `attnc build
  /// --gpu-emulation` sets the GPU pipeline's, so the emulated kernels are
  /// the GPU's.
  int64_t cacheChunk = 0;
  /// attn-lower-cache-kernels' `block-threads` (0: one work item per thread).
  int64_t cacheBlockThreads = 0;
  /// The CPU converts f32 to bf16 itself (AVX512-BF16). Otherwise the
  /// rounding is expanded to integer operations: LLVM would call
  /// __truncsfbf2, which libgcc before GCC 13 (Debian 12's) does not have.
  bool nativeBf16 = false;
};

/// Keys per gathered chunk in the GPU cache kernels (per-thread local memory).
constexpr int64_t kGPUCacheChunk = 8;
/// Threads per block of the GPU's block kernels (4 warps): the decode split,
/// RMSNorm.
constexpr int64_t kGPUDecodeThreads = 128;
/// Tiles of 16 query rows per warp in the tensor-core prefill
/// (attn-lower-prefill-tensor-core): two for head dims up to 64, so the B
/// operands one ldmatrix reads feed two mma (half the shared-memory reads
/// per product), one above (the registers of two O tiles would spill).
inline int64_t tensorCoreRowTiles(int64_t headDim, int64_t valueDim) {
  return (headDim > valueDim ? headDim : valueDim) <= 64 ? 2 : 1;
}
/// Whether an LLVM feature string ("+avx512f,+amx-bf16,...") has AMX-BF16
/// and the tile registers.
bool featuresHaveAmxBf16(llvm::StringRef features);

/// The attn-specific lowerings: attn-lower-cache-kernels (decode, append)
/// then attn-lower-to-loops (prefill); the result is memref/scf/vector code
/// (and amx tile ops with `amxBf16`).
void buildAttnToLoopsPipeline(OpPassManager &pm, const LoweringOptions &options = {});
/// The standard conversions from those loops to the LLVM dialect (scf -> cf,
/// vector, math, arith, memref, func -> llvm).
void buildLoopsToLLVMPipeline(OpPassManager &pm, const LoweringOptions &options = {});
/// Both of the above.
void buildLowerToLLVMPipeline(OpPassManager &pm, const LoweringOptions &options = {});

/// attn-lower-cache-kernels and attn-lower-to-loops, then the kernels moved
/// into a gpu.module, lowered to
/// NVVM and serialized to PTX for `chip` (e.g. "sm_80") by LLVM's NVPTX back
/// end, with libdevice linked for the f64 math of RoPE.
void buildLowerToPTXPipeline(OpPassManager &pm, const std::string &chip,
                             const std::string &libdevice);
/// Its two halves: the kernels outlined into `gpu.module @attn_kernels`
/// (gpu.func entry points on memrefs, whose signatures attnc build reads),
/// then that module lowered to NVVM and serialized to PTX.
/// `wgmma`: the tensor-core prefill's products by Hopper's warpgroup MMA
/// (sm_90a only; see usesWarpgroupMma).
/// `tensorCore`: attn-lower-prefill-tensor-core's options (block, stages,
/// key tile), its `wgmma` ignored.
void buildOutlineGPUPipeline(OpPassManager &pm, bool wgmma = false,
                             const AttnLowerPrefillTensorCorePassOptions &tensorCore = {});
/// The architectures whose tensor-core prefill runs on wgmma: sm_90a (the
/// "a" features are not forward compatible: sm_100a has no wgmma).
inline bool usesWarpgroupMma(const std::string &chip) { return chip == "sm_90a"; }
void buildGPUModuleToBinaryPipeline(OpPassManager &pm, const std::string &chip,
                                    const std::string &libdevice);

/// Registers "attn-to-llvm" as a named pipeline for attn-opt.
void registerAttnCodegenPipelines();

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_PASSES_H
