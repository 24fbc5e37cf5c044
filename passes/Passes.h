//===- Passes.h - attn transformation passes ---------------------*- C++ -*-===//
#ifndef ATTNC_PASSES_PASSES_H
#define ATTNC_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::attn {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// The attribute attn-classify-blocks attaches to a variant.
inline constexpr llvm::StringLiteral kBlockPlanAttr = "attn.block_plan";

} // namespace mlir::attn

#endif // ATTNC_PASSES_PASSES_H
