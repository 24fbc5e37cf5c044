//===- KernelEmitter.cpp - Shared IR emission for the attention kernels ---===//
#include "codegen/LowerToLoops/KernelEmitter.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

#include <cmath>
#include <limits>
#include <set>

using namespace mlir;
using namespace mlir::attn;

Value KernelEmitter::constantTable(StringRef name, ArrayRef<double> values,
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
Value KernelEmitter::loadInvFreqTable(OpBuilder &ob) {
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
void KernelEmitter::rotateInto(OpBuilder &ob, Value src, Value positions,
                                      Value dst, int64_t heads, bool isQuery,
                                      int remapBranch) {
  ShapeAttr shape = variant.getShape();
  int64_t d = shape.getHeadDim();
  int64_t r = rope ? rope.getRotaryDim() : 0;
  int64_t half = r / 2;
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
        // Copy (converting to f32) every dimension of every head, then
        // rotate the pairs: cos/sin once per (token, pair), shared by the
        // heads (they were a tenth of a SmolLM2 prefill when per head).
        tb.create<scf::ForOp>(
            loc, idxc(tb, 0), idxc(tb, heads), idxc(tb, 1), ValueRange{},
            [&](OpBuilder &hb, Location, Value h, ValueRange) {
              hb.create<scf::ForOp>(
                  loc, idxc(hb, 0), idxc(hb, d), idxc(hb, 1), ValueRange{},
                  [&](OpBuilder &cb, Location, Value c, ValueRange) {
                    Value x = toF32(cb, cb.create<memref::LoadOp>(loc, src, ValueRange{t, h, c}));
                    if (qScale)
                      x = cb.create<arith::MulFOp>(loc, x, qScale);
                    cb.create<memref::StoreOp>(loc, x, dst, ValueRange{t, h, c});
                    cb.create<scf::YieldOp>(loc);
                  });
              hb.create<scf::YieldOp>(loc);
            });
        if (half > 0)
          tb.create<scf::ForOp>(
              loc, idxc(tb, 0), idxc(tb, half), idxc(tb, 1), ValueRange{},
              [&](OpBuilder &pb, Location, Value j, ValueRange) {
                rotatePair(pb, dst, t, j, posF, heads);
                pb.create<scf::YieldOp>(loc);
              });
        tb.create<scf::YieldOp>(loc);
      });
}

void KernelEmitter::rotatePair(OpBuilder &pb, Value dst, Value t, Value j, Value posF, int64_t heads) {
  int64_t half = rope.getRotaryDim() / 2;
  bool interleaved = rope.getLayout() == RopeLayout::Interleaved;
  Value inv = pb.create<memref::LoadOp>(loc, invFreq, j);
  Value angle = pb.create<arith::MulFOp>(loc, posF, inv);
  Value af = f64c(pb, freqs.attentionFactor);
  Value cosv = pb.create<arith::TruncFOp>(
      loc, pb.getF32Type(), pb.create<arith::MulFOp>(loc, pb.create<math::CosOp>(loc, angle), af));
  Value sinv = pb.create<arith::TruncFOp>(
      loc, pb.getF32Type(), pb.create<arith::MulFOp>(loc, pb.create<math::SinOp>(loc, angle), af));
  Value i0, i1;
  if (interleaved) {
    i0 = pb.create<arith::MulIOp>(loc, j, idxc(pb, 2));
    i1 = pb.create<arith::AddIOp>(loc, i0, idxc(pb, 1));
  } else {
    i0 = j;
    i1 = pb.create<arith::AddIOp>(loc, j, idxc(pb, half));
  }
  pb.create<scf::ForOp>(loc, idxc(pb, 0), idxc(pb, heads), idxc(pb, 1), ValueRange{},
                        [&](OpBuilder &hb, Location, Value h, ValueRange) {
                          Value x0 = hb.create<memref::LoadOp>(loc, dst, ValueRange{t, h, i0});
                          Value x1 = hb.create<memref::LoadOp>(loc, dst, ValueRange{t, h, i1});
                          auto [y0, y1] = rotateValues(hb, x0, x1, cosv, sinv);
                          hb.create<memref::StoreOp>(loc, y0, dst, ValueRange{t, h, i0});
                          hb.create<memref::StoreOp>(loc, y1, dst, ValueRange{t, h, i1});
                          hb.create<scf::YieldOp>(loc);
                        });
}

Value KernelEmitter::guardedInputLoad(OpBuilder &ob, InputOp op,
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
Value KernelEmitter::inlineRegion(OpBuilder &ob, Region &region,
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

Value KernelEmitter::emitMask(OpBuilder &ob, MaskAttrInterface mask,
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

std::pair<Value, Value> KernelEmitter::maskInterval(OpBuilder &ob,
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
  if (auto n = dyn_cast<NotMaskAttr>(mask)) {
    // Outside a window that keeps every later key (the near side of a RoPE
    // remap): keys up to q_pos - left.
    auto w = dyn_cast<WindowMaskAttr>(n.getOperand());
    if (w && w.getRight() >= kUnboundedExtent)
      return {Value(), add(qp, -w.getLeft() + 1)};
    return {Value(), Value()};
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
Value KernelEmitter::emitBias(OpBuilder &ob, const PairIndices &ix) {
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


SmallVector<Type> KernelEmitter::kernelInputTypes() {
  SmallVector<Type> types;
  for (Attribute a : variant.getInputs()) {
    auto in = cast<InputAttr>(a);
    SmallVector<int64_t> dims;
    for (Attribute dimAttr : in.getDims()) {
      int64_t n = 0;
      dims.push_back(cast<StringAttr>(dimAttr).getValue().getAsInteger(10, n) ? ShapedType::kDynamic : n);
    }
    types.push_back(MemRefType::get(dims, in.getDtype()));
  }
  return types;
}

int64_t KernelEmitter::remapWindowOf() {
  auto r = dyn_cast<RopeAttr>(variant.getPosition());
  Attribute remap = r ? r.getRemap() : Attribute();
  if (auto rr = dyn_cast_or_null<ReRopeRemapAttr>(remap))
    return rr.getWindow();
  if (auto se = dyn_cast_or_null<SelfExtendRemapAttr>(remap))
    return se.getWindow();
  return 0;
}

Value KernelEmitter::emitPairDot(OpBuilder &ob, Value qRow, Value kRow, Value qRowFar,
                                 Value kRowFar, Value qPos, Value kPos) {
  if (qRowFar) {
    int64_t w = remapWindowOf();
    Value far = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge,
                                         ob.create<arith::SubIOp>(loc, qPos, kPos), i64c(ob, w));
    qRow = ob.create<arith::SelectOp>(loc, far, qRowFar, qRow);
    kRow = ob.create<arith::SelectOp>(loc, far, kRowFar, kRow);
  }
  // Reassociation lets LLVM sum the products as a tree instead of a serial
  // chain of D dependent adds.
  auto dot = ob.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD,
                                            ob.create<arith::MulFOp>(loc, qRow, kRow));
  dot.setFastmath(arith::FastMathFlags::reassoc);
  return dot;
}

Value KernelEmitter::emitScore(OpBuilder &ob, Value dot, const PairIndices &ix,
                               Region *scoreRegion) {
  float scale = variant.getScale().convertToDouble();
  Value s = ob.create<arith::MulFOp>(loc, dot, f32c(ob, scale));
  if (scoreRegion)
    s = inlineRegion(ob, *scoreRegion, {s, ix.batch, ix.head, ix.qPos, ix.kPos, ix.qLen, ix.kLen});
  if (Value bias = emitBias(ob, ix))
    s = ob.create<arith::AddFOp>(loc, s, bias);
  return s;
}

SmallVector<Value, 3> KernelEmitter::applyNormalizer(OpBuilder &ob, Value head, Value m,
                                                     Value l, Value acc) {
  double negInf = -std::numeric_limits<double>::infinity();
  Value extra;
  if (auto sinks = dyn_cast<SoftmaxSinksAttr>(variant.getNormalizer())) {
    Value logits = inputArgs.lookup(sinks.getSinks());
    Value n = ob.create<memref::DimOp>(loc, logits, 0);
    Value ok = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, head, n);
    auto ifOp = ob.create<scf::IfOp>(
        loc, ok,
        [&](OpBuilder &tb, Location) {
          tb.create<scf::YieldOp>(loc, ValueRange{toF32(tb, tb.create<memref::LoadOp>(loc, logits, head))});
        },
        [&](OpBuilder &eb, Location) { eb.create<scf::YieldOp>(loc, ValueRange{f32c(eb, negInf)}); });
    extra = ifOp.getResult(0);
  } else if (isa<OffByOneAttr>(variant.getNormalizer())) {
    extra = f32c(ob, 0);
  }
  if (!extra)
    return {m, l, acc};
  auto accType = cast<VectorType>(acc.getType());
  Value mTot = ob.create<arith::MaximumFOp>(loc, m, extra);
  // exp(m - mTot) with m = mTot = -inf would be NaN; l is 0 then.
  Value mIsInf = ob.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, m, f32c(ob, negInf));
  Value corr = ob.create<arith::SelectOp>(
      loc, mIsInf, f32c(ob, 0), ob.create<math::ExpOp>(loc, ob.create<arith::SubFOp>(loc, m, mTot)));
  Value extraIsInf = ob.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, extra, f32c(ob, negInf));
  Value pe = ob.create<arith::SelectOp>(
      loc, extraIsInf, f32c(ob, 0),
      ob.create<math::ExpOp>(loc, ob.create<arith::SubFOp>(loc, extra, mTot)));
  l = ob.create<arith::AddFOp>(loc, ob.create<arith::MulFOp>(loc, l, corr), pe);
  acc = ob.create<arith::MulFOp>(loc, acc, ob.create<vector::BroadcastOp>(loc, accType, corr));
  return {mTot, l, acc};
}

SmallVector<HeadSegment> KernelEmitter::headSegments() {
  int64_t H = variant.getShape().getHeads();
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
  SmallVector<HeadSegment> segments;
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    HeadSegment seg{bounds[i], bounds[i + 1], {}, nullptr};
    for (auto [n, a] : llvm::enumerate(variant.getMasks()))
      if (auto m = cast<HeadMaskAttr>(a); m.getHeadBegin() <= seg.h0 && seg.h0 < m.getHeadEnd()) {
        seg.mask = m.getMask();
        seg.maskIndex = n;
      }
    for (auto [n, a] : llvm::enumerate(variant.getScores()))
      if (auto sc = cast<HeadScoreAttr>(a); sc.getHeadBegin() <= seg.h0 && seg.h0 < sc.getHeadEnd()) {
        seg.score = &variant.getExprs()[sc.getRegion()];
        seg.scoreIndex = n;
      }
    segments.push_back(seg);
  }
  return segments;
}
