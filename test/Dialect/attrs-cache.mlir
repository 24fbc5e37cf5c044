// RUN: attn-opt %s -split-input-file | attn-opt -split-input-file | FileCheck %s
// RUN: attn-opt %s -split-input-file --mlir-print-op-generic | attn-opt -split-input-file | FileCheck %s
//
// Round trip of the KV-cache layouts (#attn.contiguous, #attn.paged,
// #attn.ring) with and without each quantization (#attn.int8, #attn.fp8,
// #attn.int4), inside a variant (heads = 4, head_dim = value_dim = 16).

// CHECK-LABEL: attn.variant @contiguous_nhd {
// CHECK: cache = #attn.contiguous<layout = nhd, capacity = 0>,
attn.variant @contiguous_nhd {
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

// CHECK-LABEL: attn.variant @contiguous_hnd {
// CHECK: cache = #attn.contiguous<layout = hnd, capacity = 131072>,
attn.variant @contiguous_hnd {
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
  cache = #attn.contiguous<layout = hnd, capacity = 131072>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @paged {
// CHECK: cache = #attn.paged<page_size = 16, layout = nhd>,
attn.variant @paged {
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
  cache = #attn.paged<page_size = 16, layout = nhd>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @paged_one {
// CHECK: cache = #attn.paged<page_size = 1, layout = hnd>,
attn.variant @paged_one {
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
  cache = #attn.paged<page_size = 1, layout = hnd>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @ring {
// CHECK: cache = #attn.ring<sinks = 4, window = 1020>,
attn.variant @ring {
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
  cache = #attn.ring<sinks = 4, window = 1020>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @ring_no_sinks {
// CHECK: cache = #attn.ring<sinks = 0, window = 1>,
attn.variant @ring_no_sinks {
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
  cache = #attn.ring<sinks = 0, window = 1>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @int8_per_token {
// CHECK: cache = #attn.paged<page_size = 32, layout = nhd, quant = #attn.int8<granularity = per_token>>,
attn.variant @int8_per_token {
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
  cache = #attn.paged<page_size = 32, layout = nhd, quant = #attn.int8<granularity = per_token>>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @int8_per_channel {
// CHECK: cache = #attn.contiguous<layout = nhd, capacity = 0, quant = #attn.int8<granularity = per_channel>>,
attn.variant @int8_per_channel {
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
  cache = #attn.contiguous<layout = nhd, capacity = 0, quant = #attn.int8<granularity = per_channel>>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @fp8_e4m3 {
// CHECK: cache = #attn.ring<sinks = 4, window = 508, quant = #attn.fp8<format = e4m3, granularity = per_token>>,
attn.variant @fp8_e4m3 {
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
  cache = #attn.ring<sinks = 4, window = 508, quant = #attn.fp8<format = e4m3, granularity = per_token>>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @fp8_e5m2 {
// CHECK: cache = #attn.paged<page_size = 64, layout = hnd, quant = #attn.fp8<format = e5m2, granularity = per_channel>>,
attn.variant @fp8_e5m2 {
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
  cache = #attn.paged<page_size = 64, layout = hnd, quant = #attn.fp8<format = e5m2, granularity = per_channel>>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @int4_kivi {
// CHECK: cache = #attn.paged<page_size = 16, layout = nhd, quant = #attn.int4<group = 16, keys = per_channel, values = per_token>>,
attn.variant @int4_kivi {
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
  cache = #attn.paged<page_size = 16, layout = nhd, quant = #attn.int4<group = 16, keys = per_channel, values = per_token>>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @int4_per_channel {
// CHECK: cache = #attn.contiguous<layout = hnd, capacity = 0, quant = #attn.int4<group = 64, keys = per_channel, values = per_channel>>,
attn.variant @int4_per_channel {
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
  cache = #attn.contiguous<layout = hnd, capacity = 0, quant = #attn.int4<group = 64, keys = per_channel, values = per_channel>>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @int4_per_token {
// CHECK: cache = #attn.ring<sinks = 2, window = 30, quant = #attn.int4<group = 2, keys = per_token, values = per_token>>,
attn.variant @int4_per_token {
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
  cache = #attn.ring<sinks = 2, window = 30, quant = #attn.int4<group = 2, keys = per_token, values = per_token>>,
  inputs = []}
