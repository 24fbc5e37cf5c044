//===- LowerToLoops.cpp - attn-lower-to-loops ------------------------------===//
//
// Builds, for each attn.variant, a prefill kernel on memrefs: RoPE applied
// once per token into f32 scratch buffers, then one online-softmax pass per
// (head, query) over the keys with the mask, score expression and biases
// inlined. Heads are split into segments that share one mask and one score
// expression, so per-head masks cost no per-element dispatch.
//
//===----------------------------------------------------------------------===//
#include "codegen/LowerToLoops/TiledPrefill.h"
#include "codegen/Passes.h"
#include "dialects/Attn/IR/AttnOps.h"
#include "passes/Passes.h"

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
class PrefillKernelBuilder : public TiledPrefillEmitter {
public:
  using TiledPrefillEmitter::TiledPrefillEmitter;
  LogicalResult build();

private:
  // Kernel arguments.
  Value qArg, kArg, vArg, qPosArg, kPosArg, batchArg, outArg, lseArg;
};

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
  // Planned by attn-classify-blocks: the tiled kernel (never with two
  // branches; the pass does not plan those).
  auto plan = variant->getAttrOfType<DictionaryAttr>(kBlockPlanAttr);
  if (twoBranches)
    plan = {};
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
  SmallVector<Type> inputTypes = kernelInputTypes();
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
    if (plan) {
      // Rotated Q, then packed in query tiles for the tiled kernel.
      Value lqP = b.create<memref::DimOp>(loc, qArg, 0);
      Value rotated = b.create<memref::AllocOp>(loc, f32TokensType(H), ValueRange{lqP});
      rotateInto(b, qArg, qPosArg, rotated, H, /*isQuery=*/true, 0);
      packQueryTiles(b, rotated, fa[4], plan);
      b.create<memref::DeallocOp>(loc, rotated);
    } else {
      rotateInto(b, qArg, qPosArg, fa[4], H, /*isQuery=*/true, 0);
    }
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
  // Segments, with the block plan's verdict on each mask and score.
  SmallVector<HeadSegment> segments = headSegments();
  for (HeadSegment &hs : segments) {
    if (plan && hs.maskIndex >= 0)
      hs.maskByInterval = cast<StringAttr>(cast<ArrayAttr>(plan.get("masks"))[hs.maskIndex])
                              .getValue() == "interval";
    if (plan && hs.scoreIndex >= 0)
      hs.scoreOnVectors = cast<StringAttr>(cast<ArrayAttr>(plan.get("scores"))[hs.scoreIndex])
                              .getValue() == "vector";
  }
  if (plan) {
    RowsArgs ra{qf, kf, vArg, qPosArg, kPosArg, batchArg, outArg, lseArg, workBegin, workEnd,
                sinkLogits, keysContiguous};
    emitTiledRows(b, ra, segments, plan);
  } else {
    // The per-element kernel: one online-softmax pass per (query, head).
    float scale = variant.getScale().convertToDouble();
    auto qVecType = VectorType::get({D}, b.getF32Type());
    auto accType = VectorType::get({Dv}, b.getF32Type());
    auto vVecType = VectorType::get({Dv}, types.getV());
    double negInf = -std::numeric_limits<double>::infinity();

    Value endClamped = b.create<arith::MinUIOp>(
        loc, workEnd, b.create<arith::MulIOp>(loc, lq, idxc(b, H)));
    auto workLoop = b.create<scf::ForOp>(loc, workBegin, endClamped, idxc(b, 1));
    b.setInsertionPointToStart(workLoop.getBody());
    Value wi = b.create<arith::DivUIOp>(loc, workLoop.getInductionVar(), idxc(b, H));
    Value wh = b.create<arith::RemUIOp>(loc, workLoop.getInductionVar(), idxc(b, H));
    for (const HeadSegment &seg : segments) {
      int64_t h0 = seg.h0, h1 = seg.h1;
      MaskAttrInterface mask = seg.mask;
      Region *scoreRegion = seg.score;

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
                Value kRowFar = twoBranches ? tb.create<vector::LoadOp>(loc, qVecType, kg, ValueRange{j, kvh, idxc(tb, 0)}).getResult()
                                            : Value();
                Value dot = emitPairDot(tb, qRow, kRow, qRowFar, kRowFar, qp, kp);
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
          emitRowEpilogue(qb, m, l, acc, i, h, sinkLogits, outArg, lseArg);
          qb.create<scf::YieldOp>(loc);
      });
    }
    b.setInsertionPointAfter(workLoop);
  }
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
