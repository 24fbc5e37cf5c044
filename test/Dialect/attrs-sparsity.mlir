// RUN: attn-opt %s -split-input-file | attn-opt -split-input-file | FileCheck %s
// RUN: attn-opt %s -split-input-file --mlir-print-op-generic | attn-opt -split-input-file | FileCheck %s
//
// Round trip of the normalizers (#attn.softmax, #attn.softmax_sinks,
// #attn.off_by_one), #attn.tiles and the block layouts (#attn.from_mask,
// #attn.sliding_blocks, #attn.bigbird, #attn.dynamic_blocks).

// CHECK-LABEL: attn.variant @softmax {
// CHECK: normalizer = #attn.softmax,
attn.variant @softmax {
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

// CHECK-LABEL: attn.variant @softmax_sinks {
// CHECK: normalizer = #attn.softmax_sinks<sinks = "sinks">,
attn.variant @softmax_sinks {
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
  inputs = [#attn.input<name = "sinks", dtype = f32, dims = ["heads"]>]}

// -----

// CHECK-LABEL: attn.variant @off_by_one {
// CHECK: normalizer = #attn.off_by_one,
attn.variant @off_by_one {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.off_by_one,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @tiles_min {
// CHECK: tiles = #attn.tiles<q = 8, k = 8>,
attn.variant @tiles_min {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 8, k = 8>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @tiles_max {
// CHECK: tiles = #attn.tiles<q = 256, k = 16>,
attn.variant @tiles_max {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 256, k = 16>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @from_mask {
// CHECK: blocks = #attn.from_mask,
attn.variant @from_mask {
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

// CHECK-LABEL: attn.variant @sliding_blocks {
// CHECK: blocks = #attn.sliding_blocks<window = 3, global = 1>,
attn.variant @sliding_blocks {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.sliding_blocks<window = 3, global = 1>,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @sliding_blocks_no_global {
// CHECK: blocks = #attn.sliding_blocks<window = 1, global = 0>,
attn.variant @sliding_blocks_no_global {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.sliding_blocks<window = 1, global = 0>,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @bigbird {
// CHECK: blocks = #attn.bigbird<window = 3, global = 2, random = 3, seed = 42>,
attn.variant @bigbird {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.bigbird<window = 3, global = 2, random = 3, seed = 42>,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @bigbird_no_random {
// CHECK: blocks = #attn.bigbird<window = 1, global = 0, random = 0, seed = 0>,
attn.variant @bigbird_no_random {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.bigbird<window = 1, global = 0, random = 0, seed = 0>,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}

// -----

// CHECK-LABEL: attn.variant @dynamic_blocks {
// CHECK: blocks = #attn.dynamic_blocks<top_k = 16>,
attn.variant @dynamic_blocks {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.dynamic_blocks<top_k = 16>,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []}
