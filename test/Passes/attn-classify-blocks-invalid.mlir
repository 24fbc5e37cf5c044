// RUN: attn-opt --attn-classify-blocks="key-tile=24" --verify-diagnostics %s
// RUN: not attn-opt --attn-classify-blocks="key-tile=0" %s 2>&1 | FileCheck %s --check-prefix=ZERO

// RUN: not attn-opt --attn-classify-blocks="row-tiles-per-block=65" %s 2>&1 | FileCheck %s --check-prefix=BLOCK

// ZERO: key-tile must be in [1, 16], got 0
// BLOCK: row-tiles-per-block must be in [1, 64], got 65

// expected-error @+1 {{attn-classify-blocks: key-tile must be in [1, 16], got 24}}
attn.variant @v {
  shape = #attn.shape<heads = 2, kv_heads = 1, head_dim = 8, value_dim = 16>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
}
