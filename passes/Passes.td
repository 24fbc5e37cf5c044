//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//
#ifndef ATTNC_PASSES_TD
#define ATTNC_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnClassifyBlocksPass : Pass<"attn-classify-blocks", "mlir::ModuleOp"> {
  let summary = "Plan the tiled prefill kernel: tile sizes, GQA packing, block classification";
  let description = [{
    Decides, for each `attn.variant`, whether its prefill kernel can be tiled
    and how, and records the decision as the discardable attribute
    `attn.block_plan` that `attn-lower-to-loops` consumes (without it the
    lowering emits the per-element kernel):

      * `row_tile`: rows (query, head pairs) per micro-kernel, 16 (one f32
        vector of AVX-512: the rows are the lanes); `key_tile`: keys per
        tile (one score vector each); `row_tiles_per_block`: row tiles that
        run one after the other on each K/V tile (cache blocking);
      * `heads_packed` (P): query heads of one KV head processed together
        (the largest divisor of gcd(heads / kv_heads, 16) that every head
        segment boundary respects), so each K/V element loaded serves P
        heads; a row tile is 16 / P queries x P heads;
      * `masks` (one entry per `head_mask`): `interval` when the mask tree
        has a leaf that interval arithmetic classifies per (query tile, key
        tile) as empty (skipped), full (no per-element code) or partial,
        `per_element` when every leaf depends on run-time data (document
        ids, predicate regions, prefix lengths read from an input);
      * `scores` (one entry per `head_score`): `vector` when the region is
        elementwise arithmetic of the score alone (softcap), applied to
        whole score vectors, `per_element` otherwise;
      * `bias`: `none`, `vector` (ALiBi) or `per_element` (T5 buckets);
      * `matmul = "amx_bf16"` (only with the `amx-bf16` option, for variants
        whose Q, K and V are bf16, head dim a multiple of 32): QK^T and PV
        on AMX tiles (tdpbf16ps, f32 accumulation) with key tiles of 32 and
        at least 8 row tiles per block; without it the products are AVX-512
        FMAs on f32.

    Variants whose RoPE remap needs two rotations (ReRoPE, Self-Extend) or
    whose value dimension is not a multiple of 16 get no plan. The run-time
    part of the classification (positions are kernel arguments) is emitted
    by the lowering from the same mask tree.
  }];
  let options = [
    Option<"keyTile", "key-tile", "int64_t", /*default=*/"16",
           "Keys per tile, 1 to 16 (score accumulators in registers)">,
    Option<"rowTilesPerBlock", "row-tiles-per-block", "int64_t", /*default=*/"4",
           "Row tiles that share each K/V tile while it is in L1, 1 to 64">,
    Option<"amxBf16", "amx-bf16", "bool", /*default=*/"false",
           "The target has AMX-BF16: bf16 variants multiply on AMX tiles">,
  ];
}

#endif // ATTNC_PASSES_TD
