//===- AttnTypes.td - Types of the attn dialect ------------*- tablegen -*-===//
#ifndef ATTN_TYPES_TD
#define ATTN_TYPES_TD

include "dialects/Attn/IR/AttnBase.td"
include "dialects/Attn/IR/AttnInterfaces.td"

def Attn_KVCacheType : Attn_Type<"KVCache", "kv_cache"> {
  let summary = "A handle to one sequence's keys and values in a KV cache";
  let description = [{
    The storage layout (contiguous, paged, ring, possibly quantized) is the
    `layout` attribute; `k` and `v` are the logical element types that
    `attn.cache_read` produces after dequantization.

    ```mlir
    !attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd>,
                   kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = bf16>
    ```
  }];
  let parameters = (ins
    "::mlir::attn::CacheAttrInterface":$layout,
    "int64_t":$kv_heads,
    "int64_t":$head_dim,
    "int64_t":$value_dim,
    "::mlir::Type":$k,
    "::mlir::Type":$v);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // ATTN_TYPES_TD
