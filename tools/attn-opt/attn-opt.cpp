//===- attn-opt.cpp - Optimizer driver for the attn dialect ---------------===//
#include "codegen/Passes.h"
#include "passes/Passes.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "tools/RegisterAll.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  attnc::registerAttnDialects(registry);
  mlir::attn::registerAttnCodegenPasses();
  mlir::attn::registerAttnTransformsPasses();
  mlir::attn::registerAttnCodegenPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "attn optimizer driver\n", registry));
}
