//===- LowerToLoops.cpp - attn-lower-to-loops ------------------------------===//
//
// Builds, for each attn.variant, a prefill kernel on memrefs: RoPE applied
// once per token into f32 scratch buffers, then one online-softmax pass per
// (head, query) over the keys with the mask, score expression and biases
// inlined. Heads are split into segments that share one mask and one score
// expression, so per-head masks cost no per-element dispatch.
//
//===----------------------------------------------------------------------===//
#include "codegen/LowerToLoops/RopeFrequencies.h"
#include "codegen/Passes.h"
#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"

#include <cmath>
#include <limits>
#include <set>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERTOLOOPSPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// The indices a mask or score expression may read.
struct PairIndices {
  Value batch;      // index
  Value head;       // index
  Value qPos, kPos; // i64
  Value qLen, kLen; // i64
};

class PrefillKernelBuilder {
public:
  PrefillKernelBuilder(VariantOp variant, ModuleOp module)
      : variant(variant), module(module), b(variant.getContext()),
        loc(variant.getLoc()) {}

  LogicalResult build();

private:
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

  Value constantTable(StringRef name, ArrayRef<double> values, Type elemType);

  // Stages.
  void rotateInto(OpBuilder &ob, Value src, Value positions, Value dst,
                  int64_t heads, bool isQuery, int remapBranch);
  Value loadInvFreqTable(OpBuilder &ob);
  Value emitMask(OpBuilder &ob, MaskAttrInterface mask, const PairIndices &ix);
  Value inlineRegion(OpBuilder &ob, Region &region, ArrayRef<Value> args);
  Value guardedInputLoad(OpBuilder &ob, InputOp op, ValueRange indices);
  Value emitBias(OpBuilder &ob, const PairIndices &ix);
  /// A conservative key-position interval [lo, hi) outside which `mask`
  /// is false for a query at `qPos`; null ends mean unbounded.
  std::pair<Value, Value> maskInterval(OpBuilder &ob, MaskAttrInterface mask,
                                       Value qPos);

  VariantOp variant;
  ModuleOp module;
  OpBuilder b;
  Location loc;
  // Kernel arguments.
  Value qArg, kArg, vArg, qPosArg, kPosArg, batchArg, outArg, lseArg;
  llvm::StringMap<Value> inputArgs;
  // Scratch buffers and tables.
  Value invFreq;          // memref<halfxf64> (run-time selected / computed)
  Value alibiSlopes;      // memref<Hxf32>
  RopeFrequencies freqs;
  RopeAttr rope;
  Value seqLenF64;        // current length for dynamic rules
};

Value PrefillKernelBuilder::constantTable(StringRef name, ArrayRef<double> values,
                                          Type elemType) {
  std::string symbol = (variant.getSymName() + "_" + name).str();
  auto type = MemRefType::get({(int64_t)values.size()}, elemType);
  if (!module.lookupSymbol(symbol)) {
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    SmallVector<Attribute> attrs;
    for (double v : values)
      attrs.push_back(FloatAttr::get(elemType, v));
    auto init = DenseElementsAttr::get(
        RankedTensorType::get({(int64_t)values.size()}, elemType), attrs);
    mb.create<memref::GlobalOp>(loc, symbol, mb.getStringAttr("private"), type,
                                init, /*constant=*/true, IntegerAttr());
  }
  return b.create<memref::GetGlobalOp>(loc, type, symbol);
}

/// The inverse-frequency table for this call: constant, or chosen/computed
/// from the current length (LongRoPE, dynamic NTK).
Value PrefillKernelBuilder::loadInvFreqTable(OpBuilder &ob) {
  int64_t half = freqs.rotaryDim / 2;
  Value table = constantTable("inv_freq", freqs.invFreq, ob.getF64Type());
  auto type = MemRefType::get({half}, ob.getF64Type());
  if (!freqs.invFreqLong.empty()) {
    Value longTable = constantTable("inv_freq_long", freqs.invFreqLong, ob.getF64Type());
    Value isLong = ob.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT,
                                            seqLenF64, f64c(ob, freqs.originalContext));
    return ob.create<arith::SelectOp>(loc, isLong, longTable, table);
  }
  if (!freqs.dynamicNTK)
    return table;
  // theta' = theta * ((s * len / L) - (s - 1))^(r / (r - 2)) when len > L.
  Value buffer = ob.create<memref::AllocaOp>(loc, type);
  double r = freqs.rotaryDim;
  Value s = f64c(ob, freqs.factor), L = f64c(ob, freqs.originalContext);
  Value grown = ob.create<arith::SubFOp>(
      loc, ob.create<arith::DivFOp>(loc, ob.create<arith::MulFOp>(loc, s, seqLenF64), L),
      f64c(ob, freqs.factor - 1));
  Value scaledBase = ob.create<arith::MulFOp>(
      loc, f64c(ob, freqs.theta),
      ob.create<math::PowFOp>(loc, grown, f64c(ob, r / (r - 2))));
  Value useScaled = ob.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, seqLenF64, L);
  Value thetaNow = ob.create<arith::SelectOp>(loc, useScaled, scaledBase, f64c(ob, freqs.theta));
  Value logTheta = ob.create<math::LogOp>(loc, thetaNow);
  ob.create<scf::ForOp>(
      loc, idxc(ob, 0), idxc(ob, half), idxc(ob, 1), ValueRange{},
      [&](OpBuilder &lb, Location, Value j, ValueRange) {
        Value jf = lb.create<arith::SIToFPOp>(loc, lb.getF64Type(), toI64(lb, j));
        Value expo = lb.create<arith::MulFOp>(loc, jf, f64c(lb, -2.0 / r));
        Value inv = lb.create<math::ExpOp>(loc, lb.create<arith::MulFOp>(loc, expo, logTheta));
        // Rounded to f32 like the constant tables (semantics.md §5.1).
        inv = lb.create<arith::ExtFOp>(
            loc, lb.getF64Type(), lb.create<arith::TruncFOp>(loc, lb.getF32Type(), inv).getResult());
        lb.create<memref::StoreOp>(loc, inv, buffer, j);
        lb.create<scf::YieldOp>(loc);
      });
  return buffer;
}

/// Writes `src` ([tokens, heads, D]) rotated at `positions` into the f32
/// buffer `dst`. remapBranch 0: the positions themselves; 1: the far branch
/// of a position remap (ReRoPE: queries at the window, keys unrotated;
/// Self-Extend: grouped positions).
void PrefillKernelBuilder::rotateInto(OpBuilder &ob, Value src, Value positions,
                                      Value dst, int64_t heads, bool isQuery,
                                      int remapBranch) {
  ShapeAttr shape = variant.getShape();
  int64_t d = shape.getHeadDim();
  int64_t r = rope ? rope.getRotaryDim() : 0;
  int64_t half = r / 2;
  bool interleaved = rope && rope.getLayout() == RopeLayout::Interleaved;
  Attribute remap = rope ? rope.getRemap() : Attribute();
  Value n = ob.create<memref::DimOp>(loc, src, 0);
  ob.create<scf::ForOp>(
      loc, idxc(ob, 0), n, idxc(ob, 1), ValueRange{},
      [&](OpBuilder &tb, Location, Value t, ValueRange) {
        Value pos = tb.create<memref::LoadOp>(loc, positions, t);
        // Effective position of this token in this branch.
        Value effPos = pos;
        if (remapBranch == 1) {
          if (auto rr = dyn_cast_or_null<ReRopeRemapAttr>(remap))
            effPos = isQuery ? i64c(tb, rr.getWindow()) : i64c(tb, 0);
          else if (auto se = dyn_cast_or_null<SelfExtendRemapAttr>(remap)) {
            int64_t g = se.getGroup(), w = se.getWindow();
            Value grouped = tb.create<arith::FloorDivSIOp>(loc, pos, i64c(tb, g));
            effPos = isQuery ? (Value)tb.create<arith::AddIOp>(
                                   loc, grouped, i64c(tb, w - w / g))
                             : grouped;
          }
        }
        Value posF = tb.create<arith::SIToFPOp>(loc, tb.getF64Type(), effPos);
        // ReRoPE's log-n query scaling: max(1, ln(pos + 1) / ln(T)).
        Value qScale;
        if (auto rr = dyn_cast_or_null<ReRopeRemapAttr>(remap);
            rr && isQuery && rr.getLogScaleBase().getValueAsDouble() > 0) {
          Value p1 = tb.create<arith::AddFOp>(
              loc, tb.create<arith::SIToFPOp>(loc, tb.getF64Type(), pos), f64c(tb, 1));
          Value ratio = tb.create<arith::DivFOp>(
              loc, tb.create<math::LogOp>(loc, p1),
              f64c(tb, std::log(rr.getLogScaleBase().getValueAsDouble())));
          qScale = tb.create<arith::TruncFOp>(
              loc, tb.getF32Type(), tb.create<arith::MaximumFOp>(loc, ratio, f64c(tb, 1)));
        }
        tb.create<scf::ForOp>(
            loc, idxc(tb, 0), idxc(tb, heads), idxc(tb, 1), ValueRange{},
            [&](OpBuilder &hb, Location, Value h, ValueRange) {
              // Copy (converting to f32) every dimension, then rotate pairs.
              hb.create<scf::ForOp>(
                  loc, idxc(hb, 0), idxc(hb, d), idxc(hb, 1), ValueRange{},
                  [&](OpBuilder &cb, Location, Value c, ValueRange) {
                    Value x = toF32(cb, cb.create<memref::LoadOp>(loc, src, ValueRange{t, h, c}));
                    if (qScale)
                      x = cb.create<arith::MulFOp>(loc, x, qScale);
                    cb.create<memref::StoreOp>(loc, x, dst, ValueRange{t, h, c});
                    cb.create<scf::YieldOp>(loc);
                  });
              if (half == 0) {
                hb.create<scf::YieldOp>(loc);
                return;
              }
              hb.create<scf::ForOp>(
                  loc, idxc(hb, 0), idxc(hb, half), idxc(hb, 1), ValueRange{},
                  [&](OpBuilder &pb, Location, Value j, ValueRange) {
                    Value inv = pb.create<memref::LoadOp>(loc, invFreq, j);
                    Value angle = pb.create<arith::MulFOp>(loc, posF, inv);
                    Value af = f64c(pb, freqs.attentionFactor);
                    Value cosv = pb.create<arith::TruncFOp>(
                        loc, pb.getF32Type(),
                        pb.create<arith::MulFOp>(loc, pb.create<math::CosOp>(loc, angle), af));
                    Value sinv = pb.create<arith::TruncFOp>(
                        loc, pb.getF32Type(),
                        pb.create<arith::MulFOp>(loc, pb.create<math::SinOp>(loc, angle), af));
                    Value i0, i1;
                    if (interleaved) {
                      i0 = pb.create<arith::MulIOp>(loc, j, idxc(pb, 2));
                      i1 = pb.create<arith::AddIOp>(loc, i0, idxc(pb, 1));
                    } else {
                      i0 = j;
                      i1 = pb.create<arith::AddIOp>(loc, j, idxc(pb, half));
                    }
                    Value x0 = pb.create<memref::LoadOp>(loc, dst, ValueRange{t, h, i0});
                    Value x1 = pb.create<memref::LoadOp>(loc, dst, ValueRange{t, h, i1});
                    Value y0 = pb.create<arith::SubFOp>(
                        loc, pb.create<arith::MulFOp>(loc, x0, cosv),
                        pb.create<arith::MulFOp>(loc, x1, sinv));
                    Value y1 = pb.create<arith::AddFOp>(
                        loc, pb.create<arith::MulFOp>(loc, x1, cosv),
                        pb.create<arith::MulFOp>(loc, x0, sinv));
                    pb.create<memref::StoreOp>(loc, y0, dst, ValueRange{t, h, i0});
                    pb.create<memref::StoreOp>(loc, y1, dst, ValueRange{t, h, i1});
                    pb.create<scf::YieldOp>(loc);
                  });
              hb.create<scf::YieldOp>(loc);
            });
        tb.create<scf::YieldOp>(loc);
      });
}

Value PrefillKernelBuilder::guardedInputLoad(OpBuilder &ob, InputOp op,
                                             ValueRange indices) {
  Value buffer = inputArgs.lookup(op.getName());
  Type elem = op.getResult().getType();
  Value inBounds = i1c(ob, true);
  SmallVector<Value> idx;
  for (auto [dim, i] : llvm::enumerate(indices)) {
    Value i64v = i;
    if (i.getType().isIndex())
      i64v = toI64(ob, i);
    else if (!i.getType().isInteger(64))
      i64v = ob.create<arith::ExtSIOp>(loc, ob.getI64Type(), i);
    Value size = toI64(ob, ob.create<memref::DimOp>(loc, buffer, dim));
    Value ok = ob.create<arith::AndIOp>(
        loc,
        ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, i64v, i64c(ob, 0)),
        ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, i64v, size));
    inBounds = ob.create<arith::AndIOp>(loc, inBounds, ok);
    idx.push_back(toIndex(ob, i64v));
  }
  // Out-of-range reads give 0 (documented in semantics.md) instead of UB.
  auto ifOp = ob.create<scf::IfOp>(
      loc, inBounds,
      [&](OpBuilder &tb, Location) {
        tb.create<scf::YieldOp>(loc, ValueRange{tb.create<memref::LoadOp>(loc, buffer, idx)});
      },
      [&](OpBuilder &eb, Location) {
        Value zero = isa<FloatType>(elem)
                         ? (Value)eb.create<arith::ConstantOp>(loc, eb.getFloatAttr(elem, 0))
                         : (Value)eb.create<arith::ConstantIntOp>(loc, 0, elem.getIntOrFloatBitWidth());
        eb.create<scf::YieldOp>(loc, zero);
      });
  return ifOp.getResult(0);
}

/// Clones `region`'s single block at the insertion point with its arguments
/// bound to `args`; returns the yielded value.
Value PrefillKernelBuilder::inlineRegion(OpBuilder &ob, Region &region,
                                         ArrayRef<Value> args) {
  Block &block = region.front();
  IRMapping map;
  for (auto [arg, v] : llvm::zip(block.getArguments(), args))
    map.map(arg, v);
  for (Operation &op : block.without_terminator()) {
    if (auto in = dyn_cast<InputOp>(op)) {
      SmallVector<Value> idx;
      for (Value i : in.getIndices())
        idx.push_back(map.lookup(i));
      map.map(in.getResult(), guardedInputLoad(ob, in, idx));
      continue;
    }
    ob.clone(op, map);
  }
  return map.lookup(cast<YieldOp>(block.getTerminator()).getValue());
}

Value PrefillKernelBuilder::emitMask(OpBuilder &ob, MaskAttrInterface mask,
                                     const PairIndices &ix) {
  auto cmp = [&](arith::CmpIPredicate p, Value a, Value c) {
    return ob.create<arith::CmpIOp>(loc, p, a, c);
  };
  auto andv = [&](Value a, Value c) { return ob.create<arith::AndIOp>(loc, a, c); };
  auto orv = [&](Value a, Value c) { return ob.create<arith::OrIOp>(loc, a, c); };
  Value d = ob.create<arith::SubIOp>(loc, ix.qPos, ix.kPos);
  using P = arith::CmpIPredicate;
  if (isa<FullMaskAttr>(mask))
    return i1c(ob, true);
  if (isa<CausalMaskAttr>(mask))
    return cmp(P::sle, ix.kPos, ix.qPos);
  if (auto w = dyn_cast<WindowMaskAttr>(mask))
    return andv(cmp(P::sge, d, i64c(ob, -w.getRight())), cmp(P::slt, d, i64c(ob, w.getLeft())));
  if (auto s = dyn_cast<SinksMaskAttr>(mask))
    return cmp(P::slt, ix.kPos, i64c(ob, s.getCount()));
  if (auto dl = dyn_cast<DilatedMaskAttr>(mask)) {
    Value inRange = andv(cmp(P::sge, d, i64c(ob, 0)),
                         cmp(P::slt, d, i64c(ob, dl.getWindow() * dl.getDilation())));
    Value rem = ob.create<arith::RemSIOp>(
        loc, ob.create<arith::SubIOp>(loc, d, i64c(ob, dl.getOffset())),
        i64c(ob, dl.getDilation()));
    return andv(inRange, cmp(P::eq, rem, i64c(ob, 0)));
  }
  if (auto g = dyn_cast<GlobalMaskAttr>(mask)) {
    Value any = i1c(ob, false);
    if (g.getFirst() > 0)
      any = orv(cmp(P::slt, ix.qPos, i64c(ob, g.getFirst())),
                cmp(P::slt, ix.kPos, i64c(ob, g.getFirst())));
    for (int64_t t : g.getTokens())
      any = orv(any, orv(cmp(P::eq, ix.qPos, i64c(ob, t)), cmp(P::eq, ix.kPos, i64c(ob, t))));
    return any;
  }
  if (auto doc = dyn_cast<DocumentMaskAttr>(mask)) {
    // ids[q_pos] == ids[k_pos]; positions outside the ids never match.
    Value buffer = inputArgs.lookup(doc.getIds());
    Value n = toI64(ob, ob.create<memref::DimOp>(loc, buffer, 0));
    Value ok = andv(andv(cmp(P::sge, ix.qPos, i64c(ob, 0)), cmp(P::slt, ix.qPos, n)),
                    andv(cmp(P::sge, ix.kPos, i64c(ob, 0)), cmp(P::slt, ix.kPos, n)));
    auto ifOp = ob.create<scf::IfOp>(
        loc, ok,
        [&](OpBuilder &tb, Location) {
          Value a = tb.create<memref::LoadOp>(loc, buffer, toIndex(tb, ix.qPos));
          Value c = tb.create<memref::LoadOp>(loc, buffer, toIndex(tb, ix.kPos));
          tb.create<scf::YieldOp>(
              loc, ValueRange{tb.create<arith::CmpIOp>(loc, P::eq, a, c)});
        },
        [&](OpBuilder &eb, Location) {
          eb.create<scf::YieldOp>(loc, ValueRange{i1c(eb, false)});
        });
    return ifOp.getResult(0);
  }
  if (auto p = dyn_cast<PrefixLMMaskAttr>(mask)) {
    Value prefix = i64c(ob, p.getLength());
    if (!p.getInput().empty()) {
      Value buffer = inputArgs.lookup(p.getInput());
      Value n = ob.create<memref::DimOp>(loc, buffer, 0);
      Value ok = ob.create<arith::CmpIOp>(loc, P::ult, ix.batch, n);
      auto ifOp = ob.create<scf::IfOp>(
          loc, ok,
          [&](OpBuilder &tb, Location) {
            Value v = tb.create<memref::LoadOp>(loc, buffer, ix.batch);
            if (!v.getType().isInteger(64))
              v = tb.create<arith::ExtSIOp>(loc, tb.getI64Type(), v);
            tb.create<scf::YieldOp>(loc, ValueRange{v});
          },
          [&](OpBuilder &eb, Location) {
            eb.create<scf::YieldOp>(loc, ValueRange{i64c(eb, p.getLength())});
          });
      prefix = ifOp.getResult(0);
    }
    return orv(cmp(P::sle, ix.kPos, ix.qPos), cmp(P::slt, ix.kPos, prefix));
  }
  if (auto c = dyn_cast<ChunkedMaskAttr>(mask)) {
    Value size = i64c(ob, c.getSize()), off = i64c(ob, c.getOffset());
    Value qc = ob.create<arith::FloorDivSIOp>(loc, ob.create<arith::AddIOp>(loc, ix.qPos, off), size);
    Value kc = ob.create<arith::FloorDivSIOp>(loc, ob.create<arith::AddIOp>(loc, ix.kPos, off), size);
    return cmp(P::eq, qc, kc);
  }
  if (auto pr = dyn_cast<PredicateMaskAttr>(mask)) {
    Region &region = variant.getExprs()[pr.getRegion()];
    return inlineRegion(ob, region, {ix.batch, ix.head, ix.qPos, ix.kPos, ix.qLen, ix.kLen});
  }
  if (auto a = dyn_cast<AndMaskAttr>(mask)) {
    Value acc = i1c(ob, true);
    for (Attribute m : a.getOperands())
      acc = andv(acc, emitMask(ob, cast<MaskAttrInterface>(m), ix));
    return acc;
  }
  if (auto o = dyn_cast<OrMaskAttr>(mask)) {
    Value acc = i1c(ob, false);
    for (Attribute m : o.getOperands())
      acc = orv(acc, emitMask(ob, cast<MaskAttrInterface>(m), ix));
    return acc;
  }
  if (auto n = dyn_cast<NotMaskAttr>(mask))
    return ob.create<arith::XOrIOp>(loc, emitMask(ob, n.getOperand(), ix), i1c(ob, true));
  return i1c(ob, true);
}

std::pair<Value, Value> PrefillKernelBuilder::maskInterval(OpBuilder &ob,
                                                          MaskAttrInterface mask,
                                                          Value qp) {
  auto add = [&](Value v, int64_t c) {
    return (Value)ob.create<arith::AddIOp>(loc, v, i64c(ob, c));
  };
  if (isa<CausalMaskAttr>(mask))
    return {Value(), add(qp, 1)};
  if (auto w = dyn_cast<WindowMaskAttr>(mask))
    return {add(qp, -w.getLeft() + 1), add(qp, w.getRight() + 1)};
  if (auto sk = dyn_cast<SinksMaskAttr>(mask))
    return {i64c(ob, 0), i64c(ob, sk.getCount())};
  if (auto d = dyn_cast<DilatedMaskAttr>(mask))
    return {add(qp, -d.getWindow() * d.getDilation() + 1), add(qp, 1)};
  if (auto c = dyn_cast<ChunkedMaskAttr>(mask)) {
    Value chunk = ob.create<arith::FloorDivSIOp>(loc, add(qp, c.getOffset()),
                                                 i64c(ob, c.getSize()));
    Value start = add(ob.create<arith::MulIOp>(loc, chunk, i64c(ob, c.getSize())),
                      -c.getOffset());
    return {start, add(start, c.getSize())};
  }
  if (auto p = dyn_cast<PrefixLMMaskAttr>(mask); p && p.getInput().empty())
    return {Value(), ob.create<arith::MaxSIOp>(loc, add(qp, 1), i64c(ob, p.getLength()))};
  if (auto a = dyn_cast<AndMaskAttr>(mask)) {
    Value lo, hi;
    for (Attribute m : a.getOperands()) {
      auto [l, h] = maskInterval(ob, cast<MaskAttrInterface>(m), qp);
      if (l)
        lo = lo ? (Value)ob.create<arith::MaxSIOp>(loc, lo, l) : l;
      if (h)
        hi = hi ? (Value)ob.create<arith::MinSIOp>(loc, hi, h) : h;
    }
    return {lo, hi};
  }
  if (auto o = dyn_cast<OrMaskAttr>(mask)) {
    // The hull of the operands' intervals; unbounded if any side is.
    Value lo, hi;
    bool loOpen = false, hiOpen = false;
    for (Attribute m : o.getOperands()) {
      auto [l, h] = maskInterval(ob, cast<MaskAttrInterface>(m), qp);
      loOpen |= !l;
      hiOpen |= !h;
      if (l)
        lo = lo ? (Value)ob.create<arith::MinSIOp>(loc, lo, l) : l;
      if (h)
        hi = hi ? (Value)ob.create<arith::MaxSIOp>(loc, hi, h) : h;
    }
    return {loOpen ? Value() : lo, hiOpen ? Value() : hi};
  }
  return {Value(), Value()};
}

/// The additive position bias of the variant (ALiBi, T5), or null.
Value PrefillKernelBuilder::emitBias(OpBuilder &ob, const PairIndices &ix) {
  Attribute position = variant.getPosition();
  Value d = ob.create<arith::SubIOp>(loc, ix.qPos, ix.kPos);
  if (isa<AlibiAttr>(position)) {
    Value slope = ob.create<memref::LoadOp>(loc, alibiSlopes, ix.head);
    Value df = ob.create<arith::SIToFPOp>(loc, ob.getF32Type(), d);
    return ob.create<arith::NegFOp>(loc, ob.create<arith::MulFOp>(loc, slope, df));
  }
  auto t5 = dyn_cast<T5BiasAttr>(position);
  if (!t5)
    return {};
  // HF T5 _relative_position_bucket with relative_position = k - q = -d.
  using P = arith::CmpIPredicate;
  int64_t buckets = t5.getBuckets();
  Value ret = i64c(ob, 0), n;
  if (t5.getBidirectional()) {
    buckets /= 2;
    Value rel = ob.create<arith::SubIOp>(loc, ix.kPos, ix.qPos);
    Value positive = ob.create<arith::CmpIOp>(loc, P::sgt, rel, i64c(ob, 0));
    ret = ob.create<arith::SelectOp>(loc, positive, i64c(ob, buckets), i64c(ob, 0));
    n = ob.create<math::AbsIOp>(loc, rel);
  } else {
    n = ob.create<arith::MaxSIOp>(loc, d, i64c(ob, 0));
  }
  int64_t maxExact = buckets / 2;
  Value isSmall = ob.create<arith::CmpIOp>(loc, P::slt, n, i64c(ob, maxExact));
  // max_exact + log(n / max_exact) / log(max_distance / max_exact) * (buckets - max_exact)
  Value nf = ob.create<arith::SIToFPOp>(loc, ob.getF64Type(), ob.create<arith::MaxSIOp>(loc, n, i64c(ob, 1)));
  Value logRatio = ob.create<math::LogOp>(loc, ob.create<arith::DivFOp>(loc, nf, f64c(ob, maxExact)));
  double denom = std::log(double(t5.getMaxDistance()) / maxExact);
  Value scaled = ob.create<arith::MulFOp>(
      loc, ob.create<arith::DivFOp>(loc, logRatio, f64c(ob, denom)), f64c(ob, buckets - maxExact));
  Value large = ob.create<arith::AddIOp>(
      loc, i64c(ob, maxExact), ob.create<arith::FPToSIOp>(loc, ob.getI64Type(), scaled));
  large = ob.create<arith::MinSIOp>(loc, large, i64c(ob, buckets - 1));
  Value bucket = ob.create<arith::AddIOp>(loc, ret, ob.create<arith::SelectOp>(loc, isSmall, n, large));
  Value table = inputArgs.lookup(t5.getTable());
  Value v = ob.create<memref::LoadOp>(loc, table, ValueRange{ix.head, toIndex(ob, bucket)});
  return toF32(ob, v);
}

LogicalResult PrefillKernelBuilder::build() {
  MLIRContext *ctx = variant.getContext();
  ShapeAttr shape = variant.getShape();
  TypesAttr types = variant.getTypes();
  int64_t H = shape.getHeads(), Hkv = shape.getKvHeads(), D = shape.getHeadDim(),
          Dv = shape.getValueDim();
  int64_t group = H / Hkv;
  int64_t dyn = ShapedType::kDynamic;
  rope = dyn_cast<RopeAttr>(variant.getPosition());
  if (rope)
    freqs = computeRopeFrequencies(rope);

  StringRef name = variant.getSymName();
  bool twoBranches = rope && rope.getRemap();
  auto f32TokensType = [&](int64_t heads) {
    return MemRefType::get({dyn, heads, D}, b.getF32Type());
  };
  auto makeFunc = [&](StringRef suffix, ArrayRef<Type> args) {
    b.setInsertionPointToEnd(module.getBody());
    auto f = b.create<func::FuncOp>(loc, (name + suffix).str(), b.getFunctionType(args, {}));
    f->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
    b.setInsertionPointToStart(f.addEntryBlock());
    return f;
  };
  SmallVector<Type> inputTypes;
  for (Attribute a : variant.getInputs()) {
    auto in = cast<InputAttr>(a);
    SmallVector<int64_t> dims;
    for (Attribute dimAttr : in.getDims()) {
      int64_t n = 0;
      dims.push_back(cast<StringAttr>(dimAttr).getValue().getAsInteger(10, n) ? dyn : n);
    }
    inputTypes.push_back(MemRefType::get(dims, in.getDtype()));
  }
  Type qT = MemRefType::get({dyn, H, D}, types.getQ());
  Type kT = MemRefType::get({dyn, Hkv, D}, types.getK());
  Type vT = MemRefType::get({dyn, Hkv, Dv}, types.getV());
  Type posT = MemRefType::get({dyn}, b.getI64Type());
  Type outT = MemRefType::get({dyn, H, Dv}, types.getOut());
  Type lseT = MemRefType::get({dyn, H}, b.getF32Type());

  // 1. prepare(q, k, q_pos, k_pos, qf, kf [, qg, kg]): Q and K in f32,
  // rotated (twice when a remap needs a far branch). Run once per call.
  {
    SmallVector<Type> args = {qT, kT, posT, posT, f32TokensType(H), f32TokensType(Hkv)};
    if (twoBranches)
      args.append({f32TokensType(H), f32TokensType(Hkv)});
    func::FuncOp prepare = makeFunc("_prefill_prepare", args);
    auto fa = prepare.getArguments();
    qArg = fa[0]; kArg = fa[1]; qPosArg = fa[2]; kPosArg = fa[3];
    Value lk = b.create<memref::DimOp>(loc, kArg, 0);
    seqLenF64 = b.create<arith::SIToFPOp>(loc, b.getF64Type(), toI64(b, lk));
    if (rope)
      invFreq = loadInvFreqTable(b);
    rotateInto(b, qArg, qPosArg, fa[4], H, /*isQuery=*/true, 0);
    rotateInto(b, kArg, kPosArg, fa[5], Hkv, /*isQuery=*/false, 0);
    if (twoBranches) {
      rotateInto(b, qArg, qPosArg, fa[6], H, true, 1);
      rotateInto(b, kArg, kPosArg, fa[7], Hkv, false, 1);
    }
    b.create<func::ReturnOp>(loc);
  }

  // 2. rows(qf, kf, [qg, kg,] v, q_pos, k_pos, batch, inputs..., out [, lse],
  // begin, end): work items w in [begin, end) are (query w / heads, head
  // w % heads). Callers split [0, Lq * heads) across threads.
  SmallVector<Type> rowArgs = {f32TokensType(H), f32TokensType(Hkv)};
  if (twoBranches)
    rowArgs.append({f32TokensType(H), f32TokensType(Hkv)});
  rowArgs.append({vT, posT, posT, b.getIndexType()});
  rowArgs.append(inputTypes);
  rowArgs.push_back(outT);
  if (variant.getLse())
    rowArgs.push_back(lseT);
  rowArgs.append({b.getIndexType(), b.getIndexType()});
  func::FuncOp rows = makeFunc("_prefill_rows", rowArgs);
  auto fa = rows.getArguments();
  unsigned next = 0;
  Value qf = fa[next++], kf = fa[next++], qg, kg;
  if (twoBranches) {
    qg = fa[next++];
    kg = fa[next++];
  }
  vArg = fa[next++]; qPosArg = fa[next++]; kPosArg = fa[next++]; batchArg = fa[next++];
  for (Attribute a : variant.getInputs())
    inputArgs[cast<InputAttr>(a).getName()] = fa[next++];
  outArg = fa[next++];
  if (variant.getLse())
    lseArg = fa[next++];
  Value workBegin = fa[next++], workEnd = fa[next++];

  Value lq = b.create<memref::DimOp>(loc, qf, 0);
  Value lk = b.create<memref::DimOp>(loc, kf, 0);
  Value lqI64 = toI64(b, lq), lkI64 = toI64(b, lk);
  // With keys at positions 0..Lk-1 (contiguous prefill), key index equals
  // key position, so each query row only visits its mask's interval.
  Value keysContiguous =
      b.create<scf::ForOp>(
           loc, idxc(b, 0), lk, idxc(b, 1), ValueRange{i1c(b, true)},
           [&](OpBuilder &lb, Location, Value j, ValueRange acc) {
             Value p = lb.create<memref::LoadOp>(loc, kPosArg, j);
             Value same = lb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                                   p, toI64(lb, j));
             lb.create<scf::YieldOp>(
                 loc, ValueRange{lb.create<arith::AndIOp>(loc, acc[0], same)});
           })
          .getResult(0);
  if (auto alibi = dyn_cast<AlibiAttr>(variant.getPosition()))
    alibiSlopes = constantTable("alibi_slopes", alibi.getSlopes().asArrayRef(), b.getF32Type());
  Value sinkLogits;
  if (auto sinks = dyn_cast<SoftmaxSinksAttr>(variant.getNormalizer()))
    sinkLogits = inputArgs.lookup(sinks.getSinks());

  // 2. Head segments with one mask and one score expression each.
  std::set<int64_t> cuts = {0, H};
  for (Attribute a : variant.getMasks()) {
    auto m = cast<HeadMaskAttr>(a);
    cuts.insert(m.getHeadBegin());
    cuts.insert(m.getHeadEnd());
  }
  for (Attribute a : variant.getScores()) {
    auto s = cast<HeadScoreAttr>(a);
    cuts.insert(s.getHeadBegin());
    cuts.insert(s.getHeadEnd());
  }
  std::vector<int64_t> bounds(cuts.begin(), cuts.end());
  float scale = variant.getScale().convertToDouble();
  auto qVecType = VectorType::get({D}, b.getF32Type());
  auto accType = VectorType::get({Dv}, b.getF32Type());
  auto vVecType = VectorType::get({Dv}, types.getV());
  auto outVecType = VectorType::get({Dv}, types.getOut());
  double negInf = -std::numeric_limits<double>::infinity();
  Attribute remap = rope ? rope.getRemap() : Attribute();

  Value endClamped = b.create<arith::MinUIOp>(
      loc, workEnd, b.create<arith::MulIOp>(loc, lq, idxc(b, H)));
  auto workLoop = b.create<scf::ForOp>(loc, workBegin, endClamped, idxc(b, 1));
  b.setInsertionPointToStart(workLoop.getBody());
  Value wi = b.create<arith::DivUIOp>(loc, workLoop.getInductionVar(), idxc(b, H));
  Value wh = b.create<arith::RemUIOp>(loc, workLoop.getInductionVar(), idxc(b, H));
  for (size_t seg = 0; seg + 1 < bounds.size(); ++seg) {
    int64_t h0 = bounds[seg], h1 = bounds[seg + 1];
    MaskAttrInterface mask;
    for (Attribute a : variant.getMasks())
      if (auto m = cast<HeadMaskAttr>(a); m.getHeadBegin() <= h0 && h0 < m.getHeadEnd())
        mask = m.getMask();
    Region *scoreRegion = nullptr;
    for (Attribute a : variant.getScores())
      if (auto s = cast<HeadScoreAttr>(a); s.getHeadBegin() <= h0 && h0 < s.getHeadEnd())
        scoreRegion = &variant.getExprs()[s.getRegion()];

    Value inSegment = b.create<arith::AndIOp>(
        loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::uge, wh, idxc(b, h0)),
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, wh, idxc(b, h1)));
    b.create<scf::IfOp>(loc, inSegment, [&](OpBuilder &qb, Location) {
        Value h = wh, i = wi;
        Value kvh = qb.create<arith::DivUIOp>(loc, h, idxc(qb, group));
        Value qp = qb.create<memref::LoadOp>(loc, qPosArg, i);
        Value qRow = qb.create<vector::LoadOp>(loc, qVecType, qf, ValueRange{i, h, idxc(qb, 0)});
        Value qRowFar = twoBranches
            ? (Value)qb.create<vector::LoadOp>(loc, qVecType, qg, ValueRange{i, h, idxc(qb, 0)})
            : Value();
        Value m0 = f32c(qb, negInf), l0 = f32c(qb, 0);
        Value acc0 = qb.create<arith::ConstantOp>(loc, DenseElementsAttr::get(accType, qb.getF32FloatAttr(0)));
        Value jBegin = idxc(qb, 0), jEnd = lk;
        if (mask) {
          auto [lo, hi] = maskInterval(qb, mask, qp);
          if (lo) {
            Value clamped = qb.create<arith::MaxSIOp>(loc, lo, i64c(qb, 0));
            jBegin = qb.create<arith::SelectOp>(loc, keysContiguous,
                                                toIndex(qb, clamped), jBegin);
          }
          if (hi) {
            Value clamped = qb.create<arith::MinSIOp>(
                loc, qb.create<arith::MaxSIOp>(loc, hi, i64c(qb, 0)), lkI64);
            jEnd = qb.create<arith::SelectOp>(loc, keysContiguous,
                                              toIndex(qb, clamped), jEnd);
          }
        }
        auto kLoop = qb.create<scf::ForOp>(loc, jBegin, jEnd, idxc(qb, 1),
            ValueRange{m0, l0, acc0},
            [&](OpBuilder &kb, Location, Value j, ValueRange carried) {
          Value kp = kb.create<memref::LoadOp>(loc, kPosArg, j);
          PairIndices ix{batchArg, h, qp, kp, lqI64, lkI64};
          Value keep = mask ? emitMask(kb, mask, ix) : i1c(kb, true);
          auto ifOp = kb.create<scf::IfOp>(loc, keep,
            [&](OpBuilder &tb, Location) {
              Value m = carried[0], l = carried[1], acc = carried[2];
              Value kRow = tb.create<vector::LoadOp>(loc, qVecType, kf, ValueRange{j, kvh, idxc(tb, 0)});
              Value qUse = qRow;
              if (twoBranches) {
                // Far pairs use the remapped rotations.
                int64_t w = 0;
                if (auto rr = dyn_cast<ReRopeRemapAttr>(remap)) w = rr.getWindow();
                if (auto se = dyn_cast<SelfExtendRemapAttr>(remap)) w = se.getWindow();
                Value far = tb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge,
                    tb.create<arith::SubIOp>(loc, qp, kp), i64c(tb, w));
                Value kFar = tb.create<vector::LoadOp>(loc, qVecType, kg, ValueRange{j, kvh, idxc(tb, 0)});
                qUse = tb.create<arith::SelectOp>(loc, far, qRowFar, qRow);
                kRow = tb.create<arith::SelectOp>(loc, far, kFar, kRow);
              }
              // Reassociation lets LLVM sum the products as a tree
              // instead of a serial chain of D dependent adds.
              auto dotOp = tb.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD,
                  tb.create<arith::MulFOp>(loc, qUse, kRow));
              dotOp.setFastmath(arith::FastMathFlags::reassoc);
              Value dot = dotOp;
              Value s = tb.create<arith::MulFOp>(loc, dot, f32c(tb, scale));
              if (scoreRegion)
                s = inlineRegion(tb, *scoreRegion, {s, ix.batch, ix.head, qp, kp, lqI64, lkI64});
              if (Value bias = emitBias(tb, ix))
                s = tb.create<arith::AddFOp>(loc, s, bias);
              // One exp per key: when the score raises the running max, the
              // old sums are rescaled by exp(m - s) and the key's weight is 1;
              // otherwise the weight is exp(s - m) and nothing is rescaled.
              // (The max changes rarely after the first keys.)
              Value vRow = vecToF32(tb, tb.create<vector::LoadOp>(loc, vVecType, vArg, ValueRange{j, kvh, idxc(tb, 0)}));
              Value raises = tb.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, s, m);
              auto update = tb.create<scf::IfOp>(loc, raises,
                [&](OpBuilder &rb, Location) {
                  Value corr = rb.create<math::ExpOp>(loc, rb.create<arith::SubFOp>(loc, m, s));
                  Value lNew = rb.create<arith::AddFOp>(loc, rb.create<arith::MulFOp>(loc, l, corr), f32c(rb, 1));
                  Value accNew = rb.create<vector::FMAOp>(loc, acc,
                      rb.create<vector::BroadcastOp>(loc, accType, corr), vRow);
                  rb.create<scf::YieldOp>(loc, ValueRange{s, lNew, accNew});
                },
                [&](OpBuilder &nb, Location) {
                  // s <= m: a score of -inf (from a score expression) adds
                  // nothing; with m = -inf too, exp would be NaN.
                  Value valid = nb.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, s, f32c(nb, negInf));
                  Value p = nb.create<math::ExpOp>(loc, nb.create<arith::SubFOp>(loc, s, m));
                  p = nb.create<arith::SelectOp>(loc, valid, p, f32c(nb, 0));
                  Value lNew = nb.create<arith::AddFOp>(loc, l, p);
                  Value accNew = nb.create<vector::FMAOp>(loc,
                      nb.create<vector::BroadcastOp>(loc, accType, p), vRow, acc);
                  nb.create<scf::YieldOp>(loc, ValueRange{m, lNew, accNew});
                });
              tb.create<scf::YieldOp>(loc, update.getResults());
            },
            [&](OpBuilder &eb, Location) {
              eb.create<scf::YieldOp>(loc, carried);
            });
          kb.create<scf::YieldOp>(loc, ifOp.getResults());
        });
        Value m = kLoop.getResult(0), l = kLoop.getResult(1), acc = kLoop.getResult(2);
        // 3. Normalizer: an extra logit (sink or the off-by-one zero) joins
        // the denominator only.
        Value extra;
        if (sinkLogits) {
          Value n = qb.create<memref::DimOp>(loc, sinkLogits, 0);
          Value ok = qb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, h, n);
          auto ifOp = qb.create<scf::IfOp>(loc, ok,
              [&](OpBuilder &tb, Location) {
                tb.create<scf::YieldOp>(loc, ValueRange{toF32(tb, tb.create<memref::LoadOp>(loc, sinkLogits, h))});
              },
              [&](OpBuilder &eb, Location) {
                eb.create<scf::YieldOp>(loc, ValueRange{f32c(eb, negInf)});
              });
          extra = ifOp.getResult(0);
        } else if (isa<OffByOneAttr>(variant.getNormalizer())) {
          extra = f32c(qb, 0);
        }
        if (extra) {
          Value mTot = qb.create<arith::MaximumFOp>(loc, m, extra);
          // exp(m - mTot) with m = mTot = -inf would be NaN; l is 0 then.
          Value mIsInf = qb.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, m, f32c(qb, negInf));
          Value corr = qb.create<arith::SelectOp>(loc, mIsInf, f32c(qb, 0),
              qb.create<math::ExpOp>(loc, qb.create<arith::SubFOp>(loc, m, mTot)));
          Value extraIsInf = qb.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, extra, f32c(qb, negInf));
          Value pe = qb.create<arith::SelectOp>(loc, extraIsInf, f32c(qb, 0),
              qb.create<math::ExpOp>(loc, qb.create<arith::SubFOp>(loc, extra, mTot)));
          l = qb.create<arith::AddFOp>(loc, qb.create<arith::MulFOp>(loc, l, corr), pe);
          acc = qb.create<arith::MulFOp>(loc, acc, qb.create<vector::BroadcastOp>(loc, accType, corr));
          m = mTot;
        }
        Value nonEmpty = qb.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, l, f32c(qb, 0));
        Value inv = qb.create<arith::SelectOp>(loc, nonEmpty,
            qb.create<arith::DivFOp>(loc, f32c(qb, 1), l), f32c(qb, 0));
        Value out = qb.create<arith::MulFOp>(loc, acc, qb.create<vector::BroadcastOp>(loc, accType, inv));
        if (!types.getOut().isF32())
          out = qb.create<arith::TruncFOp>(loc, outVecType, out);
        qb.create<vector::StoreOp>(loc, out, outArg, ValueRange{i, h, idxc(qb, 0)});
        if (lseArg) {
          Value lse = qb.create<arith::SelectOp>(loc, nonEmpty,
              qb.create<arith::AddFOp>(loc, m, qb.create<math::LogOp>(loc, l)), f32c(qb, negInf));
          qb.create<memref::StoreOp>(loc, lse, lseArg, ValueRange{i, h});
        }
        qb.create<scf::YieldOp>(loc);
    });
  }
  b.setInsertionPointAfter(workLoop);
  b.create<func::ReturnOp>(loc);

  // 3. kernel(q, k, v, q_pos, k_pos, batch, inputs..., out [, lse]): the
  // single-threaded convenience entry point: prepare, then every row.
  {
    SmallVector<Type> args = {qT, kT, vT, posT, posT, b.getIndexType()};
    args.append(inputTypes);
    args.push_back(outT);
    if (variant.getLse())
      args.push_back(lseT);
    func::FuncOp kernelFn = makeFunc("_prefill_kernel", args);
    auto ka = kernelFn.getArguments();
    Value lqK = b.create<memref::DimOp>(loc, ka[0], 0);
    Value lkK = b.create<memref::DimOp>(loc, ka[1], 0);
    SmallVector<Value> buffers = {
        b.create<memref::AllocOp>(loc, f32TokensType(H), ValueRange{lqK}),
        b.create<memref::AllocOp>(loc, f32TokensType(Hkv), ValueRange{lkK})};
    if (twoBranches) {
      buffers.push_back(b.create<memref::AllocOp>(loc, f32TokensType(H), ValueRange{lqK}));
      buffers.push_back(b.create<memref::AllocOp>(loc, f32TokensType(Hkv), ValueRange{lkK}));
    }
    SmallVector<Value> prepArgs = {ka[0], ka[1], ka[3], ka[4]};
    prepArgs.append(buffers.begin(), buffers.end());
    b.create<func::CallOp>(loc, (name + "_prefill_prepare").str(), TypeRange{}, prepArgs);
    SmallVector<Value> callArgs(buffers.begin(), buffers.end());
    callArgs.append({ka[2], ka[3], ka[4], ka[5]});
    for (unsigned n = 6; n < ka.size(); ++n)
      callArgs.push_back(ka[n]);
    callArgs.push_back(idxc(b, 0));
    callArgs.push_back(b.create<arith::MulIOp>(loc, lqK, idxc(b, H)));
    b.create<func::CallOp>(loc, (name + "_prefill_rows").str(), TypeRange{}, callArgs);
    for (Value buffer : buffers)
      b.create<memref::DeallocOp>(loc, buffer);
    b.create<func::ReturnOp>(loc);
  }
  return success();
}

struct AttnLowerToLoopsPass
    : public mlir::attn::impl::AttnLowerToLoopsPassBase<AttnLowerToLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<VariantOp> variants(module.getOps<VariantOp>());
    for (VariantOp v : variants) {
      PrefillKernelBuilder builder(v, module);
      if (failed(builder.build()))
        return signalPassFailure();
    }
    // The tensor-level entry points and the variants are fully replaced by
    // the kernels; decode and append are lowered by later passes.
    SmallVector<Operation *> dead;
    for (func::FuncOp f : module.getOps<func::FuncOp>()) {
      bool usesAttn = false;
      f.walk([&](Operation *op) {
        if (isa<AttnDialect>(op->getDialect()))
          usesAttn = true;
      });
      if (usesAttn)
        dead.push_back(f);
    }
    for (VariantOp v : variants)
      dead.push_back(v);
    for (Operation *op : dead)
      op->erase();
  }
};

} // namespace
