//===- AttnAttrs.h - Attributes of the attn dialect --------------*- C++ -*-===//
#ifndef ATTNC_DIALECTS_ATTN_IR_ATTNATTRS_H
#define ATTNC_DIALECTS_ATTN_IR_ATTNATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialects/Attn/IR/AttnEnums.h.inc"
#include "dialects/Attn/IR/AttnAttrInterfaces.h.inc"

namespace mlir::attn {
// Custom parameter printers and parsers named from AttnBase.td.
void printDouble(AsmPrinter &printer, FloatAttr value);
FailureOr<FloatAttr> parseDouble(AsmParser &parser);
void printDoubleList(AsmPrinter &printer, DenseF64ArrayAttr values);
FailureOr<DenseF64ArrayAttr> parseDoubleList(AsmParser &parser);
void printIntList(AsmPrinter &printer, ArrayRef<int64_t> values);
FailureOr<SmallVector<int64_t>> parseIntList(AsmParser &parser);
FailureOr<bool> parseBool(AsmParser &parser);
} // namespace mlir::attn

#define GET_ATTRDEF_CLASSES
#include "dialects/Attn/IR/AttnAttrs.h.inc"

#endif // ATTNC_DIALECTS_ATTN_IR_ATTNATTRS_H
