// RUN: split-file %s %t
// RUN: attn-opt --attn-lower-prefill-tensor-core="max-block-queries=32" -verify-diagnostics %t/block.mlir
// RUN: attn-opt --attn-lower-prefill-tensor-core="stages=3" -verify-diagnostics %t/stages.mlir
// RUN: attn-opt --attn-lower-prefill-tensor-core="key-tile=48" -verify-diagnostics %t/key-tile.mlir

//--- block.mlir

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

//--- stages.mlir
// One or two buffers per K and V tile.
// expected-error @+1 {{stages must be 1 or 2 (got 3)}}
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

//--- key-tile.mlir
// Key tiles are whole mma k-steps (16 keys) and wgmma n sizes, up to 128.
// expected-error @+1 {{key-tile must be 16, 32, 64 or 128 (got 48)}}
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
