// RUN: attn-opt --attn-lower-cache-kernels="block-threads=100" -verify-diagnostics %s

// Blocks are whole warps (the softmax reduces a head per warp).
// expected-error@below {{attn-lower-cache-kernels: block-threads must be a multiple of 32 up to 1024, got 100}}
module {
attn.variant @p {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 8, value_dim = 8>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<capacity = 64, layout = nhd>,
  inputs = []
}
}
