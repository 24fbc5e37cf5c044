// RUN: attn-opt %s -split-input-file | attn-opt -split-input-file | FileCheck %s
// RUN: attn-opt %s -split-input-file --mlir-print-op-generic | attn-opt -split-input-file | FileCheck %s
//
// Round trip of the position encodings: #attn.nope, #attn.rope (both layouts,
// both apply modes, every scaling and remap), #attn.alibi and #attn.t5_bias,
// each in the context of a variant that accepts it.

// CHECK-LABEL: attn.variant @nope {
// CHECK: position = #attn.nope,
attn.variant @nope {
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

// CHECK-LABEL: attn.variant @rope_half_split {
// CHECK: position = #attn.rope<theta = 5.000000e+05, rotary_dim = 16, layout = half_split, apply = on_write>,
attn.variant @rope_half_split {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 500000.0, rotary_dim = 16, layout = half_split, apply = on_write>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @rope_partial_interleaved_on_read {
// CHECK: position = #attn.rope<theta = 1.000000e+04, rotary_dim = 8, layout = interleaved, apply = on_read>,
attn.variant @rope_partial_interleaved_on_read {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 8, layout = interleaved, apply = on_read>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @rope_linear {
// CHECK: position = #attn.rope<theta = 1.000000e+04, rotary_dim = 16, layout = half_split, apply = on_write, scaling = #attn.linear<factor = 2.500000e+00>>,
attn.variant @rope_linear {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 16, layout = half_split, apply = on_write, scaling = #attn.linear<factor = 2.5>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @rope_ntk {
// CHECK: position = #attn.rope<theta = 1.000000e+04, rotary_dim = 16, layout = half_split, apply = on_write, scaling = #attn.ntk<factor = 8.000000e+00>>,
attn.variant @rope_ntk {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 16, layout = half_split, apply = on_write, scaling = #attn.ntk<factor = 8.0>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @rope_dynamic_ntk {
// CHECK: position = #attn.rope<theta = 1.000000e+04, rotary_dim = 16, layout = half_split, apply = on_write, scaling = #attn.dynamic_ntk<factor = 2.000000e+00, original_context = 4096>>,
attn.variant @rope_dynamic_ntk {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 16, layout = half_split, apply = on_write, scaling = #attn.dynamic_ntk<factor = 2.0, original_context = 4096>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @rope_yarn {
// CHECK: position = #attn.rope<theta = 1.000000e+04, rotary_dim = 16, layout = half_split, apply = on_write, scaling = #attn.yarn<factor = 4.000000e+00, original_context = 32768, beta_fast = 3.200000e+01, beta_slow = 1.000000e+00, attention_factor = 1.1386294361119891>>,
attn.variant @rope_yarn {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 16, layout = half_split, apply = on_write, scaling = #attn.yarn<factor = 4.0, original_context = 32768, beta_fast = 32.0, beta_slow = 1.0, attention_factor = 1.1386294361119891>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @rope_llama3 {
// CHECK: position = #attn.rope<theta = 5.000000e+05, rotary_dim = 16, layout = half_split, apply = on_write, scaling = #attn.llama3<factor = 8.000000e+00, low_freq_factor = 1.000000e+00, high_freq_factor = 4.000000e+00, original_context = 8192>>,
attn.variant @rope_llama3 {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 500000.0, rotary_dim = 16, layout = half_split, apply = on_write, scaling = #attn.llama3<factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_context = 8192>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @rope_longrope {
// CHECK: position = #attn.rope<theta = 1.000000e+04, rotary_dim = 8, layout = half_split, apply = on_write, scaling = #attn.longrope<short_factor = [1.000000e+00, 1.250000e+00, 1.500000e+00, 3.000000e-01], long_factor = [2.000000e+00, 4.000000e+00, 8.000000e+00, 1.650000e+01], original_context = 4096, max_context = 131072, attention_factor = 1.1902380714238083>>,
attn.variant @rope_longrope {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 8, layout = half_split, apply = on_write, scaling = #attn.longrope<short_factor = [1.0, 1.25, 1.5, 3.0e-1], long_factor = [2.0, 4.0, 8.0, 16.5], original_context = 4096, max_context = 131072, attention_factor = 1.1902380714238083>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @rope_rerope {
// CHECK: position = #attn.rope<theta = 1.000000e+04, rotary_dim = 16, layout = half_split, apply = on_read, remap = #attn.rerope<window = 512, log_scale_base = 0.000000e+00>>,
attn.variant @rope_rerope {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 16, layout = half_split, apply = on_read, remap = #attn.rerope<window = 512, log_scale_base = 0.0>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @rope_rerope_log_scale {
// CHECK: position = #attn.rope<theta = 1.000000e+04, rotary_dim = 16, layout = half_split, apply = on_read, remap = #attn.rerope<window = 512, log_scale_base = 4.096000e+03>>,
attn.variant @rope_rerope_log_scale {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 16, layout = half_split, apply = on_read, remap = #attn.rerope<window = 512, log_scale_base = 4096.0>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @rope_self_extend {
// CHECK: position = #attn.rope<theta = 1.000000e+04, rotary_dim = 16, layout = half_split, apply = on_read, remap = #attn.self_extend<group = 8, window = 1024>>,
attn.variant @rope_self_extend {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 16, layout = half_split, apply = on_read, remap = #attn.self_extend<group = 8, window = 1024>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @rope_scaling_and_remap {
// CHECK: position = #attn.rope<theta = 1.000000e+04, rotary_dim = 16, layout = interleaved, apply = on_read, scaling = #attn.linear<factor = 2.000000e+00>, remap = #attn.self_extend<group = 4, window = 256>>,
attn.variant @rope_scaling_and_remap {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 16, layout = interleaved, apply = on_read, remap = #attn.self_extend<group = 4, window = 256>, scaling = #attn.linear<factor = 2.0>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @alibi {
// CHECK: position = #attn.alibi<max_bias = 8.000000e+00, slopes = [2.500000e-01, 6.250000e-02, 1.562500e-02, 3.906250e-03]>,
attn.variant @alibi {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.alibi<max_bias = 8.0, slopes = [0.25, 0.0625, 0.015625, 0.00390625]>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @alibi_negative_slopes {
// CHECK: position = #attn.alibi<max_bias = 5.000000e-01, slopes = [-5.000000e-01, 0.000000e+00, 1.000000e-01, 1.000000e-300]>,
attn.variant @alibi_negative_slopes {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.alibi<max_bias = 0.5, slopes = [-0.5, 0.0, 0.1, 1.0e-300]>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @t5_bias {
// CHECK: position = #attn.t5_bias<table = "rel", buckets = 32, max_distance = 128, bidirectional = true>,
// CHECK: inputs = [#attn.input<name = "rel", dtype = f32, dims = ["heads", "buckets"]>]
attn.variant @t5_bias {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.t5_bias<table = "rel", buckets = 32, max_distance = 128, bidirectional = true>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = [#attn.input<name = "rel", dtype = f32, dims = ["heads", "buckets"]>]}

// -----

// CHECK-LABEL: attn.variant @t5_bias_unidirectional {
// CHECK: position = #attn.t5_bias<table = "t5", buckets = 3, max_distance = 1, bidirectional = false>,
attn.variant @t5_bias_unidirectional {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.t5_bias<table = "t5", buckets = 3, max_distance = 1, bidirectional = false>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = [#attn.input<name = "t5", dtype = bf16, dims = ["heads", "buckets"]>]}
