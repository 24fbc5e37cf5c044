//===- TiledPrefill.h - The tiled flash prefill kernel ------------*- C++ -*-===//
//
// What the prefill builder emits when attn-classify-blocks planned a variant
// (attn.block_plan): `rows` as a tiled flash kernel. A micro-kernel holds
// the scores of 16 rows (query, head pairs; the heads of one KV head packed
// together) x one key tile in vector registers, lanes = rows, Q packed per
// tile once by `prepare`; each (row tile, key tile) is classified at run
// time from the mask tree as empty (skipped), full (no per-element code) or
// partial (the mask evaluated per element), then online softmax per tile
// (elementwise across the key vectors) and the PV product register-blocked
// over the value dimension.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_CODEGEN_LOWERTOLOOPS_TILEDPREFILL_H
#define ATTNC_CODEGEN_LOWERTOLOOPS_TILEDPREFILL_H

#include "codegen/LowerToLoops/KernelEmitter.h"

namespace mlir::attn {

/// The values of a `rows` function the tiled body reads.
struct RowsArgs {
  Value qf, kf, v, qPos, kPos, batch, out, lse, begin, end;
  Value sinkLogits;     // the sinks normalizer's input, or null
  Value keysContiguous; // i1: k_pos[j] == j for every key
};

class TiledPrefillEmitter : public KernelEmitter {
public:
  using KernelEmitter::KernelEmitter;

protected:
  /// The tiled body of `rows` (plan: the variant's attn.block_plan).
  void emitTiledRows(OpBuilder &ob, const RowsArgs &a, ArrayRef<HeadSegment> segments,
                     DictionaryAttr plan);

  /// Copies the rotated Q `src` ([tokens][heads][D]) into `qf` as the tiled
  /// kernel reads it: per query tile (16 / P queries at a multiple of that)
  /// and pack of P heads, a [D][rows] block (rows = 16, fewer in the last
  /// tile), so the 16 rows' q[d] are one vector load. `qf` is scratch
  /// between prepare and rows; K keeps its natural layout (callers may
  /// cache it, as attn-run does).
  void packQueryTiles(OpBuilder &ob, Value src, Value qf, DictionaryAttr plan);

  /// The normalizer (sink logit or off-by-one zero joins the denominator),
  /// 1 / l (0 for fully masked rows), the store of out[i][h] and lse.
  /// Shared by the per-element and the tiled path.
  void emitRowEpilogue(OpBuilder &ob, Value m, Value l, Value acc, Value i, Value h,
                       Value sinkLogits, Value out, Value lse);

  /// (may keep some pair, keeps every pair) of `mask` for the query at `qp`
  /// and keys [j0, j1) (i64), by interval arithmetic on the named masks;
  /// leaves that read run-time data count as (true, false).
  std::pair<Value, Value> classifyKeyTile(OpBuilder &ob, MaskAttrInterface mask, Value qp,
                                          Value j0, Value j1);

  /// Clones a score region that is elementwise in the score alone onto the
  /// score vector `s`.
  Value inlineRegionOnVector(OpBuilder &ob, Region &region, Value s);
};

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_LOWERTOLOOPS_TILEDPREFILL_H
