// RUN: attn-opt --attn-lower-prefill-tensor-core="max-block-queries=32" -verify-diagnostics %s

// A block owns at least 64 queries (4 warps of 16-row tiles).
// expected-error @+1 {{max-block-queries must be at least 64 (got 32)}}
attn.variant @w {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 128, value_dim = 128>,
  types = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = f32>,
  scale = 0.08838834764831845 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
}
