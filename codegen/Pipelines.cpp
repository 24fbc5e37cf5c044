//===- Pipelines.cpp - From the attn dialect to the LLVM dialect ----------===//
#include "codegen/Passes.h"
#include "passes/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

bool mlir::attn::featuresHaveAmxBf16(llvm::StringRef features) {
  llvm::SmallVector<llvm::StringRef> list;
  features.split(list, ',');
  return llvm::is_contained(list, "+amx-bf16") && llvm::is_contained(list, "+amx-tile");
}

void mlir::attn::buildAttnToLoopsPipeline(OpPassManager &pm, const LoweringOptions &options) {
  AttnLowerCacheKernelsPassOptions cache;
  if (options.cacheChunk > 0)
    cache.chunk = options.cacheChunk;
  cache.blockThreads = options.cacheBlockThreads;
  pm.addPass(createAttnLowerCacheKernelsPass(cache));
  // The CPU prefill kernels are tiled; the GPU pipeline keeps one thread per
  // (query, head) item and runs no block plan.
  AttnClassifyBlocksPassOptions plan;
  plan.amxBf16 = options.amxBf16;
  pm.addPass(createAttnClassifyBlocksPass(plan));
  pm.addPass(createAttnLowerToLoopsPass());
}

void mlir::attn::buildLowerToLLVMPipeline(OpPassManager &pm, const LoweringOptions &options) {
  buildAttnToLoopsPipeline(pm, options);
  buildLoopsToLLVMPipeline(pm, options);
}

void mlir::attn::buildLoopsToLLVMPipeline(OpPassManager &pm, const LoweringOptions &options) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createAttnApproximateMathPass());
  // floordivsi, ceildivsi, maximumf... have no direct LLVM lowering; nor
  // has f32 -> bf16 without AVX512-BF16 but a libcall (LoweringOptions).
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = !options.nativeBf16;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addPass(createConvertSCFToCFPass());
  // With the amx tile ops (amx.tile_load... -> llvm.x86.*.internal; LLVM
  // writes the tile configuration).
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.amx = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(memref::createExpandStridedMetadataPass());
  // Subview offsets come out as affine.apply.
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  // Intrinsics where LLVM has them (exp, log, cos, sin, fma...), libm calls
  // for the rest (tanh).
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::attn::buildLowerToPTXPipeline(OpPassManager &pm, const std::string &chip,
                                         const std::string &libdevice) {
  buildOutlineGPUPipeline(pm, usesWarpgroupMma(chip));
  buildGPUModuleToBinaryPipeline(pm, chip, libdevice);
}

void mlir::attn::buildOutlineGPUPipeline(OpPassManager &pm, bool wgmma,
                                          const AttnLowerPrefillTensorCorePassOptions &tensorCoreOptions) {
  // The model's element-wise operations ride along in every GPU library
  // (attn-run --device cuda runs them between its cuBLAS products).
  AttnAddModelOpsPassOptions modelOps;
  modelOps.blockThreads = kGPUDecodeThreads;
  pm.addPass(createAttnAddModelOpsPass(modelOps));
  // Tensor-core functions first: they read the variants, which
  // attn-lower-to-loops replaces.
  AttnLowerPrefillTensorCorePassOptions tensorCore = tensorCoreOptions;
  tensorCore.wgmma = wgmma;
  pm.addPass(createAttnLowerPrefillTensorCorePass(tensorCore));
  AttnLowerCacheKernelsPassOptions cache;
  cache.chunk = kGPUCacheChunk;
  cache.blockThreads = kGPUDecodeThreads;
  pm.addPass(createAttnLowerCacheKernelsPass(cache));
  pm.addPass(createAttnLowerToLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createAttnApproximateMathPass());
  pm.addPass(createAttnOutlineGPUKernelsPass());
}

void mlir::attn::buildGPUModuleToBinaryPipeline(OpPassManager &pm, const std::string &chip,
                                                const std::string &libdevice) {
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createAttnLowerGPUMemorySpacesPass());
  device.addPass(arith::createArithExpandOpsPass());
  device.addPass(createConvertSCFToCFPass());
  device.addPass(memref::createExpandStridedMetadataPass());
  // Subview offsets (prepare_tok's one-token views) come out as affine.apply.
  device.addPass(createLowerAffinePass());
  // convert-gpu-to-nvvm does not lower vector ops in LLVM 19.
  device.addPass(createConvertVectorToLLVMPass());
  // The tensor-core prefill's cp.async (nvgpu.device_async_*).
  device.addPass(createConvertNVGPUToNVVMPass());
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.indexBitwidth = 64;
  device.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  // NVVM ops with no intrinsic form (cp.async with a source size, i.e. the
  // zero fill) become inline PTX; their intrinsic translation would drop it.
  device.addPass(createConvertNVVMToLLVMPass());
  // Scalar math became libdevice calls above; vector math (the inline
  // polynomials' fma) becomes LLVM intrinsics NVPTX can select.
  device.addPass(createConvertMathToLLVMPass());
  device.addPass(createReconcileUnrealizedCastsPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = chip;
  target.features = "+ptx80";
  std::vector<std::string> libs;
  if (!libdevice.empty())
    libs.push_back(libdevice);
  target.linkLibs = libs;
  pm.addPass(createGpuNVVMAttachTarget(target));
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void mlir::attn::registerAttnCodegenPipelines() {
  PassPipelineRegistration<>(
      "attn-to-llvm",
      "Lower attn variants to kernels in the LLVM dialect",
      [](OpPassManager &pm) { buildLowerToLLVMPipeline(pm); });
}
