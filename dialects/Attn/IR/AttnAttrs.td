//===- AttnAttrs.td - Attributes of the attn dialect -------*- tablegen -*-===//
// One attribute per construct of the spec language; see docs/semantics.md.
#ifndef ATTN_ATTRS_TD
#define ATTN_ATTRS_TD

include "dialects/Attn/IR/AttnBase.td"
include "dialects/Attn/IR/AttnInterfaces.td"

class Attn_BoolParameter<string desc> : AttrParameter<"bool", desc> {
  let printer = "$_printer << ($_self ? \"true\" : \"false\")";
  let parser = "::mlir::attn::parseBool($_parser)";
}

def Attn_NoPEAttr : Attn_Attr<"NoPE", "nope", [Attn_PositionAttrInterface]> {
  let summary = "No position encoding (NoPE)";
}

def Attn_RopeAttr : Attn_Attr<"Rope", "rope", [DeclareAttrInterfaceMethods<Attn_PositionAttrInterface, ["rotatesQK"]>]> {
  let summary = "Rotary position embedding";
  let parameters = (ins
    Attn_DoubleParameter<"rotary base theta">:$theta,
    "int64_t":$rotary_dim,
    EnumParameter<Attn_RopeLayout>:$layout,
    EnumParameter<Attn_RopeApply>:$apply,
    OptionalParameter<"::mlir::attn::RopeScalingAttrInterface">:$scaling,
    OptionalParameter<"::mlir::attn::RopeRemapAttrInterface">:$remap);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_AlibiAttr : Attn_Attr<"Alibi", "alibi", [Attn_PositionAttrInterface]> {
  let summary = "ALiBi linear biases, one slope per query head";
  let parameters = (ins
    Attn_DoubleParameter<"max bias">:$max_bias,
    Attn_DoubleArrayParameter<"one slope per query head">:$slopes);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_T5BiasAttr : Attn_Attr<"T5Bias", "t5_bias", [Attn_PositionAttrInterface]> {
  let summary = "Learned bucketed relative bias (T5)";
  let parameters = (ins
    StringRefParameter<"kernel input holding the [heads, buckets] table">:$table,
    "int64_t":$buckets,
    "int64_t":$max_distance,
    Attn_BoolParameter<"buckets distinguish the sign of the distance">:$bidirectional);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_LinearScalingAttr : Attn_Attr<"LinearScaling", "linear", [Attn_RopeScalingAttrInterface]> {
  let summary = "Position interpolation: positions divided by factor";
  let parameters = (ins
    Attn_DoubleParameter<"">:$factor);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_NTKScalingAttr : Attn_Attr<"NTKScaling", "ntk", [Attn_RopeScalingAttrInterface]> {
  let summary = "NTK-aware base scaling";
  let parameters = (ins
    Attn_DoubleParameter<"">:$factor);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_DynamicNTKScalingAttr : Attn_Attr<"DynamicNTKScaling", "dynamic_ntk", [Attn_RopeScalingAttrInterface]> {
  let summary = "Dynamic NTK: the base grows with the current length";
  let parameters = (ins
    Attn_DoubleParameter<"">:$factor,
    "int64_t":$original_context);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_YarnScalingAttr : Attn_Attr<"YarnScaling", "yarn", [Attn_RopeScalingAttrInterface]> {
  let summary = "YaRN: NTK-by-parts ramp plus attention temperature";
  let parameters = (ins
    Attn_DoubleParameter<"">:$factor,
    "int64_t":$original_context,
    Attn_DoubleParameter<"">:$beta_fast,
    Attn_DoubleParameter<"">:$beta_slow,
    Attn_DoubleParameter<"">:$attention_factor);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_Llama3ScalingAttr : Attn_Attr<"Llama3Scaling", "llama3", [Attn_RopeScalingAttrInterface]> {
  let summary = "Llama 3.1 frequency scaling";
  let parameters = (ins
    Attn_DoubleParameter<"">:$factor,
    Attn_DoubleParameter<"">:$low_freq_factor,
    Attn_DoubleParameter<"">:$high_freq_factor,
    "int64_t":$original_context);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_LongRopeScalingAttr : Attn_Attr<"LongRopeScaling", "longrope", [Attn_RopeScalingAttrInterface]> {
  let summary = "LongRoPE per-pair rescale factors";
  let parameters = (ins
    Attn_DoubleArrayParameter<"">:$short_factor,
    Attn_DoubleArrayParameter<"">:$long_factor,
    "int64_t":$original_context,
    "int64_t":$max_context,
    Attn_DoubleParameter<"">:$attention_factor);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_ReRopeRemapAttr : Attn_Attr<"ReRopeRemap", "rerope", [Attn_RopeRemapAttrInterface]> {
  let summary = "ReRoPE: relative positions clipped at window";
  let parameters = (ins
    "int64_t":$window,
    Attn_DoubleParameter<"">:$log_scale_base);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_SelfExtendRemapAttr : Attn_Attr<"SelfExtendRemap", "self_extend", [Attn_RopeRemapAttrInterface]> {
  let summary = "Self-Extend floor grouping beyond the neighbour window";
  let parameters = (ins
    "int64_t":$group,
    "int64_t":$window);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_FullMaskAttr : Attn_Attr<"FullMask", "full", [Attn_MaskAttrInterface]> {
  let summary = "Every pair meets";
}

def Attn_CausalMaskAttr : Attn_Attr<"CausalMask", "causal", [Attn_MaskAttrInterface]> {
  let summary = "Keys at or before the query position";
}

def Attn_WindowMaskAttr : Attn_Attr<"WindowMask", "window", [Attn_MaskAttrInterface]> {
  let summary = "Keeps -right <= q_pos - k_pos < left";
  let parameters = (ins
    "int64_t":$left,
    "int64_t":$right);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_SinksMaskAttr : Attn_Attr<"SinksMask", "sinks", [Attn_MaskAttrInterface]> {
  let summary = "Keeps the first count keys (attention sinks)";
  let parameters = (ins
    "int64_t":$count);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_DilatedMaskAttr : Attn_Attr<"DilatedMask", "dilated", [Attn_MaskAttrInterface]> {
  let summary = "Dilated sliding window";
  let parameters = (ins
    "int64_t":$window,
    "int64_t":$dilation,
    "int64_t":$offset);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_GlobalMaskAttr : Attn_Attr<"GlobalMask", "global", [Attn_MaskAttrInterface]> {
  let summary = "Global tokens attend to and are attended by all";
  let parameters = (ins
    "int64_t":$first,
    Attn_IntArrayParameter<"">:$tokens);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_DocumentMaskAttr : Attn_Attr<"DocumentMask", "document", [DeclareAttrInterfaceMethods<Attn_MaskAttrInterface, ["dependsOnRuntimeData"]>]> {
  let summary = "Pairs in the same document (packed sequences)";
  let parameters = (ins
    StringRefParameter<"kernel input of document ids">:$ids);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_PrefixLMMaskAttr : Attn_Attr<"PrefixLMMask", "prefix_lm", [DeclareAttrInterfaceMethods<Attn_MaskAttrInterface, ["dependsOnRuntimeData"]>]> {
  let summary = "Bidirectional prefix, causal suffix";
  let parameters = (ins
    "int64_t":$length,
    StringRefParameter<"kernel input of per-batch prefix lengths, or empty">:$input);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_ChunkedMaskAttr : Attn_Attr<"ChunkedMask", "chunked", [Attn_MaskAttrInterface]> {
  let summary = "Pairs in the same chunk";
  let parameters = (ins
    "int64_t":$size,
    "int64_t":$offset);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_PredicateMaskAttr : Attn_Attr<"PredicateMask", "predicate", [DeclareAttrInterfaceMethods<Attn_MaskAttrInterface, ["dependsOnRuntimeData"]>]> {
  let summary = "A general predicate: region number of the enclosing variant";
  let parameters = (ins
    "int64_t":$region);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_AndMaskAttr : Attn_Attr<"AndMask", "and", [DeclareAttrInterfaceMethods<Attn_MaskAttrInterface, ["dependsOnRuntimeData"]>]> {
  let summary = "Intersection of masks";
  let parameters = (ins
    "::mlir::ArrayAttr":$operands);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_OrMaskAttr : Attn_Attr<"OrMask", "or", [DeclareAttrInterfaceMethods<Attn_MaskAttrInterface, ["dependsOnRuntimeData"]>]> {
  let summary = "Union of masks";
  let parameters = (ins
    "::mlir::ArrayAttr":$operands);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_NotMaskAttr : Attn_Attr<"NotMask", "not", [DeclareAttrInterfaceMethods<Attn_MaskAttrInterface, ["dependsOnRuntimeData"]>]> {
  let summary = "Complement of a mask";
  let parameters = (ins
    "::mlir::attn::MaskAttrInterface":$operand);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Attn_HeadMaskAttr : Attn_Attr<"HeadMask", "head_mask", []> {
  let summary = "A mask for query heads [head_begin, head_end)";
  let parameters = (ins
    "int64_t":$head_begin,
    "int64_t":$head_end,
    "::mlir::attn::MaskAttrInterface":$mask);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_HeadScoreAttr : Attn_Attr<"HeadScore", "head_score", []> {
  let summary = "A score modification (region number) for query heads [head_begin, head_end)";
  let parameters = (ins
    "int64_t":$head_begin,
    "int64_t":$head_end,
    "int64_t":$region);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_SoftmaxAttr : Attn_Attr<"Softmax", "softmax", [Attn_NormalizerAttrInterface]> {
  let summary = "Plain softmax";
}

def Attn_SoftmaxSinksAttr : Attn_Attr<"SoftmaxSinks", "softmax_sinks", [Attn_NormalizerAttrInterface]> {
  let summary = "Softmax with a learned per-head sink logit in the denominator";
  let parameters = (ins
    StringRefParameter<"kernel input of per-head sink logits">:$sinks);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_OffByOneAttr : Attn_Attr<"OffByOne", "off_by_one", [Attn_NormalizerAttrInterface]> {
  let summary = "Softmax with an extra zero logit (1 + sum exp)";
}

def Attn_TilesAttr : Attn_Attr<"Tiles", "tiles", []> {
  let summary = "Query and key tile sizes";
  let parameters = (ins
    "int64_t":$q,
    "int64_t":$k);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_FromMaskBlocksAttr : Attn_Attr<"FromMaskBlocks", "from_mask", [Attn_BlockLayoutAttrInterface]> {
  let summary = "Block sparsity derived from the mask alone";
}

def Attn_SlidingBlocksAttr : Attn_Attr<"SlidingBlocks", "sliding_blocks", [Attn_BlockLayoutAttrInterface]> {
  let summary = "Static sliding key-tile window plus global key tiles";
  let parameters = (ins
    "int64_t":$window,
    "int64_t":$global);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_BigBirdBlocksAttr : Attn_Attr<"BigBirdBlocks", "bigbird", [Attn_BlockLayoutAttrInterface]> {
  let summary = "BigBird window, global and seeded random key tiles";
  let parameters = (ins
    "int64_t":$window,
    "int64_t":$global,
    "int64_t":$random,
    "int64_t":$seed);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_DynamicBlocksAttr : Attn_Attr<"DynamicBlocks", "dynamic_blocks", [Attn_BlockLayoutAttrInterface]> {
  let summary = "Key tiles chosen at run time, top_k per query tile";
  let parameters = (ins
    "int64_t":$top_k);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_Int8QuantAttr : Attn_Attr<"Int8Quant", "int8", [DeclareAttrInterfaceMethods<Attn_QuantAttrInterface, ["getBits"]>]> {
  let summary = "Symmetric int8 with one scale per token or channel";
  let parameters = (ins
    EnumParameter<Attn_Granularity>:$granularity);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Attn_FP8QuantAttr : Attn_Attr<"FP8Quant", "fp8", [DeclareAttrInterfaceMethods<Attn_QuantAttrInterface, ["getBits"]>]> {
  let summary = "FP8 (e4m3 or e5m2) with a scale per token or channel";
  let parameters = (ins
    EnumParameter<Attn_FP8Format>:$format,
    EnumParameter<Attn_Granularity>:$granularity);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Attn_Int4QuantAttr : Attn_Attr<"Int4Quant", "int4", [DeclareAttrInterfaceMethods<Attn_QuantAttrInterface, ["getBits"]>]> {
  let summary = "Asymmetric int4 in groups (KIVI: keys per channel, values per token)";
  let parameters = (ins
    "int64_t":$group,
    EnumParameter<Attn_Granularity>:$keys,
    EnumParameter<Attn_Granularity>:$values);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_ContiguousCacheAttr : Attn_Attr<"ContiguousCache", "contiguous", [Attn_CacheAttrInterface]> {
  let summary = "One contiguous buffer per sequence";
  let parameters = (ins
    EnumParameter<Attn_CacheLayout>:$layout,
    "int64_t":$capacity,
    OptionalParameter<"::mlir::attn::QuantAttrInterface">:$quant);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_PagedCacheAttr : Attn_Attr<"PagedCache", "paged", [Attn_CacheAttrInterface]> {
  let summary = "Fixed-size pages through a page table";
  let parameters = (ins
    "int64_t":$page_size,
    EnumParameter<Attn_CacheLayout>:$layout,
    OptionalParameter<"::mlir::attn::QuantAttrInterface">:$quant);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_RingCacheAttr : Attn_Attr<"RingCache", "ring", [Attn_CacheAttrInterface]> {
  let summary = "Sink slots plus a rolling window (StreamingLLM)";
  let parameters = (ins
    "int64_t":$sinks,
    "int64_t":$window,
    OptionalParameter<"::mlir::attn::QuantAttrInterface">:$quant);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_InputAttr : Attn_Attr<"Input", "input", []> {
  let summary = "A run-time tensor the kernel receives";
  let parameters = (ins
    StringRefParameter<"name">:$name,
    "::mlir::Type":$dtype,
    "::mlir::ArrayAttr":$dims);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_ShapeAttr : Attn_Attr<"Shape", "shape", []> {
  let summary = "Heads and head dimensions";
  let parameters = (ins
    "int64_t":$heads,
    "int64_t":$kv_heads,
    "int64_t":$head_dim,
    "int64_t":$value_dim);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_TypesAttr : Attn_Attr<"Types", "types", []> {
  let summary = "Element types of Q, K, V, the output and the accumulator";
  let parameters = (ins
    "::mlir::Type":$q,
    "::mlir::Type":$k,
    "::mlir::Type":$v,
    "::mlir::Type":$out,
    "::mlir::Type":$accum);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // ATTN_ATTRS_TD
