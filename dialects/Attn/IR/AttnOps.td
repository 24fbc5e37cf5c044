//===- AttnOps.td - Operations of the attn dialect ---------*- tablegen -*-===//
#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "dialects/Attn/IR/AttnBase.td"
include "dialects/Attn/IR/AttnAttrs.td"
include "dialects/Attn/IR/AttnTypes.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def Attn_VariantOp : Attn_Op<"variant", [Symbol, IsolatedFromAbove]> {
  let summary = "One attention variant: the four axes of a spec";
  let description = [{
    Holds everything a spec says as attributes. General mask predicates and
    score modifications live in the `exprs` regions and are referenced by
    number from `#attn.predicate<region = N>` (a predicate region) and
    `#attn.head_score<..., region = N>` (a score region). Every region is
    referenced, and only as one kind.

    A predicate region takes `(batch: index, head: index, q_pos: i64,
    k_pos: i64, q_len: i64, k_len: i64)` and yields `i1`. A score region takes
    `(score: f32, batch: index, head: index, q_pos: i64, k_pos: i64,
    q_len: i64, k_len: i64)` and yields `f32`. Both may read kernel inputs with
    `attn.input`.

    ```mlir
    attn.variant @mistral_7b attributes {
      shape = #attn.shape<heads = 32, kv_heads = 8, head_dim = 128, value_dim = 128>,
      types = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = f32>,
      scale = 0.088388347648318447 : f64, lse = false,
      position = #attn.rope<theta = 10000.0, rotary_dim = 128, layout = half_split, apply = on_write>,
      masks = [#attn.head_mask<head_begin = 0, head_end = 32,
               mask = #attn.and<operands = [#attn.causal, #attn.window<left = 4096, right = 0>]>>],
      scores = [], normalizer = #attn.softmax, tiles = #attn.tiles<q = 64, k = 64>,
      blocks = #attn.from_mask, cache = #attn.paged<page_size = 16, layout = nhd>, inputs = []}
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    Attn_ShapeAttr:$shape,
    Attn_TypesAttr:$types,
    F64Attr:$scale,
    BoolAttr:$lse,
    AnyAttrOf<[Attn_PositionAttrInterface]>:$position,
    TypedArrayAttrBase<Attn_HeadMaskAttr, "head masks">:$masks,
    TypedArrayAttrBase<Attn_HeadScoreAttr, "head scores">:$scores,
    AnyAttrOf<[Attn_NormalizerAttrInterface]>:$normalizer,
    Attn_TilesAttr:$tiles,
    AnyAttrOf<[Attn_BlockLayoutAttrInterface]>:$blocks,
    AnyAttrOf<[Attn_CacheAttrInterface]>:$cache,
    TypedArrayAttrBase<Attn_InputAttr, "kernel inputs">:$inputs);
  let regions = (region VariadicRegion<SizedRegion<1>>:$exprs);
  // One attribute per line, in the order of the spec language (shape, types,
  // position, masks, ...), then the expression regions.
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The kernel input declared under `name`, or null.
    ::mlir::attn::InputAttr lookupInput(::llvm::StringRef name);
    /// Position of the input in the kernel signature, or -1.
    int64_t getInputIndex(::llvm::StringRef name);
  }];
}

def Attn_InputOp : Attn_Op<"input", [Pure]> {
  let summary = "Reads an element of a kernel input inside a predicate or score region";
  let description = [{
    ```mlir
    %d = attn.input "doc"[%q_pos] : (i64) -> i32
    ```
  }];
  let arguments = (ins StrAttr:$name, Variadic<AnySignlessIntegerOrIndex>:$indices);
  let results = (outs AnyTypeOf<[AnySignlessInteger, AnyFloat]>:$result);
  let assemblyFormat = "$name `[` $indices `]` attr-dict `:` functional-type($indices, $result)";
  let hasVerifier = 1;
}

def Attn_YieldOp : Attn_Op<"yield", [Pure, Terminator, ReturnLike,
    ParentOneOf<["VariantOp"]>]> {
  let summary = "Yields the value of a predicate or score region";
  let arguments = (ins AnyType:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

def Attn_RopeOp : Attn_Op<"rope", [Pure,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Applies the variant's position encoding to queries or keys";
  let description = [{
    Rotates `input` ([tokens, heads, dim]) at `positions` ([tokens], i64) as
    the variant's RoPE (with its scaling and attention factor) prescribes.
    `seq_len` is the current sequence length (dynamic NTK and LongRoPE depend
    on it). Without RoPE the op is the identity and folds away.

    ```mlir
    %qr = attn.rope query %q at %pos len %n variant @llama3_8b
        : tensor<?x32x128xbf16>, tensor<?xi64> -> tensor<?x32x128xbf16>
    ```
  }];
  let arguments = (ins Attn_RopeOperandAttr:$operand, AnyRankedTensor:$input,
                       RankedTensorOf<[I64]>:$positions, Index:$seq_len,
                       FlatSymbolRefAttr:$variant);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    custom<RopeOperandKeyword>($operand) $input `at` $positions `len` $seq_len
    `variant` $variant attr-dict
    `:` type($input) `,` type($positions) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Attn_AttentionOp : Attn_Op<"attention", [Pure,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Masked, score-modified, normalized attention of one sequence";
  let description = [{
    `query` is [Lq, heads, head_dim], `key` [Lk, kv_heads, head_dim], `value`
    [Lk, kv_heads, value_dim], already position-encoded. `q_positions` and
    `k_positions` give each token's position (the mask and biases read them).
    `inputs` are the variant's kernel inputs in declaration order. The result
    is [Lq, heads, value_dim]; with `lse` the variant also returns the natural
    log of the normalizer's denominator [Lq, heads] (f32): -inf for a fully
    masked row under plain softmax, the sink logit (or 0 for off-by-one) when
    the normalizer adds one.

    ```mlir
    %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @mistral_7b
        : tensor<?x32x128xbf16>, tensor<?x8x128xbf16>, tensor<?x8x128xbf16>,
          tensor<?xi64>, tensor<?xi64> -> tensor<?x32x128xbf16>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value,
                       RankedTensorOf<[I64]>:$q_positions,
                       RankedTensorOf<[I64]>:$k_positions,
                       Index:$batch,
                       Variadic<AnyRankedTensor>:$inputs,
                       FlatSymbolRefAttr:$variant);
  let results = (outs AnyRankedTensor:$output, Optional<RankedTensorOf<[F32]>>:$lse);
  let assemblyFormat = [{
    $query `,` $key `,` $value `pos` $q_positions `,` $k_positions
    `batch` $batch (`inputs` `(` $inputs^ `:` type($inputs) `)`)?
    `variant` $variant attr-dict
    `:` type($query) `,` type($key) `,` type($value) `,` type($q_positions)
    `,` type($k_positions) `->` type($output) (`,` type($lse)^)?
  }];
  let hasVerifier = 1;
}

def Attn_CacheAppendOp : Attn_Op<"cache_append", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "Writes new keys and values (and their positions) into a cache";
  let description = [{
    Appends `key` [n, kv_heads, head_dim] and `value` [n, kv_heads,
    value_dim] at `positions`. Keys arrive already rotated when the variant
    applies RoPE on write. Quantizing layouts quantize here; a ring cache
    overwrites its oldest window slot; a contiguous or paged cache past its
    capacity is a run-time error.

    ```mlir
    attn.cache_append %cache, %k, %v at %pos variant @vllm_paged
        : !attn.kv_cache<...>, tensor<?x8x128xbf16>, tensor<?x8x128xbf16>, tensor<?xi64>
    ```
  }];
  let arguments = (ins Attn_KVCacheType:$cache, AnyRankedTensor:$key,
                       AnyRankedTensor:$value, RankedTensorOf<[I64]>:$positions,
                       FlatSymbolRefAttr:$variant);
  let assemblyFormat = [{
    $cache `,` $key `,` $value `at` $positions `variant` $variant attr-dict
    `:` type($cache) `,` type($key) `,` type($value) `,` type($positions)
  }];
  let hasVerifier = 1;
}

def Attn_CacheReadOp : Attn_Op<"cache_read", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    MemoryEffects<[MemRead]>]> {
  let summary = "A logical, dequantized view of a cache's keys, values and positions";
  let description = [{
    Yields `key` [Lk, kv_heads, head_dim], `value` [Lk, kv_heads, value_dim]
    in the cache type's `k`/`v` element types, and `positions` [Lk]: absolute
    positions, or for a ring cache read with RoPE on read, the positions
    inside the cache (sinks 0..n-1, then the window in order of recency).
    Lowering fuses this view into the attention loads; it is never
    materialized.

    ```mlir
    %k, %v, %kp = attn.cache_read %cache variant @streaming_llm
        : !attn.kv_cache<...> -> tensor<?x32x128xf16>, tensor<?x32x128xf16>, tensor<?xi64>
    ```
  }];
  let arguments = (ins Attn_KVCacheType:$cache, FlatSymbolRefAttr:$variant);
  let results = (outs AnyRankedTensor:$key, AnyRankedTensor:$value,
                      RankedTensorOf<[I64]>:$positions);
  let assemblyFormat = [{
    $cache `variant` $variant attr-dict `:` type($cache) `->` type($key) `,`
    type($value) `,` type($positions)
  }];
  let hasVerifier = 1;
}

#endif // ATTN_OPS_TD
