//===- AttnTypes.cpp - Types of the attn dialect --------------------------===//
#include "dialects/Attn/IR/AttnTypes.h"
#include "dialects/Attn/IR/AttnDialect.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

#define GET_TYPEDEF_CLASSES
#include "dialects/Attn/IR/AttnTypes.cpp.inc"

void AttnDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/Attn/IR/AttnTypes.cpp.inc"
      >();
}

LogicalResult KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  CacheAttrInterface layout, int64_t kvHeads,
                                  int64_t headDim, int64_t valueDim, Type k,
                                  Type v) {
  if (!layout)
    return emitError() << "kv_cache needs a layout";
  if (kvHeads < 1 || headDim < 1 || valueDim < 1)
    return emitError() << "kv_cache dimensions must be >= 1, got kv_heads = "
                       << kvHeads << ", head_dim = " << headDim
                       << ", value_dim = " << valueDim;
  for (Type t : {k, v})
    if (!t.isF32() && !t.isF16() && !t.isBF16())
      return emitError() << "kv_cache element types must be f32, f16 or bf16, got "
                         << t;
  return success();
}
