//===- MLIRGen.h - Lower checked specs to the attn dialect -------*- C++ -*-===//
#ifndef ATTNC_DSL_MLIRGEN_H
#define ATTNC_DSL_MLIRGEN_H

#include "dsl/Spec.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <vector>

namespace attnc {

/// Builds one module holding an `attn.variant` per spec plus its kernel entry
/// points (prefill, decode, cache append). Returns null after emitting
/// diagnostics through the context if the result fails to verify.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          const std::vector<Spec> &specs);

} // namespace attnc

#endif // ATTNC_DSL_MLIRGEN_H
