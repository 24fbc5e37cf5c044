// Verifier crashes of the attn dialect, with the diagnostics a correct
// verifier gives. attn-opt currently crashes (segfault / undefined behaviour)
// on these inputs; the verifiers now check ranks and terminators first.
//
// RUN: attn-opt %s -split-input-file -verify-diagnostics

attn.variant @v {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}
// attn.cache_read does not check the rank of key/value before reading their
// token dimension (checkSameLength calls getDimSize(0) on a rank-0 tensor).
func.func @read_rank0_key(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>) {
  // expected-error-re @+1 {{'attn.cache_read' op key must {{have rank 3|be \[tokens, heads, dim\]}}, got 'tensor<f16>'}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16> -> tensor<f16>, tensor<?x2x16xf16>, tensor<?xi64>
  return
}

// -----

attn.variant @v {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}
func.func @read_rank0_value(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>) {
  // expected-error-re @+1 {{'attn.cache_read' op value must {{have rank 3|be \[tokens, heads, dim\]}}, got 'tensor<f16>'}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16> -> tensor<?x2x16xf16>, tensor<f16>, tensor<?xi64>
  return
}

// -----

// attn.variant's verifier calls Block::getTerminator() on an expression
// region whose block is empty (VariantOp::verify runs before the generic
// "block must end in a terminator" check).
// expected-error-re @+1 {{{{predicate region #0 must yield 'i1'|empty block: expect at least a terminator}}}}
attn.variant @empty_block {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.predicate<region = 0>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}
  exprs({
  ^bb0(%b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
  })
