// RUN: attn-opt %s -split-input-file | attn-opt -split-input-file | FileCheck %s
// RUN: attn-opt %s -split-input-file --mlir-print-op-generic | attn-opt -split-input-file | FileCheck %s
//
// Round trip of the masks (#attn.full, causal, window, sinks, dilated, global,
// document, prefix_lm, chunked, predicate, and, or, not), of #attn.head_mask
// over several head ranges and of #attn.head_score, each inside a variant.

// CHECK-LABEL: attn.variant @full {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.full>],
attn.variant @full {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.full>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @causal {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
attn.variant @causal {
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

// -----

// CHECK-LABEL: attn.variant @window {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.window<left = 4096, right = 0>>],
attn.variant @window {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.window<left = 4096, right = 0>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @window_two_sided {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.window<left = 1, right = 127>>],
attn.variant @window_two_sided {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.window<left = 1, right = 127>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @sinks {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.sinks<count = 4>>],
attn.variant @sinks {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.sinks<count = 4>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @dilated {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.dilated<window = 256, dilation = 4, offset = 3>>],
attn.variant @dilated {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.dilated<window = 256, dilation = 4, offset = 3>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @global_tokens {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.global<first = 0, tokens = [0, 17, 4095]>>],
attn.variant @global_tokens {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.global<first = 0, tokens = [0, 17, 4095]>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @global_first {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.global<first = 8, tokens = []>>],
attn.variant @global_first {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.global<first = 8, tokens = []>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @document {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.document<ids = "doc">>],
attn.variant @document {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.document<ids = "doc">>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>]}

// -----

// CHECK-LABEL: attn.variant @prefix_lm_const {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.prefix_lm<length = 64, input = "">>],
attn.variant @prefix_lm_const {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.prefix_lm<length = 64, input = "">>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @prefix_lm_input {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.prefix_lm<length = 0, input = "plen">>],
// CHECK: inputs = [#attn.input<name = "plen", dtype = i32, dims = ["batch"]>]
attn.variant @prefix_lm_input {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.prefix_lm<length = 0, input = "plen">>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = [#attn.input<name = "plen", dtype = i32, dims = ["batch"]>]}

// -----

// CHECK-LABEL: attn.variant @chunked {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.chunked<size = 8192, offset = 100>>],
attn.variant @chunked {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.chunked<size = 8192, offset = 100>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @predicate {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.predicate<region = 0>>],
// CHECK: } exprs({
// CHECK-NEXT: ^bb0(%{{.+}}: index, %{{.+}}: index, %[[Q:.+]]: i64, %[[K:.+]]: i64, %{{.+}}: i64, %{{.+}}: i64):
// CHECK-NEXT: arith.cmpi sge, %[[Q]], %[[K]] : i64
attn.variant @predicate {
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
    %t = arith.cmpi sge, %q, %k : i64
    attn.yield %t : i1
  })

// -----

// CHECK-LABEL: attn.variant @and {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.and<operands = [#attn.causal, #attn.window<left = 128, right = 0>]>>],
attn.variant @and {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.and<operands = [#attn.causal, #attn.window<left = 128, right = 0>]>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @or {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.or<operands = [#attn.sinks<count = 4>, #attn.window<left = 1020, right = 0>, #attn.global<first = 1, tokens = []>]>>],
attn.variant @or {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.or<operands = [#attn.sinks<count = 4>, #attn.window<left = 1020, right = 0>, #attn.global<first = 1, tokens = []>]>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @not {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.not<operand = #attn.causal>>],
attn.variant @not {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.not<operand = #attn.causal>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @nested {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.and<operands = [#attn.causal, #attn.or<operands = [#attn.not<operand = #attn.chunked<size = 64, offset = 0>>, #attn.document<ids = "doc">]>, #attn.not<operand = #attn.predicate<region = 0>>]>>],
attn.variant @nested {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.and<operands = [#attn.causal, #attn.or<operands = [#attn.not<operand = #attn.chunked<size = 64, offset = 0>>, #attn.document<ids = "doc">]>, #attn.not<operand = #attn.predicate<region = 0>>]>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>]}
  exprs({
  ^bb0(%b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    %t = arith.cmpi sge, %q, %k : i64
    attn.yield %t : i1
  })

// -----

// CHECK-LABEL: attn.variant @per_head_masks {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 1, mask = #attn.full>, #attn.head_mask<head_begin = 1, head_end = 3, mask = #attn.causal>, #attn.head_mask<head_begin = 3, head_end = 4, mask = #attn.window<left = 16, right = 0>>],
attn.variant @per_head_masks {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 1, mask = #attn.full>, #attn.head_mask<head_begin = 1, head_end = 3, mask = #attn.causal>, #attn.head_mask<head_begin = 3, head_end = 4, mask = #attn.window<left = 16, right = 0>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @head_scores {
// CHECK: masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.predicate<region = 1>>, #attn.head_mask<head_begin = 2, head_end = 4, mask = #attn.and<operands = [#attn.causal, #attn.predicate<region = 1>]>>],
// CHECK-NEXT: scores = [#attn.head_score<head_begin = 0, head_end = 3, region = 0>, #attn.head_score<head_begin = 3, head_end = 4, region = 0>],
// CHECK: } exprs({
// CHECK-NEXT: ^bb0(%{{.+}}: f32, %{{.+}}: index, %{{.+}}: index, %{{.+}}: i64, %{{.+}}: i64, %{{.+}}: i64, %{{.+}}: i64):
// CHECK: attn.yield %{{.+}} : f32
// CHECK-NEXT: }, {
// CHECK: attn.yield %{{.+}} : i1
// CHECK-NEXT: })
attn.variant @head_scores {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.predicate<region = 1>>, #attn.head_mask<head_begin = 2, head_end = 4, mask = #attn.and<operands = [#attn.causal, #attn.predicate<region = 1>]>>],
  scores = [#attn.head_score<head_begin = 0, head_end = 3, region = 0>, #attn.head_score<head_begin = 3, head_end = 4, region = 0>],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}
  exprs({
  ^bb0(%s: f32, %b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    %c = arith.constant 2.0 : f32
    %r = arith.mulf %s, %c : f32
    attn.yield %r : f32
  }, {
  ^bb0(%b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    %t = arith.cmpi sge, %q, %k : i64
    attn.yield %t : i1
  })
