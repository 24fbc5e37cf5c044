//===- LowerGPUMemorySpaces.cpp - attn-lower-gpu-memory-spaces -------------===//
//
// Replaces the gpu dialect's memory spaces (#gpu.address_space<workgroup>,
// <private>, <global>) by NVPTX's address spaces (3, 5, 1) in every type and
// attribute of a gpu.module. convert-gpu-to-nvvm maps them itself, but
// convert-vector-to-llvm, which runs first (LLVM 19's convert-gpu-to-nvvm
// does not lower vector ops), has no mapping: a vector.load from workgroup
// memory failed its type conversion with an error and was left to the later
// pass.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/IR/AttrTypeSubElements.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERGPUMEMORYSPACESPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct AttnLowerGPUMemorySpacesPass
    : public mlir::attn::impl::AttnLowerGPUMemorySpacesPassBase<AttnLowerGPUMemorySpacesPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    AttrTypeReplacer replacer;
    replacer.addReplacement([ctx](gpu::AddressSpaceAttr a) -> std::optional<Attribute> {
      unsigned space = 0;
      switch (a.getValue()) {
      case gpu::AddressSpace::Global:
        space = 1;
        break;
      case gpu::AddressSpace::Workgroup:
        space = 3;
        break;
      case gpu::AddressSpace::Private:
        space = 5;
        break;
      }
      return IntegerAttr::get(IntegerType::get(ctx, 64), space);
    });
    replacer.recursivelyReplaceElementsIn(getOperation(), /*replaceAttrs=*/true, /*replaceLocs=*/false,
                                          /*replaceTypes=*/true);
  }
};
} // namespace
