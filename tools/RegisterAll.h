//===- RegisterAll.h - Dialects every attnc tool loads -----------*- C++ -*-===//
//
// One registration point shared by attn-opt and attnc, listing exactly the
// upstream dialects the tools parse (linking all of MLIR costs ~50 s and
// 2.6 GB per link on the 2-core build machine).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TOOLS_REGISTERALL_H
#define ATTNC_TOOLS_REGISTERALL_H

#include "dialects/Attn/IR/AttnDialect.h"
#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"

namespace attnc {
inline void registerAttnDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::attn::AttnDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::func::FuncDialect,
                  mlir::tensor::TensorDialect, mlir::memref::MemRefDialect,
                  mlir::scf::SCFDialect, mlir::vector::VectorDialect,
                  mlir::LLVM::LLVMDialect, mlir::gpu::GPUDialect, mlir::amx::AMXDialect>();
}
} // namespace attnc

#endif // ATTNC_TOOLS_REGISTERALL_H
