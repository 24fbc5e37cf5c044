// RUN: attn-opt %s -split-input-file -verify-diagnostics
//
// Verifier failures of the attn ops (attn.variant, attn.input, attn.yield,
// attn.rope, attn.attention, attn.cache_append, attn.cache_read). One case
// per split; attribute- and type-level failures are in attrs-invalid.mlir.

// expected-error @+1 {{'attn.variant' op scale must be a finite number > 0, got 0.000000e+00}}
attn.variant @zero_scale {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.0 : f64,
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

// expected-error @+1 {{'attn.variant' op scale must be a finite number > 0, got -1.000000e+00}}
attn.variant @neg_scale {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = -1.0 : f64,
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

// expected-error @+1 {{'attn.variant' op scale must be a finite number > 0, got INF}}
attn.variant @inf_scale {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0x7FF0000000000000 : f64,
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

// expected-error @+1 {{'attn.variant' op kernel input 'doc' is declared twice}}
attn.variant @dup_input {
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
  inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>, #attn.input<name = "x", dtype = i32, dims = ["tokens"]>, #attn.input<name = "doc", dtype = f32, dims = ["tokens"]>]}

// -----

// expected-error @+1 {{'attn.variant' op rotary_dim (32) exceeds head_dim (16)}}
attn.variant @rotary_too_big {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 32, layout = half_split, apply = on_write>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op longrope needs rotary_dim / 2 = 8 factors per list, got 2}}
attn.variant @longrope_len {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 16, layout = half_split, apply = on_write, scaling = #attn.longrope<short_factor = [1.0, 1.0], long_factor = [2.0, 2.0], original_context = 4096, max_context = 131072, attention_factor = 1.2>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op alibi has 3 slopes but the variant has 4 heads}}
attn.variant @alibi_count {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.alibi<max_bias = 8.0, slopes = [0.5, 0.25, 0.125]>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op t5_bias refers to undeclared kernel input 'rel'}}
attn.variant @t5_undeclared {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.t5_bias<table = "rel", buckets = 32, max_distance = 128, bidirectional = false>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = [#attn.input<name = "other", dtype = f32, dims = ["heads", "buckets"]>]}

// -----

// expected-error @+1 {{'attn.variant' op needs at least one head mask}}
attn.variant @no_masks {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op mask head ranges must cover [0, 4) in order without gaps or overlap; expected a range starting at head 2, found 3}}
attn.variant @mask_gap {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>, #attn.head_mask<head_begin = 3, head_end = 4, mask = #attn.full>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op mask head ranges must cover [0, 4) in order without gaps or overlap; expected a range starting at head 3, found 2}}
attn.variant @mask_overlap {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 3, mask = #attn.causal>, #attn.head_mask<head_begin = 2, head_end = 4, mask = #attn.full>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op mask head ranges must cover [0, 4) in order without gaps or overlap; expected a range starting at head 0, found 1}}
attn.variant @mask_not_from_zero {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 1, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op mask head ranges end at head 3 but the variant has 4 heads}}
attn.variant @mask_short {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 3, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op mask head ranges end at head 8 but the variant has 4 heads}}
attn.variant @mask_long {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 8, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op mask head ranges must cover [0, 4) in order without gaps or overlap; expected a range starting at head 0, found 2}}
attn.variant @mask_unsorted {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 2, head_end = 4, mask = #attn.causal>, #attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.full>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op score head ranges end at head 2 but the variant has 4 heads}}
attn.variant @score_short {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [#attn.head_score<head_begin = 0, head_end = 2, region = 0>],
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
  })

// -----

// expected-error @+1 {{'attn.variant' op score head ranges must cover [0, 4) in order without gaps or overlap; expected a range starting at head 2, found 1}}
attn.variant @score_overlap {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [#attn.head_score<head_begin = 0, head_end = 2, region = 0>, #attn.head_score<head_begin = 1, head_end = 4, region = 0>],
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
  })

// -----

// expected-error @+1 {{'attn.variant' op predicate mask refers to region #1 but the variant has 1 expression regions}}
attn.variant @pred_unknown_region {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.and<operands = [#attn.causal, #attn.predicate<region = 1>]>>],
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

// expected-error @+1 {{'attn.variant' op predicate mask refers to region #0 but the variant has 0 expression regions}}
attn.variant @pred_no_regions {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.not<operand = #attn.predicate<region = 0>>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op score refers to region #2 but the variant has 1 expression regions}}
attn.variant @score_unknown_region {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [#attn.head_score<head_begin = 0, head_end = 4, region = 2>],
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
  })

// -----

// expected-error @+1 {{'attn.variant' op region #0 is used both as a predicate and as a score}}
attn.variant @region_both_kinds {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.predicate<region = 0>>],
  scores = [#attn.head_score<head_begin = 0, head_end = 4, region = 0>],
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

// expected-error @+1 {{'attn.variant' op region #0 is used both as a predicate and as a score}}
attn.variant @region_both_kinds_nested {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>, #attn.head_mask<head_begin = 2, head_end = 4, mask = #attn.or<operands = [#attn.sinks<count = 4>, #attn.not<operand = #attn.predicate<region = 0>>]>>],
  scores = [#attn.head_score<head_begin = 0, head_end = 4, region = 0>],
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
  })

// -----

// expected-error @+1 {{'attn.variant' op expression region #1 is not used by any mask or score}}
attn.variant @unused_region {
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
  }, {
  ^bb0(%b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    %t = arith.cmpi sge, %q, %k : i64
    attn.yield %t : i1
  })

// -----

// expected-error @+1 {{'attn.variant' op expression region #0 is not used by any mask or score}}
attn.variant @unused_region_only {
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
  exprs({
  ^bb0(%b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    %t = arith.cmpi sge, %q, %k : i64
    attn.yield %t : i1
  })

// -----

// expected-error @+1 {{'attn.variant' op predicate region #0 must take ('index', 'index', 'i64', 'i64', 'i64', 'i64')}}
attn.variant @pred_bad_args {
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
  ^bb0(%s: f32, %b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    %c = arith.constant 2.0 : f32
    %r = arith.mulf %s, %c : f32
    attn.yield %r : f32
  })

// -----

// expected-error @+1 {{'attn.variant' op score region #0 must take ('f32', 'index', 'index', 'i64', 'i64', 'i64', 'i64')}}
attn.variant @score_bad_args {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [#attn.head_score<head_begin = 0, head_end = 4, region = 0>],
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

// expected-error @+1 {{'attn.variant' op predicate region #0 must yield 'i1'}}
attn.variant @pred_bad_yield {
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
    %t = arith.subi %q, %k : i64
    attn.yield %t : i64
  })

// -----

// expected-error @+1 {{'attn.variant' op score region #0 must yield 'f32'}}
attn.variant @score_bad_yield {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [#attn.head_score<head_begin = 0, head_end = 4, region = 0>],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}
  exprs({
  ^bb0(%s: f32, %b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    %t = arith.truncf %s : f32 to f16
    attn.yield %t : f16
  })

// -----

// expected-error @+1 {{'attn.variant' op score region #0 must yield 'f32'}}
attn.variant @score_no_yield {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [#attn.head_score<head_begin = 0, head_end = 4, region = 0>],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}
  exprs({
  ^bb0(%s: f32, %b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    %c = arith.constant 2.0 : f32
  })

// -----

// expected-error @+1 {{'attn.variant' op document mask refers to undeclared kernel input 'doc'}}
attn.variant @doc_undeclared {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.and<operands = [#attn.causal, #attn.document<ids = "doc">]>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = [#attn.input<name = "docs", dtype = i32, dims = ["tokens"]>]}

// -----

// expected-error @+1 {{'attn.variant' op prefix_lm mask refers to undeclared kernel input 'plen'}}
attn.variant @prefix_undeclared {
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
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op softmax_sinks refers to undeclared kernel input 'sinks'}}
attn.variant @sinks_undeclared {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax_sinks<sinks = "sinks">,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op int4 group 32 must divide head_dim (16) for per-token keys}}
attn.variant @int4_keys {
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
  cache = #attn.paged<page_size = 16, layout = nhd, quant = #attn.int4<group = 32, keys = per_token, values = per_channel>>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op int4 group 32 must divide value_dim (48) for per-token values}}
attn.variant @int4_values {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 64, value_dim = 48>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.ring<sinks = 4, window = 1020, quant = #attn.int4<group = 32, keys = per_channel, values = per_token>>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op int4 group 32 must divide head_dim (16) for per-token keys}}
attn.variant @int4_contiguous {
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
  cache = #attn.contiguous<layout = hnd, capacity = 4096, quant = #attn.int4<group = 32, keys = per_token, values = per_token>>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op region #0 ('exprs') failed to verify constraint: region with 1 blocks}}
attn.variant @region_no_block {
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
  })

// -----

// expected-error @+1 {{'attn.variant' op region #0 ('exprs') failed to verify constraint: region with 1 blocks}}
attn.variant @region_two_blocks {
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
  ^bb1:
    %f = arith.constant false
    attn.yield %f : i1
  })

// -----

// expected-error @+1 {{'attn.variant' op requires attribute 'shape'}}
attn.variant @missing_shape {
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

// expected-error @+1 {{'attn.variant' op attribute 'position' failed to satisfy constraint}}
attn.variant @position_not_encoding {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.causal,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op attribute 'masks' failed to satisfy constraint: head masks}}
attn.variant @masks_not_head_masks {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.causal],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// expected-error @+1 {{'attn.variant' op attribute 'scale' failed to satisfy constraint: 64-bit float attribute}}
attn.variant @scale_f32 {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f32,
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

// expected-error @+1 {{'attn.variant' op attribute 'cache' failed to satisfy constraint}}
attn.variant @cache_not_cache {
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
  cache = #attn.from_mask,
  inputs = []}

// -----

func.func @input_outside_variant(%i: i64) -> i32 {
  // expected-error @+1 {{'attn.input' op must be inside an attn.variant region}}
  %d = attn.input "doc"[%i] : (i64) -> i32
  return %d : i32
}

// -----

attn.variant @input_undeclared {
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
  inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>]}
  exprs({
  ^bb0(%b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    // expected-error @+1 {{'attn.input' op reads undeclared kernel input 'seg'}}
    %d = attn.input "seg"[%q] : (i64) -> i32
    %z = arith.constant 0 : i32
    %t = arith.cmpi eq, %d, %z : i32
    attn.yield %t : i1
  })

// -----

attn.variant @input_bad_type {
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
  inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>]}
  exprs({
  ^bb0(%b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    // expected-error @+1 {{'attn.input' op result type 'i64' does not match the input's element type 'i32'}}
    %d = attn.input "doc"[%q] : (i64) -> i64
    %t = arith.cmpi eq, %d, %k : i64
    attn.yield %t : i1
  })

// -----

attn.variant @input_bad_rank {
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
  inputs = [#attn.input<name = "bias", dtype = f32, dims = ["heads", "tokens"]>]}
  exprs({
  ^bb0(%b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    // expected-error @+1 {{'attn.input' op kernel input 'bias' has 2 dimensions but 1 indices were given}}
    %d = attn.input "bias"[%q] : (i64) -> f32
    %z = arith.constant 0.0 : f32
    %t = arith.cmpf ogt, %d, %z : f32
    attn.yield %t : i1
  })

// -----

attn.variant @input_too_many_indices {
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
  inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>]}
  exprs({
  ^bb0(%b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    // expected-error @+1 {{'attn.input' op kernel input 'doc' has 1 dimensions but 2 indices were given}}
    %d = attn.input "doc"[%b, %q] : (index, i64) -> i32
    %z = arith.constant 0 : i32
    %t = arith.cmpi eq, %d, %z : i32
    attn.yield %t : i1
  })

// -----

func.func @yield_outside_variant(%x: f32) {
  // expected-error @+1 {{'attn.yield' op expects parent op 'attn.variant'}}
  attn.yield %x : f32
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
func.func @rope_unknown_variant(%q: tensor<?x4x16xf16>, %p: tensor<?xi64>, %n: index) {
  // expected-error @+1 {{'attn.rope' op refers to unknown variant @nope}}
  %r = attn.rope query %q at %p len %n variant @nope : tensor<?x4x16xf16>, tensor<?xi64> -> tensor<?x4x16xf16>
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
func.func @rope_variant_is_func(%q: tensor<?x4x16xf16>, %p: tensor<?xi64>, %n: index) {
  // expected-error @+1 {{'attn.rope' op refers to unknown variant @helper}}
  %r = attn.rope query %q at %p len %n variant @helper : tensor<?x4x16xf16>, tensor<?xi64> -> tensor<?x4x16xf16>
  return
}
func.func private @helper()

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
func.func @rope_bad_keyword(%q: tensor<?x4x16xf16>, %p: tensor<?xi64>, %n: index) {
  // expected-error @+1 {{expected 'query' or 'key', found 'value'}}
  %r = attn.rope value %q at %p len %n variant @v : tensor<?x4x16xf16>, tensor<?xi64> -> tensor<?x4x16xf16>
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
func.func @rope_query_heads(%q: tensor<?x2x16xf16>, %p: tensor<?xi64>, %n: index) {
  // expected-error @+1 {{'attn.rope' op query must have 4 heads of dimension 16, got 'tensor<?x2x16xf16>'}}
  %r = attn.rope query %q at %p len %n variant @v : tensor<?x2x16xf16>, tensor<?xi64> -> tensor<?x2x16xf16>
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
func.func @rope_key_heads(%k: tensor<?x4x16xf16>, %p: tensor<?xi64>, %n: index) {
  // expected-error @+1 {{'attn.rope' op key must have 2 heads of dimension 16, got 'tensor<?x4x16xf16>'}}
  %r = attn.rope key %k at %p len %n variant @v : tensor<?x4x16xf16>, tensor<?xi64> -> tensor<?x4x16xf16>
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
func.func @rope_key_elem(%k: tensor<?x2x16xbf16>, %p: tensor<?xi64>, %n: index) {
  // expected-error @+1 {{'attn.rope' op key element type must be 'f16' as the variant says, got 'bf16'}}
  %r = attn.rope key %k at %p len %n variant @v : tensor<?x2x16xbf16>, tensor<?xi64> -> tensor<?x2x16xbf16>
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
func.func @rope_rank(%q: tensor<?x64xf16>, %p: tensor<?xi64>, %n: index) {
  // expected-error @+1 {{'attn.rope' op input must have rank 3, got 'tensor<?x64xf16>'}}
  %r = attn.rope query %q at %p len %n variant @v : tensor<?x64xf16>, tensor<?xi64> -> tensor<?x64xf16>
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
func.func @rope_positions_rank(%q: tensor<?x4x16xf16>, %p: tensor<?x1xi64>, %n: index) {
  // expected-error @+1 {{'attn.rope' op positions must have rank 1, got 'tensor<?x1xi64>'}}
  %r = attn.rope query %q at %p len %n variant @v : tensor<?x4x16xf16>, tensor<?x1xi64> -> tensor<?x4x16xf16>
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
func.func @rope_token_count(%q: tensor<3x4x16xf16>, %p: tensor<5xi64>, %n: index) {
  // expected-error @+1 {{'attn.rope' op input and positions must have the same token count}}
  %r = attn.rope query %q at %p len %n variant @v : tensor<3x4x16xf16>, tensor<5xi64> -> tensor<3x4x16xf16>
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
func.func @rope_result_type(%q: tensor<?x4x16xf16>, %p: tensor<?xi64>, %n: index) {
  // expected-error @+1 {{'attn.rope' op result type must equal the input type}}
  %r = attn.rope query %q at %p len %n variant @v : tensor<?x4x16xf16>, tensor<?xi64> -> tensor<8x4x16xf16>
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
func.func @rope_positions_i32(%q: tensor<?x4x16xf16>, %p: tensor<?xi32>, %n: index) {
  // expected-error @+1 {{'attn.rope' op operand #1 must be ranked tensor of 64-bit signless integer values, but got 'tensor<?xi32>'}}
  %r = attn.rope query %q at %p len %n variant @v : tensor<?x4x16xf16>, tensor<?xi32> -> tensor<?x4x16xf16>
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
func.func @att_unknown_variant(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op refers to unknown variant @w}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @w : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
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
func.func @att_query_heads(%q: tensor<?x8x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op query must have 4 heads of dimension 16, got 'tensor<?x8x16xf16>'}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x8x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
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
func.func @att_key_head_dim(%q: tensor<?x4x16xf16>, %k: tensor<?x2x32xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op key must have 2 heads of dimension 16, got 'tensor<?x2x32xf16>'}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x4x16xf16>, tensor<?x2x32xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
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
func.func @att_value_heads(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x4x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op value must have 2 heads of dimension 16, got 'tensor<?x4x16xf16>'}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x4x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
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
func.func @att_output_dim(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op output must have 4 heads of dimension 16, got 'tensor<?x4x8xf16>'}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x8xf16>
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
func.func @att_query_elem(%q: tensor<?x4x16xbf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op query element type must be 'f16' as the variant says, got 'bf16'}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x4x16xbf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
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
func.func @att_value_elem(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf32>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op value element type must be 'f16' as the variant says, got 'f32'}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf32>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
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
func.func @att_output_elem(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op output element type must be 'f16' as the variant says, got 'f32'}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf32>
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
func.func @att_key_rank(%q: tensor<?x4x16xf16>, %k: tensor<?x32xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op key must have rank 3, got 'tensor<?x32xf16>'}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x4x16xf16>, tensor<?x32xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
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
func.func @att_output_rank(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op output must have rank 3, got 'tensor<?x64xf16>'}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x64xf16>
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
func.func @att_kpos_rank(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<1x?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op k_positions must have rank 1, got 'tensor<1x?xi64>'}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<1x?xi64> -> tensor<?x4x16xf16>
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
func.func @att_q_tokens(%q: tensor<8x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<7xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op query and q_positions must have the same token count}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<8x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<7xi64>, tensor<?xi64> -> tensor<8x4x16xf16>
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
func.func @att_out_tokens(%q: tensor<8x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<8xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op query and output must have the same token count}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<8x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<8xi64>, tensor<?xi64> -> tensor<4x4x16xf16>
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
func.func @att_kv_tokens(%q: tensor<?x4x16xf16>, %k: tensor<16x2x16xf16>, %v: tensor<12x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op key and value must have the same token count}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x4x16xf16>, tensor<16x2x16xf16>, tensor<12x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
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
func.func @att_kpos_tokens(%q: tensor<?x4x16xf16>, %k: tensor<16x2x16xf16>, %v: tensor<16x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<15xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op key and k_positions must have the same token count}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x4x16xf16>, tensor<16x2x16xf16>, tensor<16x2x16xf16>, tensor<?xi64>, tensor<15xi64> -> tensor<?x4x16xf16>
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
func.func @att_unexpected_lse(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op must not return a log-sum-exp, as variant @v says}}
  %o, %l = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @v : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>, tensor<?x4xf32>
  return
}

// -----

attn.variant @vl {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = true,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}
func.func @att_missing_lse(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op must return a log-sum-exp, as variant @vl says}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @vl : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
  return
}

// -----

attn.variant @vl {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = true,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}
func.func @att_lse_heads(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op lse must be [query tokens, 4], got 'tensor<?x2xf32>'}}
  %o, %l = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @vl : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>, tensor<?x2xf32>
  return
}

// -----

attn.variant @vl {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = true,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}
func.func @att_lse_rank(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op lse must be [query tokens, 4], got 'tensor<?xf32>'}}
  %o, %l = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @vl : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>, tensor<?xf32>
  return
}

// -----

attn.variant @vl {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = true,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}
func.func @att_lse_tokens(%q: tensor<8x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<8xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op lse must be [query tokens, 4], got 'tensor<4x4xf32>'}}
  %o, %l = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @vl : tensor<8x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<8xi64>, tensor<?xi64> -> tensor<8x4x16xf16>, tensor<4x4xf32>
  return
}

// -----

attn.variant @vl {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = true,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}
func.func @att_lse_f16(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op result #1 must be ranked tensor of 32-bit float values, but got 'tensor<?x4xf16>'}}
  %o, %l = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @vl : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>, tensor<?x4xf16>
  return
}

// -----

attn.variant @vd {
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
func.func @att_missing_inputs(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index) {
  // expected-error @+1 {{'attn.attention' op variant @vd declares 1 kernel inputs but 0 were given}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b variant @vd : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
  return
}

// -----

attn.variant @vd {
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
func.func @att_extra_inputs(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index, %d: tensor<?xi32>, %e: tensor<?xi32>) {
  // expected-error @+1 {{'attn.attention' op variant @vd declares 1 kernel inputs but 2 were given}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b inputs(%d, %e : tensor<?xi32>, tensor<?xi32>) variant @vd : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
  return
}

// -----

attn.variant @vd {
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
func.func @att_input_dtype(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index, %d: tensor<?xi64>) {
  // expected-error @+1 {{'attn.attention' op kernel input 'doc' must be a 1-d tensor of 'i32', got 'tensor<?xi64>'}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b inputs(%d : tensor<?xi64>) variant @vd : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
  return
}

// -----

attn.variant @vd {
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
  inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>, #attn.input<name = "bias", dtype = f32, dims = ["heads", "tokens"]>]}
func.func @att_input_rank(%q: tensor<?x4x16xf16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %qp: tensor<?xi64>, %kp: tensor<?xi64>, %b: index, %d: tensor<?xi32>, %e: tensor<?xf32>) {
  // expected-error @+1 {{'attn.attention' op kernel input 'bias' must be a 2-d tensor of 'f32', got 'tensor<?xf32>'}}
  %o = attn.attention %q, %k, %v pos %qp, %kp batch %b inputs(%d, %e : tensor<?xi32>, tensor<?xf32>) variant @vd : tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4x16xf16>
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
func.func @read_unknown_variant(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>) {
  // expected-error @+1 {{'attn.cache_read' op refers to unknown variant @missing}}
  %k, %v, %p = attn.cache_read %c variant @missing : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16> -> tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>
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
func.func @read_kv_heads(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 4, head_dim = 16, value_dim = 16, k = f16, v = f16>) {
  // expected-error @+1 {{'attn.cache_read' op cache shape (kv_heads 4, head_dim 16, value_dim 16) does not match the variant's}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 4, head_dim = 16, value_dim = 16, k = f16, v = f16> -> tensor<?x4x16xf16>, tensor<?x4x16xf16>, tensor<?xi64>
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
func.func @read_value_dim(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 8, k = f16, v = f16>) {
  // expected-error @+1 {{'attn.cache_read' op cache shape (kv_heads 2, head_dim 16, value_dim 8) does not match the variant's}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 8, k = f16, v = f16> -> tensor<?x2x16xf16>, tensor<?x2x8xf16>, tensor<?xi64>
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
func.func @read_layout(%c: !attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>) {
  // expected-error @+1 {{'attn.cache_read' op cache layout #attn.paged<page_size = 16, layout = nhd> differs from the variant's #attn.contiguous<layout = nhd, capacity = 0>}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16> -> tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>
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
func.func @read_layout_quant(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0, quant = #attn.int8<granularity = per_token>>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>) {
  // expected-error @+1 {{'attn.cache_read' op cache layout #attn.contiguous<layout = nhd, capacity = 0, quant = #attn.int8<granularity = per_token>> differs from the variant's #attn.contiguous<layout = nhd, capacity = 0>}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0, quant = #attn.int8<granularity = per_token>>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16> -> tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>
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
func.func @read_elem(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = bf16, v = bf16>) {
  // expected-error @+1 {{'attn.cache_read' op cache element types must be the variant's k/v types}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = bf16, v = bf16> -> tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<?xi64>
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
func.func @read_key_elem(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>) {
  // expected-error @+1 {{'attn.cache_read' op key element type must be 'f16' as the variant says, got 'f32'}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16> -> tensor<?x2x16xf32>, tensor<?x2x16xf16>, tensor<?xi64>
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
func.func @read_value_heads(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>) {
  // expected-error @+1 {{'attn.cache_read' op value must have 2 heads of dimension 16, got 'tensor<?x1x16xf16>'}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16> -> tensor<?x2x16xf16>, tensor<?x1x16xf16>, tensor<?xi64>
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
func.func @read_key_rank(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>) {
  // expected-error @+1 {{'attn.cache_read' op key must have rank 3, got 'tensor<?x32xf16>'}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16> -> tensor<?x32xf16>, tensor<?x2x16xf16>, tensor<?xi64>
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
func.func @read_pos_rank(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>) {
  // expected-error @+1 {{'attn.cache_read' op positions must have rank 1, got 'tensor<?x?xi64>'}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16> -> tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?x?xi64>
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
func.func @read_tokens(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>) {
  // expected-error @+1 {{'attn.cache_read' op key and value must have the same token count}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16> -> tensor<4x2x16xf16>, tensor<5x2x16xf16>, tensor<?xi64>
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
func.func @read_pos_tokens(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>) {
  // expected-error @+1 {{'attn.cache_read' op key and positions must have the same token count}}
  %k, %v, %p = attn.cache_read %c variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16> -> tensor<4x2x16xf16>, tensor<4x2x16xf16>, tensor<3xi64>
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
func.func @append_unknown_variant(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %p: tensor<?xi64>) {
  // expected-error @+1 {{'attn.cache_append' op refers to unknown variant @missing}}
  attn.cache_append %c, %k, %v at %p variant @missing : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>
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
func.func @append_head_dim(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 32, value_dim = 16, k = f16, v = f16>, %k: tensor<?x2x32xf16>, %v: tensor<?x2x16xf16>, %p: tensor<?xi64>) {
  // expected-error @+1 {{'attn.cache_append' op cache shape (kv_heads 2, head_dim 32, value_dim 16) does not match the variant's}}
  attn.cache_append %c, %k, %v at %p variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 32, value_dim = 16, k = f16, v = f16>, tensor<?x2x32xf16>, tensor<?x2x16xf16>, tensor<?xi64>
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
func.func @append_layout(%c: !attn.kv_cache<layout = #attn.contiguous<layout = hnd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %p: tensor<?xi64>) {
  // expected-error @+1 {{'attn.cache_append' op cache layout #attn.contiguous<layout = hnd, capacity = 0> differs from the variant's #attn.contiguous<layout = nhd, capacity = 0>}}
  attn.cache_append %c, %k, %v at %p variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = hnd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>
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
func.func @append_elem(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f32>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf32>, %p: tensor<?xi64>) {
  // expected-error @+1 {{'attn.cache_append' op cache element types must be the variant's k/v types}}
  attn.cache_append %c, %k, %v at %p variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f32>, tensor<?x2x16xf16>, tensor<?x2x16xf32>, tensor<?xi64>
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
func.func @append_key_heads(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, %k: tensor<?x4x16xf16>, %v: tensor<?x2x16xf16>, %p: tensor<?xi64>) {
  // expected-error @+1 {{'attn.cache_append' op key must have 2 heads of dimension 16, got 'tensor<?x4x16xf16>'}}
  attn.cache_append %c, %k, %v at %p variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?xi64>
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
func.func @append_value_elem(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xbf16>, %p: tensor<?xi64>) {
  // expected-error @+1 {{'attn.cache_append' op value element type must be 'f16' as the variant says, got 'bf16'}}
  attn.cache_append %c, %k, %v at %p variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, tensor<?x2x16xf16>, tensor<?x2x16xbf16>, tensor<?xi64>
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
func.func @append_key_rank(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, %k: tensor<?x2xf16>, %v: tensor<?x2x16xf16>, %p: tensor<?xi64>) {
  // expected-error @+1 {{'attn.cache_append' op key must have rank 3, got 'tensor<?x2xf16>'}}
  attn.cache_append %c, %k, %v at %p variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, tensor<?x2xf16>, tensor<?x2x16xf16>, tensor<?xi64>
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
func.func @append_value_rank(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, %k: tensor<?x2x16xf16>, %v: tensor<f16>, %p: tensor<?xi64>) {
  // expected-error @+1 {{'attn.cache_append' op value must have rank 3, got 'tensor<f16>'}}
  attn.cache_append %c, %k, %v at %p variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, tensor<?x2x16xf16>, tensor<f16>, tensor<?xi64>
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
func.func @append_pos_rank(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, %k: tensor<?x2x16xf16>, %v: tensor<?x2x16xf16>, %p: tensor<i64>) {
  // expected-error @+1 {{'attn.cache_append' op positions must have rank 1, got 'tensor<i64>'}}
  attn.cache_append %c, %k, %v at %p variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>, tensor<i64>
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
func.func @append_tokens(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, %k: tensor<2x2x16xf16>, %v: tensor<3x2x16xf16>, %p: tensor<?xi64>) {
  // expected-error @+1 {{'attn.cache_append' op key and value must have the same token count}}
  attn.cache_append %c, %k, %v at %p variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, tensor<2x2x16xf16>, tensor<3x2x16xf16>, tensor<?xi64>
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
func.func @append_pos_tokens(%c: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, %k: tensor<2x2x16xf16>, %v: tensor<2x2x16xf16>, %p: tensor<1xi64>) {
  // expected-error @+1 {{'attn.cache_append' op key and positions must have the same token count}}
  attn.cache_append %c, %k, %v at %p variant @v : !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 2, head_dim = 16, value_dim = 16, k = f16, v = f16>, tensor<2x2x16xf16>, tensor<2x2x16xf16>, tensor<1xi64>
  return
}
