//===- KernelEmitter.h - Shared IR emission for the attention kernels -*- C++ -*-===//
//
// What every CPU/GPU kernel builder of a variant emits the same way: RoPE
// rotation (every scaling and remap), the mask algebra and its key
// intervals, score-expression and predicate regions inlined, ALiBi/T5
// biases, guarded reads of kernel inputs, constant tables. The prefill
// (attn-lower-to-loops) and decode/append (attn-lower-cache-kernels)
// builders derive from it, so both apply exactly the same formulas.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_CODEGEN_LOWERTOLOOPS_KERNELEMITTER_H
#define ATTNC_CODEGEN_LOWERTOLOOPS_KERNELEMITTER_H

#include "codegen/LowerToLoops/RopeFrequencies.h"
#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::attn {

/// A window extent no position difference reaches: window<left = w, right
/// = kUnboundedExtent> keeps every key after the query (the near side of a
/// two-branch RoPE remap).
constexpr int64_t kUnboundedExtent = int64_t(1) << 62;


/// The indices a mask or score expression may read.
struct PairIndices {
  Value batch;      // index
  Value head;       // index
  Value qPos, kPos; // i64
  Value qLen, kLen; // i64
};

/// Heads [h0, h1) sharing one mask and one score expression.
struct HeadSegment {
  int64_t h0, h1;
  MaskAttrInterface mask;          // null: every key
  Region *score = nullptr;         // null: the scaled dot product
  int maskIndex = -1, scoreIndex = -1; // in the variant's masks / scores
  bool maskByInterval = false;     // block plan: classify tiles from the mask tree
  bool scoreOnVectors = false;     // block plan: clone the score region onto vectors
};

class KernelEmitter {
public:
  KernelEmitter(VariantOp variant, ModuleOp module)
      : variant(variant), module(module), b(variant.getContext()),
        loc(variant.getLoc()) {}

protected:
  // Constants.
  Value f32c(OpBuilder &ob, double v) {
    return ob.create<arith::ConstantOp>(loc, ob.getF32FloatAttr(v));
  }
  Value f64c(OpBuilder &ob, double v) {
    return ob.create<arith::ConstantOp>(loc, ob.getF64FloatAttr(v));
  }
  Value i64c(OpBuilder &ob, int64_t v) {
    return ob.create<arith::ConstantIntOp>(loc, v, 64);
  }
  Value idxc(OpBuilder &ob, int64_t v) {
    return ob.create<arith::ConstantIndexOp>(loc, v);
  }
  Value i1c(OpBuilder &ob, bool v) {
    return ob.create<arith::ConstantIntOp>(loc, v, 1);
  }
  Value toIndex(OpBuilder &ob, Value i64v) {
    return ob.create<arith::IndexCastOp>(loc, ob.getIndexType(), i64v);
  }
  Value toI64(OpBuilder &ob, Value idx) {
    return ob.create<arith::IndexCastOp>(loc, ob.getI64Type(), idx);
  }
  Value toF32(OpBuilder &ob, Value v) {
    Type t = v.getType();
    if (t.isF32())
      return v;
    if (isa<FloatType>(t))
      return t.getIntOrFloatBitWidth() > 32
                 ? (Value)ob.create<arith::TruncFOp>(loc, ob.getF32Type(), v)
                 : (Value)ob.create<arith::ExtFOp>(loc, ob.getF32Type(), v);
    return ob.create<arith::SIToFPOp>(loc, ob.getF32Type(), v);
  }
  /// Converts a vector of floats to f32.
  Value vecToF32(OpBuilder &ob, Value v) {
    auto vt = cast<VectorType>(v.getType());
    if (vt.getElementType().isF32())
      return v;
    return ob.create<arith::ExtFOp>(loc, VectorType::get(vt.getShape(), ob.getF32Type()), v);
  }

  /// A private constant memref global named NAME_<name>, created once per
  /// module.
  Value constantTable(StringRef name, ArrayRef<double> values, Type elemType);

  // Stages.
  void rotateInto(OpBuilder &ob, Value src, Value positions, Value dst,
                  int64_t heads, bool isQuery, int remapBranch);
  /// Rotates pair `j` of token `t` of `dst` ([tokens, heads, D] f32, in
  /// place) for every head at the f64 position `posF`: cos/sin once, scaled
  /// by the attention factor (rotateInto's inner step; needs invFreq).
  void rotatePair(OpBuilder &ob, Value dst, Value t, Value j, Value posF, int64_t heads);
  /// (x0 cos - x1 sin, x1 cos + x0 sin): one pair's complex rotation.
  std::pair<Value, Value> rotateValues(OpBuilder &ob, Value x0, Value x1, Value cosv, Value sinv) {
    Value y0 = ob.create<arith::SubFOp>(loc, ob.create<arith::MulFOp>(loc, x0, cosv),
                                        ob.create<arith::MulFOp>(loc, x1, sinv));
    Value y1 = ob.create<arith::AddFOp>(loc, ob.create<arith::MulFOp>(loc, x1, cosv),
                                        ob.create<arith::MulFOp>(loc, x0, sinv));
    return {y0, y1};
  }
  Value loadInvFreqTable(OpBuilder &ob);
  Value emitMask(OpBuilder &ob, MaskAttrInterface mask, const PairIndices &ix);
  Value inlineRegion(OpBuilder &ob, Region &region, ArrayRef<Value> args);
  Value guardedInputLoad(OpBuilder &ob, InputOp op, ValueRange indices);
  Value emitBias(OpBuilder &ob, const PairIndices &ix);
  /// A conservative key-position interval [lo, hi) outside which `mask`
  /// is false for a query at `qPos`; null ends mean unbounded.
  std::pair<Value, Value> maskInterval(OpBuilder &ob, MaskAttrInterface mask,
                                       Value qPos);

  /// The window of the variant's two-branch RoPE remap (ReRoPE,
  /// Self-Extend): pairs with qPos - kPos >= it use the far rows; 0 without one.
  int64_t remapWindowOf();
  /// q·k of one (query, key) pair, summed as a tree; with a two-branch RoPE
  /// remap (ReRoPE, Self-Extend) the far rows when qPos - kPos >= its window.
  Value emitPairDot(OpBuilder &ob, Value qRow, Value kRow, Value qRowFar, Value kRowFar,
                    Value qPos, Value kPos);
  /// The memref types of the variant's kernel inputs, in declaration order
  /// (symbolic dimensions dynamic).
  SmallVector<Type> kernelInputTypes();
  /// dot * scale, then the head's score expression and the position bias.
  Value emitScore(OpBuilder &ob, Value dot, const PairIndices &ix, Region *scoreRegion);
  /// Folds the normalizer's extra logit (sink logits, off-by-one) of head
  /// `head` into (max, sum, acc); a no-op for plain softmax.
  SmallVector<Value, 3> applyNormalizer(OpBuilder &ob, Value head, Value m, Value l,
                                        Value acc);
  /// The head segments [h0, h1) that share one mask and one score
  /// expression, in head order.
  SmallVector<HeadSegment> headSegments();

  VariantOp variant;
  ModuleOp module;
  OpBuilder b;
  Location loc;
  // The kernel inputs of the function being built, by name.
  llvm::StringMap<Value> inputArgs;
  // Scratch buffers and tables.
  Value invFreq;          // memref<halfxf64> (run-time selected / computed)
  Value alibiSlopes;      // memref<Hxf32>
  RopeFrequencies freqs;
  RopeAttr rope;
  Value seqLenF64;        // current length for dynamic rules
};

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_LOWERTOLOOPS_KERNELEMITTER_H
