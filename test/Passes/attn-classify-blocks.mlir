// RUN: attn-opt --attn-classify-blocks --split-input-file %s | FileCheck %s
// RUN: attn-opt --attn-classify-blocks="key-tile=8" --split-input-file %s | FileCheck %s --check-prefix=OPT

// GQA 4 with two head segments of 2 heads: packs of 2 heads; a static mask
// tree, a run-time one; softcap on vectors; ALiBi on vectors.
// CHECK-LABEL: attn.variant @segments
// CHECK: attn.block_plan = {bias = "vector", heads_packed = 2 : i64, key_tile = 16 : i64, masks = ["interval", "per_element"], row_tile = 16 : i64, row_tiles_per_block = 4 : i64, scores = ["vector"]}
// OPT-LABEL: attn.variant @segments
// OPT: key_tile = 8 : i64
attn.variant @segments {
  shape = #attn.shape<heads = 8, kv_heads = 2, head_dim = 8, value_dim = 16>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = false,
  position = #attn.alibi<max_bias = 8.0, slopes = [0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625]>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.or<operands = [#attn.sinks<count = 4>, #attn.window<left = 16, right = 0>]>>,
           #attn.head_mask<head_begin = 2, head_end = 8, mask = #attn.predicate<region = 1>>],
  scores = [#attn.head_score<head_begin = 0, head_end = 8, region = 0>],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
} exprs({
^bb0(%s: f32, %b: index, %h: index, %qp: i64, %kp: i64, %ql: i64, %kl: i64):
  %c = arith.constant 30.0 : f32
  %d = arith.divf %s, %c : f32
  %t = math.tanh %d : f32
  %r = arith.mulf %c, %t : f32
  attn.yield %r : f32
}, {
^bb0(%b: index, %h: index, %qp: i64, %kp: i64, %ql: i64, %kl: i64):
  %e = arith.cmpi sle, %kp, %qp : i64
  attn.yield %e : i1
})

// -----

// A score that reads the key position stays per element; MHA packs 1 head.
// CHECK-LABEL: attn.variant @positional_score
// CHECK: attn.block_plan = {bias = "none", heads_packed = 1 : i64, key_tile = 16 : i64, masks = ["interval"], row_tile = 16 : i64, row_tiles_per_block = 4 : i64, scores = ["per_element"]}
attn.variant @positional_score {
  shape = #attn.shape<heads = 2, kv_heads = 2, head_dim = 8, value_dim = 16>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [#attn.head_score<head_begin = 0, head_end = 2, region = 0>],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
} exprs({
^bb0(%s: f32, %b: index, %h: index, %qp: i64, %kp: i64, %ql: i64, %kl: i64):
  %f = arith.sitofp %kp : i64 to f32
  %r = arith.addf %s, %f : f32
  attn.yield %r : f32
})

// -----

// A value dimension that is not a multiple of 16 gets no plan (the
// per-element kernel).
// CHECK-LABEL: attn.variant @narrow
// CHECK-NOT: attn.block_plan
// CHECK-LABEL: attn.variant @gqa32
// CHECK: heads_packed = 16 : i64
attn.variant @narrow {
  shape = #attn.shape<heads = 2, kv_heads = 1, head_dim = 8, value_dim = 8>,
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

// -----

// A GQA group of 32 packs 16 heads (one row vector).
attn.variant @gqa32 {
  shape = #attn.shape<heads = 32, kv_heads = 1, head_dim = 8, value_dim = 16>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 32, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
}
