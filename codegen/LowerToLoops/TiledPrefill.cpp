//===- TiledPrefill.cpp - The tiled flash prefill kernel -----------------===//
#include "codegen/LowerToLoops/TiledPrefill.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr int64_t kLanes = 16; // f32 lanes of one AVX-512 register
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

/// Whether keys inside the hull of the mask's interval can be masked for a
/// whole key tile (unions, complements, dilation, global tokens).
bool hullHasHoles(MaskAttrInterface mask) {
  if (isa<OrMaskAttr, NotMaskAttr, DilatedMaskAttr, GlobalMaskAttr>(mask))
    return true;
  if (auto a = dyn_cast<AndMaskAttr>(mask))
    return llvm::any_of(a.getOperands(), [](Attribute m) {
      return hullHasHoles(cast<MaskAttrInterface>(m));
    });
  return false;
}
/// The pairs (a[i], b[i]) of two 16-lane vectors as one 32-lane vector:
/// AMX's VNNI order, two bf16 of the reduction dimension per 32-bit cell.
Value interleave(OpBuilder &b, Location loc, Value lo, Value hi) {
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < kLanes; ++i)
    mask.append({i, kLanes + i});
  return b.create<vector::ShuffleOp>(loc, lo, hi, mask);
}

/// Transposes a 16 x 16 matrix of 32-bit cells held as 16 row vectors: at
/// block size 8, 4, 2, 1 the off-diagonal blocks of each 2x2 block swap
/// (two-source shuffles, 64 in all).
SmallVector<Value> transpose16x16(OpBuilder &b, Location loc, SmallVector<Value> m) {
  for (int64_t blk = kLanes / 2; blk >= 1; blk /= 2) {
    SmallVector<Value> next(m);
    for (int64_t i = 0; i < kLanes; ++i) {
      if (i & blk)
        continue;
      SmallVector<int64_t> top, bottom;
      for (int64_t k = 0; k < kLanes; ++k) {
        top.push_back((k & blk) == 0 ? k : kLanes + k - blk);
        bottom.push_back((k & blk) == 0 ? k + blk : kLanes + k);
      }
      next[i] = b.create<vector::ShuffleOp>(loc, m[i], m[i + blk], top);
      next[i + blk] = b.create<vector::ShuffleOp>(loc, m[i], m[i + blk], bottom);
    }
    m = next;
  }
  return m;
}

/// Asks Linux for the AMX tile data state (arch_prctl(ARCH_REQ_XCOMP_PERM,
/// XFEATURE_XTILEDATA)), without which the first tile instruction faults.
/// Idempotent and process-wide; a raw system call, so the kernel library
/// needs no libc symbol for it.
void requestAmxPermission(OpBuilder &b, Location loc) {
  Type i64 = b.getI64Type();
  auto c = [&](int64_t v) {
    return (Value)b.create<LLVM::ConstantOp>(loc, i64, b.getI64IntegerAttr(v));
  };
  b.create<LLVM::InlineAsmOp>(
      loc, i64, ValueRange{c(158), c(0x1023), c(18)}, "syscall",
      "={rax},{rax},{rdi},{rsi},~{rcx},~{r11},~{memory}", /*has_side_effects=*/true,
      /*is_align_stack=*/false, LLVM::AsmDialectAttr(), ArrayAttr());
}
} // namespace

/// Query tile (Tq queries x P heads = 16 rows) geometry shared by the
/// packing in prepare and the loads in rows.
static int64_t headsPacked(DictionaryAttr plan) {
  return cast<IntegerAttr>(plan.get("heads_packed")).getInt();
}

void TiledPrefillEmitter::packQueryTiles(OpBuilder &ob, Value src, Value qf, DictionaryAttr plan) {
  ShapeAttr shape = variant.getShape();
  int64_t H = shape.getHeads(), D = shape.getHeadDim(), P = headsPacked(plan), Tq = kLanes / P;
  Value n = ob.create<memref::DimOp>(loc, src, 0);
  Value qFlat = ob.create<memref::ReinterpretCastOp>(
      loc, MemRefType::get({ShapedType::kDynamic}, ob.getF32Type()), qf,
      OpFoldResult(ob.getIndexAttr(0)),
      ArrayRef<OpFoldResult>{ob.create<arith::MulIOp>(loc, n, idxc(ob, H * D)).getResult()},
      ArrayRef<OpFoldResult>{ob.getIndexAttr(1)});
  ob.create<scf::ForOp>(
      loc, idxc(ob, 0), n, idxc(ob, 1), ValueRange{},
      [&](OpBuilder &tb, Location, Value i, ValueRange) {
        Value i0 = tb.create<arith::MulIOp>(loc, tb.create<arith::DivUIOp>(loc, i, idxc(tb, Tq)),
                                            idxc(tb, Tq));
        // Rows of this (last, maybe partial) query tile's blocks.
        Value rows = tb.create<arith::MulIOp>(
            loc, tb.create<arith::MinUIOp>(loc, idxc(tb, Tq), tb.create<arith::SubIOp>(loc, n, i0)),
            idxc(tb, P));
        Value lane0 = tb.create<arith::MulIOp>(loc, tb.create<arith::SubIOp>(loc, i, i0), idxc(tb, P));
        Value tileBase = tb.create<arith::MulIOp>(loc, i0, idxc(tb, H * D));
        tb.create<scf::ForOp>(
            loc, idxc(tb, 0), idxc(tb, H), idxc(tb, 1), ValueRange{},
            [&](OpBuilder &hb, Location, Value h, ValueRange) {
              Value hg = hb.create<arith::DivUIOp>(loc, h, idxc(hb, P));
              Value lane = hb.create<arith::AddIOp>(
                  loc, lane0, hb.create<arith::RemUIOp>(loc, h, idxc(hb, P)));
              Value base = hb.create<arith::AddIOp>(
                  loc, hb.create<arith::AddIOp>(
                           loc, tileBase,
                           hb.create<arith::MulIOp>(loc, hg, hb.create<arith::MulIOp>(loc, rows, idxc(hb, D)))),
                  lane);
              hb.create<scf::ForOp>(
                  loc, idxc(hb, 0), idxc(hb, D), idxc(hb, 1), ValueRange{},
                  [&](OpBuilder &db, Location, Value d, ValueRange) {
                    Value x = db.create<memref::LoadOp>(loc, src, ValueRange{i, h, d});
                    Value off = db.create<arith::AddIOp>(loc, base, db.create<arith::MulIOp>(loc, d, rows));
                    db.create<memref::StoreOp>(loc, x, qFlat, off);
                    db.create<scf::YieldOp>(loc);
                  });
              hb.create<scf::YieldOp>(loc);
            });
        tb.create<scf::YieldOp>(loc);
      });
}

void TiledPrefillEmitter::emitRowEpilogue(OpBuilder &qb, Value m, Value l, Value acc, Value i,
                                          Value h, Value sinkLogits, Value outArg,
                                          Value lseArg) {
  TypesAttr types = variant.getTypes();
  auto accType = cast<VectorType>(acc.getType());
  Value extra;
  if (sinkLogits) {
    Value n = qb.create<memref::DimOp>(loc, sinkLogits, 0);
    Value ok = qb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, h, n);
    auto ifOp = qb.create<scf::IfOp>(
        loc, ok,
        [&](OpBuilder &tb, Location) {
          tb.create<scf::YieldOp>(
              loc, ValueRange{toF32(tb, tb.create<memref::LoadOp>(loc, sinkLogits, h))});
        },
        [&](OpBuilder &eb, Location) {
          eb.create<scf::YieldOp>(loc, ValueRange{f32c(eb, kNegInf)});
        });
    extra = ifOp.getResult(0);
  } else if (isa<OffByOneAttr>(variant.getNormalizer())) {
    extra = f32c(qb, 0);
  }
  if (extra) {
    Value mTot = qb.create<arith::MaximumFOp>(loc, m, extra);
    // exp(m - mTot) with m = mTot = -inf would be NaN; l is 0 then.
    Value mIsInf = qb.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, m, f32c(qb, kNegInf));
    Value corr = qb.create<arith::SelectOp>(
        loc, mIsInf, f32c(qb, 0), qb.create<math::ExpOp>(loc, qb.create<arith::SubFOp>(loc, m, mTot)));
    Value extraIsInf =
        qb.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, extra, f32c(qb, kNegInf));
    Value pe = qb.create<arith::SelectOp>(
        loc, extraIsInf, f32c(qb, 0),
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
    out = qb.create<arith::TruncFOp>(loc, VectorType::get(accType.getShape(), types.getOut()), out);
  qb.create<vector::StoreOp>(loc, out, outArg, ValueRange{i, h, idxc(qb, 0)});
  if (lseArg) {
    Value lse = qb.create<arith::SelectOp>(
        loc, nonEmpty, qb.create<arith::AddFOp>(loc, m, qb.create<math::LogOp>(loc, l)),
        f32c(qb, kNegInf));
    qb.create<memref::StoreOp>(loc, lse, lseArg, ValueRange{i, h});
  }
}

std::pair<Value, Value> TiledPrefillEmitter::classifyKeyTile(OpBuilder &ob,
                                                             MaskAttrInterface mask, Value qp,
                                                             Value j0, Value j1) {
  using P = arith::CmpIPredicate;
  auto cmp = [&](P p, Value a, Value c) { return (Value)ob.create<arith::CmpIOp>(loc, p, a, c); };
  auto andv = [&](Value a, Value c) { return (Value)ob.create<arith::AndIOp>(loc, a, c); };
  auto orv = [&](Value a, Value c) { return (Value)ob.create<arith::OrIOp>(loc, a, c); };
  auto notv = [&](Value a) { return (Value)ob.create<arith::XOrIOp>(loc, a, i1c(ob, true)); };
  // The mask is true exactly on keys [lo, hi) (null: unbounded).
  auto exact = [&](Value lo, Value hi) -> std::pair<Value, Value> {
    Value may = i1c(ob, true), all = i1c(ob, true);
    if (lo) {
      may = andv(may, cmp(P::sgt, j1, lo));
      all = andv(all, cmp(P::sge, j0, lo));
    }
    if (hi) {
      may = andv(may, cmp(P::slt, j0, hi));
      all = andv(all, cmp(P::sle, j1, hi));
    }
    return {may, all};
  };
  if (isa<FullMaskAttr>(mask))
    return {i1c(ob, true), i1c(ob, true)};
  if (isa<CausalMaskAttr, WindowMaskAttr, SinksMaskAttr, ChunkedMaskAttr>(mask)) {
    auto [lo, hi] = maskInterval(ob, mask, qp);
    return exact(lo, hi);
  }
  if (auto p = dyn_cast<PrefixLMMaskAttr>(mask); p && p.getInput().empty()) {
    auto [lo, hi] = maskInterval(ob, mask, qp);
    return exact(lo, hi);
  }
  if (auto d = dyn_cast<DilatedMaskAttr>(mask)) {
    // Inside its hull only every dilation-th key is kept.
    auto [lo, hi] = maskInterval(ob, mask, qp);
    auto [may, all] = exact(lo, hi);
    return {may, d.getDilation() == 1 ? all : i1c(ob, false)};
  }
  if (auto g = dyn_cast<GlobalMaskAttr>(mask)) {
    Value all = i1c(ob, false);
    if (g.getFirst() > 0)
      all = orv(cmp(P::slt, qp, i64c(ob, g.getFirst())), cmp(P::sle, j1, i64c(ob, g.getFirst())));
    for (int64_t t : g.getTokens())
      all = orv(all, cmp(P::eq, qp, i64c(ob, t)));
    bool never = g.getFirst() <= 0 && g.getTokens().empty();
    return {i1c(ob, !never), all};
  }
  if (auto a = dyn_cast<AndMaskAttr>(mask)) {
    Value may = i1c(ob, true), all = i1c(ob, true);
    for (Attribute m : a.getOperands()) {
      auto [mi, ai] = classifyKeyTile(ob, cast<MaskAttrInterface>(m), qp, j0, j1);
      may = andv(may, mi);
      all = andv(all, ai);
    }
    return {may, all};
  }
  if (auto o = dyn_cast<OrMaskAttr>(mask)) {
    Value may = i1c(ob, false), all = i1c(ob, false);
    for (Attribute m : o.getOperands()) {
      auto [mi, ai] = classifyKeyTile(ob, cast<MaskAttrInterface>(m), qp, j0, j1);
      may = orv(may, mi);
      all = orv(all, ai);
    }
    return {may, all};
  }
  if (auto n = dyn_cast<NotMaskAttr>(mask)) {
    auto [mi, ai] = classifyKeyTile(ob, n.getOperand(), qp, j0, j1);
    return {notv(ai), notv(mi)};
  }
  // Document ids, predicate regions, prefix lengths read from an input.
  return {i1c(ob, true), i1c(ob, false)};
}

Value TiledPrefillEmitter::inlineRegionOnVector(OpBuilder &ob, Region &region, Value s) {
  Block &block = region.front();
  auto shape = cast<VectorType>(s.getType()).getShape();
  IRMapping map;
  map.map(block.getArgument(0), s);
  for (Operation &op : block.without_terminator()) {
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      auto vt = VectorType::get(shape, c.getType());
      map.map(c.getResult(),
              ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(vt, c.getValue())));
      continue;
    }
    OperationState st(op.getLoc(), op.getName());
    for (Value o : op.getOperands()) {
      Value m = map.lookupOrDefault(o);
      if (!isa<VectorType>(m.getType()))
        m = ob.create<vector::BroadcastOp>(loc, VectorType::get(shape, m.getType()), m);
      st.addOperands(m);
    }
    st.addAttributes(op.getAttrs());
    for (Type t : op.getResultTypes())
      st.addTypes(VectorType::get(shape, t));
    map.map(op.getResult(0), ob.create(st)->getResult(0));
  }
  return map.lookup(cast<YieldOp>(block.getTerminator()).getValue());
}

void TiledPrefillEmitter::emitTiledRows(OpBuilder &b, const RowsArgs &a,
                                        ArrayRef<HeadSegment> segments, DictionaryAttr plan) {
  ShapeAttr shape = variant.getShape();
  TypesAttr types = variant.getTypes();
  int64_t H = shape.getHeads(), Hkv = shape.getKvHeads(), D = shape.getHeadDim(),
          Dv = shape.getValueDim();
  int64_t G = H / Hkv;
  // R = 16 rows (one f32 vector): Tq queries x P heads of one KV head.
  int64_t P = headsPacked(plan), Tq = kLanes / P, R = kLanes;
  int64_t Tk = cast<IntegerAttr>(plan.get("key_tile")).getInt();
  // NB row tiles share each K/V tile while it is in L1.
  int64_t NB = cast<IntegerAttr>(plan.get("row_tiles_per_block")).getInt();
  StringRef biasKind = cast<StringAttr>(plan.get("bias")).getValue();
  // QK^T and PV on AMX tiles (bf16 x bf16 -> f32), key tiles of 32.
  auto matmul = dyn_cast_or_null<StringAttr>(plan.get("matmul"));
  bool amx = matmul && matmul.getValue() == "amx_bf16";
  float scale = variant.getScale().convertToDouble();
  Type f32 = b.getF32Type();
  auto vecT = VectorType::get({kLanes}, f32);
  auto maskT = VectorType::get({kLanes}, b.getI1Type());
  auto posVecT = VectorType::get({kLanes}, b.getI64Type());
  auto accRowT = VectorType::get({Dv}, f32);
  auto splat = [&](VectorType t, Attribute v) {
    return (Value)b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(t, v));
  };

  Value lq = b.create<memref::DimOp>(loc, a.qf, 0);
  Value lk = b.create<memref::DimOp>(loc, a.kf, 0);
  Value lqI64 = toI64(b, lq), lkI64 = toI64(b, lk);
  // Per-row state, row attributes and the score tile (lanes = rows), in L1.
  // Scratch on 64-byte boundaries: every tile row and score vector is one
  // cache line (AMX tile rows and AVX-512 vectors split across two lines
  // otherwise).
  auto cacheLineAlloca = [&](OpBuilder &ob, MemRefType t) {
    return (Value)ob.create<memref::AllocaOp>(loc, t, ob.getI64IntegerAttr(64));
  };
  Value mBuf = cacheLineAlloca(b, MemRefType::get({NB, R}, f32));
  Value lBuf = cacheLineAlloca(b, MemRefType::get({NB, R}, f32));
  Value corrBuf = cacheLineAlloca(b, MemRefType::get({R}, f32));
  Value slopeBuf = cacheLineAlloca(b, MemRefType::get({R}, f32));
  Value qPosBuf = cacheLineAlloca(b, MemRefType::get({R}, b.getI64Type()));
  Value accBuf = cacheLineAlloca(b, MemRefType::get({NB * R, Dv}, f32));
  Value sBuf = cacheLineAlloca(b, MemRefType::get({Tk, R}, f32));
  // The block's current K and V tile, copied (V converted to f32) once for
  // its row tiles: keys sit at a 4 KB stride in K/V (kv_heads x D x 4 bytes
  // for 8 x 128), so reading 16 of them in place maps every access of a step
  // to one L1 set and thrashes it.
  Value kTile, vTile;
  // AMX operands, each a static row-major buffer (the tile loads take their
  // row stride from the buffer's row length): K tile rows in bf16 (A of
  // Sᵀ = K Qᵀ); V pairs of keys interleaved (B of O = P V); the block's Q
  // tiles, a row per pair of head-dim indices (B of Sᵀ); P of one row tile
  // (A).
  Value kTileB, vTileB, qTiles, pBuf;
  // With an lse output, Q and K also keep their bf16 rounding residue (lo)
  // and Sᵀ = Khi Qhiᵀ + Klo Qhiᵀ + Khi Qloᵀ: the log-sum-exp is read at an
  // absolute 1e-3, which rounding rotated Q and K to bf16 alone misses
  // (the tensor-core GPU kernel splits the same way).
  bool split = amx && variant.getLse();
  Value kTileLo, qTilesLo;
  Type bf16 = b.getBF16Type();
  // x as bf16 (round to nearest even) and, with `split`, the residue x - hi
  // rounded to bf16 (null otherwise).
  auto splitBf16 = [&](OpBuilder &ob, Value x) -> std::pair<Value, Value> {
    auto t = VectorType::get(cast<VectorType>(x.getType()).getShape(), bf16);
    Value hi = ob.create<arith::TruncFOp>(loc, t, x);
    if (!split)
      return {hi, Value()};
    Value rest = ob.create<arith::SubFOp>(loc, x, ob.create<arith::ExtFOp>(loc, x.getType(), hi));
    return {hi, ob.create<arith::TruncFOp>(loc, t, rest)};
  };
  if (amx) {
    b.setInsertionPointToStart(&b.getInsertionBlock()->getParent()->front());
    requestAmxPermission(b, loc);
    b.setInsertionPointAfterValue(sBuf);
    kTileB = cacheLineAlloca(b, MemRefType::get({Tk, D}, bf16));
    vTileB = cacheLineAlloca(b, MemRefType::get({Tk / 2, 2 * Dv}, bf16));
    qTiles = cacheLineAlloca(b, MemRefType::get({NB * (D / 2), 2 * kLanes}, bf16));
    if (split) {
      kTileLo = cacheLineAlloca(b, MemRefType::get({Tk, D}, bf16));
      qTilesLo = cacheLineAlloca(b, MemRefType::get({NB * (D / 2), 2 * kLanes}, bf16));
    }
    pBuf = cacheLineAlloca(b, MemRefType::get({R, Tk}, bf16));
  } else {
    kTile = cacheLineAlloca(b, MemRefType::get({Tk, D}, f32));
    vTile = cacheLineAlloca(b, MemRefType::get({Tk, Dv}, f32));
  }
  // Q packed by prepare (packQueryTiles).
  Value qFlat = b.create<memref::ReinterpretCastOp>(
      loc, MemRefType::get({ShapedType::kDynamic}, f32), a.qf, OpFoldResult(b.getIndexAttr(0)),
      ArrayRef<OpFoldResult>{b.create<arith::MulIOp>(loc, lq, idxc(b, H * D)).getResult()},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  Value zeroVec = splat(vecT, b.getF32FloatAttr(0));
  Value negInfVec = splat(vecT, b.getF32FloatAttr(kNegInf));

  // Work items [begin, end) of (query w / H, head w % H): the query tiles
  // (at multiples of Tq) they touch; rows outside the range are computed,
  // not stored, so a row's arithmetic never depends on the split.
  Value endC = b.create<arith::MinUIOp>(loc, a.end, b.create<arith::MulIOp>(loc, lq, idxc(b, H)));
  Value qBegin = b.create<arith::MulIOp>(
      loc, b.create<arith::DivUIOp>(loc, b.create<arith::DivUIOp>(loc, a.begin, idxc(b, H)), idxc(b, Tq)),
      idxc(b, Tq));
  Value qEnd = b.create<arith::DivUIOp>(
      loc, b.create<arith::AddIOp>(loc, endC, idxc(b, H - 1)), idxc(b, H));
  auto qLoop = b.create<scf::ForOp>(loc, qBegin, qEnd, idxc(b, Tq * NB));
  b.setInsertionPointToStart(qLoop.getBody());
  Value qb0 = qLoop.getInductionVar();
  Value qLast = b.create<arith::SubIOp>(loc, lq, idxc(b, 1));
  // The block's queries (clamped to Lq - 1), for its key range.
  SmallVector<Value> blockQPos;
  for (int64_t qi = 0; qi < Tq * NB; ++qi)
    blockQPos.push_back(b.create<memref::LoadOp>(
        loc, a.qPos,
        ValueRange{b.create<arith::MinUIOp>(loc, b.create<arith::AddIOp>(loc, qb0, idxc(b, qi)), qLast)}));
  // One row tile of the block: its queries, rows and packed Q block.
  struct RowTile {
    Value qt, nq, rowsReal, rowMask, qPosVec;
    SmallVector<Value> qIdx, qPos;
  };
  auto rowTile = [&](OpBuilder &ob, Value rt) {
    RowTile t;
    t.qt = ob.create<arith::AddIOp>(loc, qb0, ob.create<arith::MulIOp>(loc, rt, idxc(ob, Tq)));
    t.nq = ob.create<arith::MinSIOp>(loc, idxc(ob, Tq), ob.create<arith::SubIOp>(loc, lq, t.qt));
    t.nq = ob.create<arith::MaxSIOp>(loc, t.nq, idxc(ob, 0));
    t.rowsReal = ob.create<arith::MulIOp>(loc, t.nq, idxc(ob, P));
    t.rowMask = ob.create<vector::CreateMaskOp>(loc, maskT, ValueRange{t.rowsReal});
    for (int64_t qi = 0; qi < Tq; ++qi) {
      t.qIdx.push_back(
          ob.create<arith::MinUIOp>(loc, ob.create<arith::AddIOp>(loc, t.qt, idxc(ob, qi)), qLast));
      t.qPos.push_back(ob.create<memref::LoadOp>(loc, a.qPos, t.qIdx.back()));
      for (int64_t hp = 0; hp < P; ++hp)
        ob.create<memref::StoreOp>(loc, t.qPos.back(), qPosBuf, idxc(ob, qi * P + hp));
    }
    t.qPosVec = ob.create<vector::LoadOp>(loc, posVecT, qPosBuf, ValueRange{idxc(ob, 0)});
    return t;
  };

  for (const HeadSegment &seg : segments) {
    auto hLoop = b.create<scf::ForOp>(loc, idxc(b, seg.h0 / P), idxc(b, seg.h1 / P), idxc(b, 1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(hLoop.getBody());
    Value hg = hLoop.getInductionVar();
    Value hBase = b.create<arith::MulIOp>(loc, hg, idxc(b, P));
    Value kvh = b.create<arith::DivUIOp>(loc, hBase, idxc(b, G));
    SmallVector<Value> heads;
    for (int64_t hp = 0; hp < P; ++hp)
      heads.push_back(b.create<arith::AddIOp>(loc, hBase, idxc(b, hp)));
    auto rowQ = [&](int64_t r) { return r / P; };
    auto rowH = [&](int64_t r) { return heads[r % P]; };
    bool vectorBias = biasKind == "vector" && !(seg.score && !seg.scoreOnVectors);
    Value slopeVec;
    if (vectorBias) {
      for (int64_t r = 0; r < R; ++r)
        b.create<memref::StoreOp>(loc, b.create<memref::LoadOp>(loc, alibiSlopes, rowH(r)), slopeBuf,
                                  idxc(b, r));
      slopeVec = b.create<vector::LoadOp>(loc, vecT, slopeBuf, ValueRange{idxc(b, 0)});
    }
    // Per-element work every tile needs, whatever its class.
    bool scalarAlways = (seg.score && !seg.scoreOnVectors) || biasKind == "per_element";

    for (int64_t rt = 0; rt < NB; ++rt) {
      b.create<vector::StoreOp>(loc, negInfVec, mBuf, ValueRange{idxc(b, rt), idxc(b, 0)});
      b.create<vector::StoreOp>(loc, zeroVec, lBuf, ValueRange{idxc(b, rt), idxc(b, 0)});
    }
    b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, NB * R), idxc(b, 1), ValueRange{},
                         [&](OpBuilder &zb, Location, Value r, ValueRange) {
                           for (int64_t c = 0; c < Dv; c += kLanes)
                             zb.create<vector::StoreOp>(loc, zeroVec, accBuf, ValueRange{r, idxc(zb, c)});
                           zb.create<scf::YieldOp>(loc);
                         });

    if (amx) {
      // The block's Q tiles as AMX B operands: row (tile, d pair) holds the
      // 16 rows' (q[2p], q[2p+1]) in bf16; rows past Lq are zeros.
      b.create<scf::ForOp>(
          loc, idxc(b, 0), idxc(b, NB), idxc(b, 1), ValueRange{},
          [&](OpBuilder &qb, Location, Value rt, ValueRange) {
            RowTile t = rowTile(qb, rt);
            Value qBlock = qb.create<arith::AddIOp>(
                loc, qb.create<arith::MulIOp>(loc, t.qt, idxc(qb, H * D)),
                qb.create<arith::MulIOp>(loc, hg, qb.create<arith::MulIOp>(loc, t.rowsReal, idxc(qb, D))));
            Value tileRow0 = qb.create<arith::MulIOp>(loc, rt, idxc(qb, D / 2));
            qb.create<scf::ForOp>(
                loc, idxc(qb, 0), idxc(qb, D / 2), idxc(qb, 1), ValueRange{},
                [&](OpBuilder &pb, Location, Value p, ValueRange) {
                  auto qAt = [&](int64_t e) {
                    Value d = pb.create<arith::AddIOp>(loc, pb.create<arith::MulIOp>(loc, p, idxc(pb, 2)),
                                                       idxc(pb, e));
                    return (Value)pb.create<vector::MaskedLoadOp>(
                        loc, vecT, qFlat,
                        ValueRange{pb.create<arith::AddIOp>(loc, qBlock, pb.create<arith::MulIOp>(loc, d, t.rowsReal))},
                        t.rowMask, zeroVec);
                  };
                  Value x0 = qAt(0), x1 = qAt(1);
                  Value row = pb.create<arith::AddIOp>(loc, tileRow0, p);
                  auto [hi0, lo0] = splitBf16(pb, x0);
                  auto [hi1, lo1] = splitBf16(pb, x1);
                  pb.create<vector::StoreOp>(loc, interleave(pb, loc, hi0, hi1), qTiles, ValueRange{row, idxc(pb, 0)});
                  if (split)
                    pb.create<vector::StoreOp>(loc, interleave(pb, loc, lo0, lo1), qTilesLo,
                                               ValueRange{row, idxc(pb, 0)});
                  pb.create<scf::YieldOp>(loc);
                });
            qb.create<scf::YieldOp>(loc);
          });
    }

    // Keys the rows' mask intervals allow (when keys sit at 0..Lk-1).
    Value jLo = i64c(b, 0), jHi = lkI64;
    if (seg.mask) {
      Value lo, hi;
      bool loOpen = false, hiOpen = false;
      for (Value qp : blockQPos) {
        auto [l, h] = maskInterval(b, seg.mask, qp);
        loOpen |= !l;
        hiOpen |= !h;
        if (l)
          lo = lo ? (Value)b.create<arith::MinSIOp>(loc, lo, l) : l;
        if (h)
          hi = hi ? (Value)b.create<arith::MaxSIOp>(loc, hi, h) : h;
      }
      if (!loOpen)
        jLo = b.create<arith::SelectOp>(
            loc, a.keysContiguous,
            b.create<arith::MinSIOp>(loc, b.create<arith::MaxSIOp>(loc, lo, i64c(b, 0)), lkI64), jLo);
      if (!hiOpen)
        jHi = b.create<arith::SelectOp>(
            loc, a.keysContiguous,
            b.create<arith::MinSIOp>(loc, b.create<arith::MaxSIOp>(loc, hi, i64c(b, 0)), lkI64), jHi);
    }
    // Key tiles start at multiples of Tk: a row sees the same tiles
    // whichever rows share its tile or block.
    Value jStart = b.create<arith::MulIOp>(
        loc, b.create<arith::DivUIOp>(loc, toIndex(b, jLo), idxc(b, Tk)), idxc(b, Tk));
    auto kLoop = b.create<scf::ForOp>(loc, jStart, toIndex(b, jHi), idxc(b, Tk));
    {
      OpBuilder::InsertionGuard kGuard(b);
      b.setInsertionPointToStart(kLoop.getBody());
      Value j0 = kLoop.getInductionVar();
      Value j0I64 = toI64(b, j0), j1I64 = b.create<arith::AddIOp>(loc, j0I64, i64c(b, Tk));
      Value whole = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sle, j1I64, lkI64);
      Value nKeys = b.create<arith::MinSIOp>(loc, idxc(b, Tk), b.create<arith::SubIOp>(loc, lk, j0));
      // Tiles empty for every query of the block (between the sinks and the
      // window, say) are not even copied. Masks without holes in their
      // interval hull never have such tiles inside the key range.
      if (seg.mask && seg.maskByInterval && hullHasHoles(seg.mask)) {
        Value may = i1c(b, false);
        for (Value qp : blockQPos)
          may = b.create<arith::OrIOp>(loc, may, classifyKeyTile(b, seg.mask, qp, j0I64, j1I64).first);
        may = b.create<arith::OrIOp>(loc, may, b.create<arith::XOrIOp>(loc, a.keysContiguous, i1c(b, true)));
        auto blockIf = b.create<scf::IfOp>(loc, may, /*withElse=*/false);
        b.setInsertionPointToStart(&blockIf.getThenRegion().front());
      }
      if (amx) {
        // K rows rounded to bf16; V as pairs of keys interleaved (the last
        // tile's key indices clamped to Lk - 1: their P is 0).
        Value kLast = b.create<arith::SubIOp>(loc, lk, idxc(b, 1));
        // Loops, not unrolled: unrolled they were a third of the library's
        // compile time, and as loops they ran as fast within the noise.
        auto keyAt = [&](OpBuilder &ob, Value jj) {
          return (Value)ob.create<arith::MinUIOp>(loc, ob.create<arith::AddIOp>(loc, j0, jj), kLast);
        };
        auto vec16 = VectorType::get({kLanes}, f32);
        auto bvec16 = VectorType::get({kLanes}, bf16);
        b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, Tk), idxc(b, 1), ValueRange{},
                             [&](OpBuilder &jb, Location, Value jj, ValueRange) {
          Value j = keyAt(jb, jj);
          for (int64_t d = 0; d < D; d += kLanes) {
            Value x = jb.create<vector::LoadOp>(loc, vec16, a.kf, ValueRange{j, kvh, idxc(jb, d)});
            auto [hi, lo] = splitBf16(jb, x);
            jb.create<vector::StoreOp>(loc, hi, kTileB, ValueRange{jj, idxc(jb, d)});
            if (split)
              jb.create<vector::StoreOp>(loc, lo, kTileLo, ValueRange{jj, idxc(jb, d)});
          }
          jb.create<scf::YieldOp>(loc);
        });
        b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, Tk / 2), idxc(b, 1), ValueRange{},
                             [&](OpBuilder &pb, Location, Value kp, ValueRange) {
          Value j2 = pb.create<arith::MulIOp>(loc, kp, idxc(pb, 2));
          Value jA = keyAt(pb, j2), jB = keyAt(pb, pb.create<arith::AddIOp>(loc, j2, idxc(pb, 1)));
          for (int64_t c = 0; c < Dv; c += kLanes) {
            Value va = pb.create<vector::LoadOp>(loc, bvec16, a.v, ValueRange{jA, kvh, idxc(pb, c)});
            Value vb = pb.create<vector::LoadOp>(loc, bvec16, a.v, ValueRange{jB, kvh, idxc(pb, c)});
            pb.create<vector::StoreOp>(loc, interleave(pb, loc, va, vb), vTileB, ValueRange{kp, idxc(pb, 2 * c)});
          }
          pb.create<scf::YieldOp>(loc);
        });
      } else {
        // Copy the tile (the last one's key indices clamped to Lk - 1).
        Value kLast = b.create<arith::SubIOp>(loc, lk, idxc(b, 1));
        auto vecOf = [&](int64_t n) { return n % kLanes == 0 ? kLanes : 1; };
        int64_t kw = vecOf(D), vw = vecOf(Dv);
        for (int64_t jj = 0; jj < Tk; ++jj) {
          Value j = b.create<arith::MinUIOp>(loc, b.create<arith::AddIOp>(loc, j0, idxc(b, jj)), kLast);
          Value jt = idxc(b, jj);
          b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, D), idxc(b, kw), ValueRange{},
                               [&](OpBuilder &cb, Location, Value d, ValueRange) {
                                 auto t = VectorType::get({kw}, f32);
                                 cb.create<vector::StoreOp>(
                                     loc, cb.create<vector::LoadOp>(loc, t, a.kf, ValueRange{j, kvh, d}),
                                     kTile, ValueRange{jt, d});
                                 cb.create<scf::YieldOp>(loc);
                               });
          b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, Dv), idxc(b, vw), ValueRange{},
                               [&](OpBuilder &cb, Location, Value c, ValueRange) {
                                 auto t = VectorType::get({vw}, types.getV());
                                 cb.create<vector::StoreOp>(
                                     loc, vecToF32(cb, cb.create<vector::LoadOp>(loc, t, a.v, ValueRange{j, kvh, c})),
                                     vTile, ValueRange{jt, c});
                                 cb.create<scf::YieldOp>(loc);
                               });
        }
      }
      // The block's row tiles, one after the other on this K/V tile.
      auto rtLoop = b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, NB), idxc(b, 1));
      b.setInsertionPointToStart(rtLoop.getBody());
      Value rt = rtLoop.getInductionVar();
      RowTile t = rowTile(b, rt);
      Value rowBase = b.create<arith::MulIOp>(loc, rt, idxc(b, R));
      // Packed Q block of (query tile, head pack): row d at d * rowsReal.
      Value qBlock = b.create<arith::AddIOp>(
          loc, b.create<arith::MulIOp>(loc, t.qt, idxc(b, H * D)),
          b.create<arith::MulIOp>(loc, hg, b.create<arith::MulIOp>(loc, t.rowsReal, idxc(b, D))));
      // Block class: empty tiles are skipped, full tiles run no mask code.
      Value nonEmpty = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, t.qt, qEnd);
      Value full = whole;
      if (seg.mask && seg.maskByInterval) {
        Value may = i1c(b, false), all = i1c(b, true);
        for (int64_t qi = 0; qi < Tq; ++qi) {
          auto [mi, ai] = classifyKeyTile(b, seg.mask, t.qPos[qi], j0I64, j1I64);
          may = b.create<arith::OrIOp>(loc, may, mi);
          all = b.create<arith::AndIOp>(loc, all, ai);
        }
        nonEmpty = b.create<arith::AndIOp>(
            loc, nonEmpty,
            b.create<arith::OrIOp>(loc, may, b.create<arith::XOrIOp>(loc, a.keysContiguous, i1c(b, true))));
        full = b.create<arith::AndIOp>(loc, full, b.create<arith::AndIOp>(loc, all, a.keysContiguous));
      } else if (seg.mask) {
        full = i1c(b, false);
      }
      auto tileIf = b.create<scf::IfOp>(loc, nonEmpty, /*withElse=*/false);
      b.setInsertionPointToStart(&tileIf.getThenRegion().front());

      // Sᵀ = K Qᵀ: per d, one load of the 16 rows' q[d] and one broadcast
      // FMA per key of the copied tile (the last tile's extra keys repeat
      // key Lk - 1; their scores are masked below).
      SmallVector<Value> rawScores;
      if (amx) {
        // Sᵀ (keys x rows) = K Qᵀ, 16 keys per C tile, 32 of D per step.
        // The C tiles' chains interleave (AMX tiles are not renamed: one
        // chain would wait for each product) and share each Q tile load;
        // every tile value stays in this block (LLVM keeps them in tmm).
        auto abT = VectorType::get({kLanes, 2 * kLanes}, bf16);
        auto cT = VectorType::get({kLanes, kLanes}, f32);
        Value qRow0 = b.create<arith::MulIOp>(loc, rt, idxc(b, D / 2));
        SmallVector<Value> c;
        for (int64_t n = 0; n < Tk / kLanes; ++n)
          c.push_back(b.create<amx::TileZeroOp>(loc, cT));
        for (int64_t kc = 0; kc < D / (2 * kLanes); ++kc) {
          Value qAt[] = {b.create<arith::AddIOp>(loc, qRow0, idxc(b, kc * kLanes)), idxc(b, 0)};
          Value qbT = b.create<amx::TileLoadOp>(loc, abT, qTiles, qAt);
          Value qLo = split ? b.create<amx::TileLoadOp>(loc, abT, qTilesLo, qAt) : Value();
          for (int64_t n = 0; n < Tk / kLanes; ++n) {
            SmallVector<Value, 2> kAt{idxc(b, n * kLanes), idxc(b, kc * 2 * kLanes)};
            Value ka = b.create<amx::TileLoadOp>(loc, abT, kTileB, kAt);
            c[n] = b.create<amx::TileMulFOp>(loc, cT, ka, qbT, c[n]);
            if (split) {
              c[n] = b.create<amx::TileMulFOp>(loc, cT, ka, qLo, c[n]);
              Value kLo = b.create<amx::TileLoadOp>(loc, abT, kTileLo, kAt);
              c[n] = b.create<amx::TileMulFOp>(loc, cT, kLo, qbT, c[n]);
            }
          }
        }
        for (int64_t n = 0; n < Tk / kLanes; ++n)
          b.create<amx::TileStoreOp>(loc, sBuf, ValueRange{idxc(b, n * kLanes), idxc(b, 0)}, c[n]);
        for (int64_t jj = 0; jj < Tk; ++jj)
          rawScores.push_back(b.create<vector::LoadOp>(loc, vecT, sBuf, ValueRange{idxc(b, jj), idxc(b, 0)}));
      } else {
      SmallVector<Value> init(Tk, zeroVec);
      auto dLoop = b.create<scf::ForOp>(
          loc, idxc(b, 0), idxc(b, D), idxc(b, 1), init,
          [&](OpBuilder &db, Location, Value d, ValueRange acc) {
            Value qv = db.create<vector::MaskedLoadOp>(
                loc, vecT, qFlat,
                ValueRange{db.create<arith::AddIOp>(loc, qBlock, db.create<arith::MulIOp>(loc, d, t.rowsReal))},
                t.rowMask, zeroVec);
            SmallVector<Value> next;
            for (int64_t jj = 0; jj < Tk; ++jj) {
              Value ks = db.create<vector::BroadcastOp>(
                  loc, vecT, db.create<memref::LoadOp>(loc, kTile, ValueRange{idxc(db, jj), d}));
              next.push_back(db.create<vector::FMAOp>(loc, ks, qv, acc[jj]));
            }
            db.create<scf::YieldOp>(loc, next);
          });
      for (int64_t jj = 0; jj < Tk; ++jj)
        rawScores.push_back(dLoop.getResult(jj));
      }
      Value scaleVec = splat(vecT, b.getF32FloatAttr(scale));
      SmallVector<Value> s;
      for (int64_t jj = 0; jj < Tk; ++jj) {
        Value x = b.create<arith::MulFOp>(loc, rawScores[jj], scaleVec);
        if (seg.score && seg.scoreOnVectors)
          x = inlineRegionOnVector(b, *seg.score, x);
        if (vectorBias) {
          // ALiBi: -slope * (q_pos - k_pos), as emitBias.
          Value j = b.create<arith::MinUIOp>(loc, b.create<arith::AddIOp>(loc, j0, idxc(b, jj)),
                                             b.create<arith::SubIOp>(loc, lk, idxc(b, 1)));
          Value kp = b.create<memref::LoadOp>(loc, a.kPos, j);
          Value dist = b.create<arith::SubIOp>(loc, t.qPosVec, b.create<vector::BroadcastOp>(loc, posVecT, kp));
          Value bias = b.create<arith::NegFOp>(
              loc, b.create<arith::MulFOp>(loc, slopeVec, b.create<arith::SIToFPOp>(loc, vecT, dist)));
          x = b.create<arith::AddFOp>(loc, x, bias);
        }
        s.push_back(x);
      }

      // Partial tiles (and per-element score work): through memory, one
      // element at a time; keys past Lk and masked pairs become -inf.
      for (int64_t jj = 0; jj < Tk; ++jj)
        b.create<vector::StoreOp>(loc, s[jj], sBuf, ValueRange{idxc(b, jj), idxc(b, 0)});
      Value needScalar = scalarAlways ? i1c(b, true)
                                      : (Value)b.create<arith::XOrIOp>(loc, full, i1c(b, true));
      auto scalarIf = b.create<scf::IfOp>(loc, needScalar, /*withElse=*/false);
      {
        OpBuilder::InsertionGuard sGuard(b);
        b.setInsertionPointToStart(&scalarIf.getThenRegion().front());
        b.create<scf::ForOp>(
            loc, idxc(b, 0), idxc(b, Tk), idxc(b, 1), ValueRange{},
            [&](OpBuilder &eb, Location, Value jj, ValueRange) {
              Value j = eb.create<arith::AddIOp>(loc, j0, jj);
              Value inRange = eb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, j, lk);
              // A loop over the rows, not unrolled: partial tiles are rare and
              // the per-element code is the bulk of the kernel's size.
              eb.create<scf::ForOp>(loc, idxc(eb, 0), idxc(eb, R), idxc(eb, 1), ValueRange{},
                                    [&](OpBuilder &rb, Location, Value r, ValueRange) {
                auto valIf = rb.create<scf::IfOp>(
                    loc, inRange,
                    [&](OpBuilder &tb, Location) {
                      Value x = tb.create<memref::LoadOp>(loc, sBuf, ValueRange{jj, r});
                      Value kp = tb.create<memref::LoadOp>(loc, a.kPos, j);
                      Value head = tb.create<arith::AddIOp>(loc, hBase,
                                                            tb.create<arith::RemUIOp>(loc, r, idxc(tb, P)));
                      Value qp = tb.create<memref::LoadOp>(loc, qPosBuf, r);
                      PairIndices ix{a.batch, head, qp, kp, lqI64, lkI64};
                      if (seg.score && !seg.scoreOnVectors)
                        x = inlineRegion(tb, *seg.score, {x, ix.batch, ix.head, ix.qPos, kp, lqI64, lkI64});
                      if (!vectorBias)
                        if (Value bias = emitBias(tb, ix))
                          x = tb.create<arith::AddFOp>(loc, x, bias);
                      if (seg.mask) {
                        Value keep = tb.create<arith::OrIOp>(loc, full, emitMask(tb, seg.mask, ix));
                        x = tb.create<arith::SelectOp>(loc, keep, x, f32c(tb, kNegInf));
                      }
                      tb.create<scf::YieldOp>(loc, x);
                    },
                    [&](OpBuilder &fb, Location) {
                      fb.create<scf::YieldOp>(loc, ValueRange{f32c(fb, kNegInf)});
                    });
                rb.create<memref::StoreOp>(loc, valIf.getResult(0), sBuf, ValueRange{jj, r});
                rb.create<scf::YieldOp>(loc);
              });
              eb.create<scf::YieldOp>(loc);
            });
      }

      // Online softmax, lanes = rows: no horizontal reductions. P
      // overwrites S in sBuf.
      SmallVector<Value> sr;
      for (int64_t jj = 0; jj < Tk; ++jj)
        sr.push_back(b.create<vector::LoadOp>(loc, vecT, sBuf, ValueRange{idxc(b, jj), idxc(b, 0)}));
      Value tileMax = sr[0];
      for (int64_t jj = 1; jj < Tk; ++jj)
        tileMax = b.create<arith::MaximumFOp>(loc, tileMax, sr[jj]);
      Value mOld = b.create<vector::LoadOp>(loc, vecT, mBuf, ValueRange{rt, idxc(b, 0)});
      Value mNew = b.create<arith::MaximumFOp>(loc, mOld, tileMax);
      // A row whose scores are all -inf so far exponentiates against 0:
      // p = 0 and corr = 0 (its sums are 0), never NaN.
      Value allMasked = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, mNew, negInfVec);
      Value mRef = b.create<arith::SelectOp>(loc, allMasked, zeroVec, mNew);
      Value sum = zeroVec;
      for (int64_t jj = 0; jj < Tk; ++jj) {
        Value p = b.create<math::ExpOp>(loc, b.create<arith::SubFOp>(loc, sr[jj], mRef));
        sum = b.create<arith::AddFOp>(loc, sum, p);
        b.create<vector::StoreOp>(loc, p, sBuf, ValueRange{idxc(b, jj), idxc(b, 0)});
      }
      Value corr = b.create<math::ExpOp>(loc, b.create<arith::SubFOp>(loc, mOld, mRef));
      Value lOld = b.create<vector::LoadOp>(loc, vecT, lBuf, ValueRange{rt, idxc(b, 0)});
      b.create<vector::StoreOp>(loc, b.create<arith::AddFOp>(loc, b.create<arith::MulFOp>(loc, lOld, corr), sum),
                                lBuf, ValueRange{rt, idxc(b, 0)});
      b.create<vector::StoreOp>(loc, mNew, mBuf, ValueRange{rt, idxc(b, 0)});
      b.create<vector::StoreOp>(loc, corr, corrBuf, ValueRange{idxc(b, 0)});

      if (amx) {
        // O = O * corr + P V on tiles. The rescale is skipped when no row's
        // maximum moved (corr == 1 exactly), the common case after the
        // first tiles.
        Value one = splat(vecT, b.getF32FloatAttr(1.0));
        Value unchanged = b.create<vector::ReductionOp>(
            loc, vector::CombiningKind::AND,
            b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, corr, one));
        auto rescaleIf = b.create<scf::IfOp>(
            loc, b.create<arith::XOrIOp>(loc, unchanged, i1c(b, true)), /*withElse=*/false);
        {
          OpBuilder::InsertionGuard rGuard(b);
          b.setInsertionPointToStart(&rescaleIf.getThenRegion().front());
          b.create<scf::ForOp>(
              loc, idxc(b, 0), idxc(b, R), idxc(b, 1), ValueRange{},
              [&](OpBuilder &rb, Location, Value r, ValueRange) {
                Value cr = rb.create<vector::BroadcastOp>(loc, vecT, rb.create<memref::LoadOp>(loc, corrBuf, r));
                Value row = rb.create<arith::AddIOp>(loc, rowBase, r);
                for (int64_t c = 0; c < Dv; c += kLanes) {
                  Value o = rb.create<vector::LoadOp>(loc, vecT, accBuf, ValueRange{row, idxc(rb, c)});
                  rb.create<vector::StoreOp>(loc, rb.create<arith::MulFOp>(loc, o, cr), accBuf,
                                             ValueRange{row, idxc(rb, c)});
                }
                rb.create<scf::YieldOp>(loc);
              });
        }
        // P (rows x Tk keys) in bf16 pairs of keys, 32 keys per A tile:
        // interleave the key rows of Pᵀ, then transpose the 16 x 16 cells.
        auto bvec16 = VectorType::get({kLanes}, bf16);
        auto i32x16 = VectorType::get({kLanes}, b.getI32Type());
        auto bvec32 = VectorType::get({2 * kLanes}, bf16);
        const int64_t pTiles = Tk / (2 * kLanes);
        for (int64_t pt = 0; pt < pTiles; ++pt) {
          SmallVector<Value> w;
          for (int64_t kp = pt * kLanes; kp < (pt + 1) * kLanes; ++kp) {
            auto pAt = [&](int64_t jj) {
              return (Value)b.create<arith::TruncFOp>(
                  loc, bvec16, b.create<vector::LoadOp>(loc, vecT, sBuf, ValueRange{idxc(b, jj), idxc(b, 0)}));
            };
            w.push_back(b.create<vector::BitCastOp>(loc, i32x16, interleave(b, loc, pAt(2 * kp), pAt(2 * kp + 1))));
          }
          SmallVector<Value> pRows = transpose16x16(b, loc, w);
          for (int64_t r = 0; r < R; ++r)
            b.create<vector::StoreOp>(loc, b.create<vector::BitCastOp>(loc, bvec32, pRows[r]), pBuf,
                                      ValueRange{idxc(b, r), idxc(b, pt * 2 * kLanes)});
        }
        auto abT = VectorType::get({kLanes, 2 * kLanes}, bf16);
        auto cT = VectorType::get({kLanes, kLanes}, f32);
        // Four output tiles at a time (with P and a V tile: 6 of the 8
        // tile registers), their products independent.
        constexpr int64_t kOutTiles = 4;
        for (int64_t c0 = 0; c0 < Dv; c0 += kOutTiles * kLanes) {
          SmallVector<Value> o;
          for (int64_t c = c0; c < std::min(Dv, c0 + kOutTiles * kLanes); c += kLanes)
            o.push_back(b.create<amx::TileLoadOp>(loc, cT, accBuf, ValueRange{rowBase, idxc(b, c)}));
          for (int64_t pt = 0; pt < pTiles; ++pt) {
            Value pa = b.create<amx::TileLoadOp>(loc, abT, pBuf, ValueRange{idxc(b, 0), idxc(b, pt * 2 * kLanes)});
            for (size_t t = 0; t < o.size(); ++t) {
              int64_t c = c0 + static_cast<int64_t>(t) * kLanes;
              Value vb = b.create<amx::TileLoadOp>(loc, abT, vTileB,
                                                   ValueRange{idxc(b, pt * kLanes), idxc(b, 2 * c)});
              o[t] = b.create<amx::TileMulFOp>(loc, cT, pa, vb, o[t]);
            }
          }
          for (size_t t = 0; t < o.size(); ++t)
            b.create<amx::TileStoreOp>(loc, accBuf,
                                       ValueRange{rowBase, idxc(b, c0 + static_cast<int64_t>(t) * kLanes)}, o[t]);
        }
      } else
      // O = O * corr + P V, 16 value columns of the 16 rows in registers.
      b.create<scf::ForOp>(
          loc, idxc(b, 0), idxc(b, Dv), idxc(b, kLanes), ValueRange{},
          [&](OpBuilder &cb, Location, Value c, ValueRange) {
            SmallVector<Value> o;
            for (int64_t r = 0; r < R; ++r) {
              Value cr = cb.create<vector::BroadcastOp>(
                  loc, vecT, cb.create<memref::LoadOp>(loc, corrBuf, idxc(cb, r)));
              Value row = cb.create<arith::AddIOp>(loc, rowBase, idxc(cb, r));
              o.push_back(cb.create<arith::MulFOp>(
                  loc, cb.create<vector::LoadOp>(loc, vecT, accBuf, ValueRange{row, c}), cr));
            }
            auto jLoop = cb.create<scf::ForOp>(
                loc, idxc(cb, 0), nKeys, idxc(cb, 1), o,
                [&](OpBuilder &jb, Location, Value jj, ValueRange acc) {
                  Value vRow = jb.create<vector::LoadOp>(loc, vecT, vTile, ValueRange{jj, c});
                  SmallVector<Value> next;
                  for (int64_t r = 0; r < R; ++r) {
                    Value p = jb.create<vector::BroadcastOp>(
                        loc, vecT, jb.create<memref::LoadOp>(loc, sBuf, ValueRange{jj, idxc(jb, r)}));
                    next.push_back(jb.create<vector::FMAOp>(loc, p, vRow, acc[r]));
                  }
                  jb.create<scf::YieldOp>(loc, next);
                });
            for (int64_t r = 0; r < R; ++r)
              cb.create<vector::StoreOp>(loc, jLoop.getResult(r), accBuf,
                                         ValueRange{cb.create<arith::AddIOp>(loc, rowBase, idxc(cb, r)), c});
            cb.create<scf::YieldOp>(loc);
          });
    }

    // Rows of the block inside [begin, end): normalize and store.
    b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, NB), idxc(b, 1), ValueRange{},
                         [&](OpBuilder &eb, Location, Value rt, ValueRange) {
      RowTile t = rowTile(eb, rt);
      for (int64_t r = 0; r < R; ++r) {
        Value i = t.qIdx[rowQ(r)], h = rowH(r);
        Value item = eb.create<arith::AddIOp>(loc, eb.create<arith::MulIOp>(loc, i, idxc(eb, H)), h);
        Value real = eb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, idxc(eb, rowQ(r)), t.nq);
        Value mine = eb.create<arith::AndIOp>(
            loc, real,
            eb.create<arith::AndIOp>(
                loc, eb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::uge, item, a.begin),
                eb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, item, endC)));
        eb.create<scf::IfOp>(loc, mine, [&](OpBuilder &sb, Location) {
          Value ri = idxc(sb, r);
          Value row = sb.create<arith::AddIOp>(loc, sb.create<arith::MulIOp>(loc, rt, idxc(sb, R)), ri);
          Value acc = sb.create<vector::LoadOp>(loc, accRowT, accBuf, ValueRange{row, idxc(sb, 0)});
          emitRowEpilogue(sb, sb.create<memref::LoadOp>(loc, mBuf, ValueRange{rt, ri}),
                          sb.create<memref::LoadOp>(loc, lBuf, ValueRange{rt, ri}), acc, i, h,
                          a.sinkLogits, a.out, a.lse);
          sb.create<scf::YieldOp>(loc);
        });
      }
      eb.create<scf::YieldOp>(loc);
    });
  }
  b.setInsertionPointAfter(qLoop);
}
