//===- ClassifyBlocks.cpp - attn-classify-blocks ---------------------------===//
//
// Plans the tiled prefill kernel of each variant (see Passes.td). The plan
// is static: which mask leaves interval arithmetic can classify per tile,
// which score regions and biases can be applied to whole score vectors, and
// how many query heads share each K/V tile load.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <numeric>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCLASSIFYBLOCKSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Rows per micro-kernel: the f32 lanes of one AVX-512 register.
constexpr int64_t kRows = 16;
/// AMX: keys per tile (one P tile of 32 keys; 64 measured the same) and at
/// least 8 row tiles per K/V tile (its bf16 copy and pair interleave cost
/// about a third of the time with 4; 16 gained 5% at 8k tokens and lost at
/// 1k).
constexpr int64_t kAmxKeyTile = 32;
constexpr int64_t kAmxRowTiles = 8;

/// True when some leaf of the mask tree is a named mask whose tiles interval
/// arithmetic can classify (the others count as "partial everywhere").
bool hasStaticLeaf(MaskAttrInterface mask) {
  if (auto a = dyn_cast<AndMaskAttr>(mask))
    return llvm::any_of(a.getOperands(), [](Attribute m) {
      return hasStaticLeaf(cast<MaskAttrInterface>(m));
    });
  if (auto o = dyn_cast<OrMaskAttr>(mask))
    return llvm::any_of(o.getOperands(), [](Attribute m) {
      return hasStaticLeaf(cast<MaskAttrInterface>(m));
    });
  if (auto n = dyn_cast<NotMaskAttr>(mask))
    return hasStaticLeaf(n.getOperand());
  return !mask.dependsOnRuntimeData();
}

/// A score region the lowering can clone onto vectors: elementwise arith and
/// math of the score (block argument 0) and constants, nothing else read.
bool isVectorizableScore(Region &region) {
  Block &block = region.front();
  for (BlockArgument arg : block.getArguments().drop_front())
    if (!arg.use_empty())
      return false;
  for (Operation &op : block.without_terminator()) {
    StringRef ns = op.getDialect() ? op.getDialect()->getNamespace() : "";
    if (ns != "arith" && ns != "math")
      return false;
    if (op.getNumResults() != 1 || op.getNumRegions() != 0)
      return false;
    if (!isa<arith::ConstantOp>(op) && !op.hasTrait<OpTrait::Elementwise>())
      return false;
  }
  return true;
}

struct AttnClassifyBlocksPass
    : public mlir::attn::impl::AttnClassifyBlocksPassBase<AttnClassifyBlocksPass> {
  using Base::Base;

  void runOnOperation() override {
    for (VariantOp v : getOperation().getOps<VariantOp>()) {
      if (keyTile < 1 || keyTile > kRows) {
        v.emitError() << "attn-classify-blocks: key-tile must be in [1, " << kRows << "], got "
                      << static_cast<int64_t>(keyTile);
        return signalPassFailure();
      }
      if (rowTilesPerBlock < 1 || rowTilesPerBlock > 64) {
        v.emitError() << "attn-classify-blocks: row-tiles-per-block must be in [1, 64], got "
                      << static_cast<int64_t>(rowTilesPerBlock);
        return signalPassFailure();
      }
      if (Attribute plan = classify(v))
        v->setAttr(kBlockPlanAttr, plan);
      else
        v->removeAttr(kBlockPlanAttr);
    }
  }

  Attribute classify(VariantOp v) {
    Builder b(v.getContext());
    ShapeAttr shape = v.getShape();
    auto rope = dyn_cast<RopeAttr>(v.getPosition());
    if ((rope && rope.getRemap()) || shape.getValueDim() % 16 != 0)
      return {};
    int64_t group = shape.getHeads() / shape.getKvHeads();
    // Every segment boundary must fall between packs.
    int64_t cutsGcd = shape.getHeads();
    auto cut = [&](int64_t h) { cutsGcd = std::gcd(cutsGcd, h); };
    SmallVector<Attribute> masks, scores;
    for (Attribute a : v.getMasks()) {
      auto m = cast<HeadMaskAttr>(a);
      cut(m.getHeadBegin());
      cut(m.getHeadEnd());
      masks.push_back(b.getStringAttr(hasStaticLeaf(m.getMask()) ? "interval" : "per_element"));
    }
    for (Attribute a : v.getScores()) {
      auto s = cast<HeadScoreAttr>(a);
      cut(s.getHeadBegin());
      cut(s.getHeadEnd());
      scores.push_back(b.getStringAttr(
          isVectorizableScore(v.getExprs()[s.getRegion()]) ? "vector" : "per_element"));
    }
    int64_t packed = std::gcd(std::gcd(group, cutsGcd), kRows);
    StringRef bias = isa<AlibiAttr>(v.getPosition())      ? "vector"
                     : isa<T5BiasAttr>(v.getPosition()) ? "per_element"
                                                          : "none";
    // AMX: a tile row holds 32 bf16 of the head dimension (QK^T), a P tile
    // 32 keys (PV); the value dimension goes 16 columns per C tile.
    TypesAttr types = v.getTypes();
    bool amx = amxBf16 && types.getQ().isBF16() && types.getK().isBF16() &&
               types.getV().isBF16() && shape.getHeadDim() % 32 == 0;
    SmallVector<NamedAttribute> entries;
    if (amx)
      entries.push_back(b.getNamedAttr("matmul", b.getStringAttr("amx_bf16")));
    entries.append({
        b.getNamedAttr("key_tile", b.getI64IntegerAttr(amx ? kAmxKeyTile : static_cast<int64_t>(keyTile))),
        b.getNamedAttr("row_tile", b.getI64IntegerAttr(kRows)),
        b.getNamedAttr("row_tiles_per_block", b.getI64IntegerAttr(amx ? std::max<int64_t>(rowTilesPerBlock, kAmxRowTiles) : static_cast<int64_t>(rowTilesPerBlock))),
        b.getNamedAttr("heads_packed", b.getI64IntegerAttr(packed)),
        b.getNamedAttr("masks", b.getArrayAttr(masks)),
        b.getNamedAttr("scores", b.getArrayAttr(scores)),
        b.getNamedAttr("bias", b.getStringAttr(bias)),
    });
    return b.getDictionaryAttr(entries);
  }
};

} // namespace
