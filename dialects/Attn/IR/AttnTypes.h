//===- AttnTypes.h - Types of the attn dialect -------------------*- C++ -*-===//
#ifndef ATTNC_DIALECTS_ATTN_IR_ATTNTYPES_H
#define ATTNC_DIALECTS_ATTN_IR_ATTNTYPES_H

#include "dialects/Attn/IR/AttnAttrs.h"
#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "dialects/Attn/IR/AttnTypes.h.inc"

#endif // ATTNC_DIALECTS_ATTN_IR_ATTNTYPES_H
