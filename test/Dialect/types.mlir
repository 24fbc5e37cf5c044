// RUN: attn-opt %s -split-input-file | attn-opt -split-input-file | FileCheck %s
// RUN: attn-opt %s -split-input-file --mlir-print-op-generic | attn-opt -split-input-file | FileCheck %s
//
// Round trip of the !attn.kv_cache type (every layout, quantized or not) and
// of the #attn.shape, #attn.types and #attn.input attributes.

// CHECK-LABEL: func.func private @kv_contiguous(
// CHECK-SAME: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = bf16>)
func.func private @kv_contiguous(!attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0>, kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = bf16>)

// -----

// CHECK-LABEL: func.func private @kv_paged_mla(
// CHECK-SAME: !attn.kv_cache<layout = #attn.paged<page_size = 64, layout = hnd>, kv_heads = 1, head_dim = 192, value_dim = 128, k = f16, v = f16>)
func.func private @kv_paged_mla(!attn.kv_cache<layout = #attn.paged<page_size = 64, layout = hnd>, kv_heads = 1, head_dim = 192, value_dim = 128, k = f16, v = f16>)

// -----

// CHECK-LABEL: func.func private @kv_ring_f32(
// CHECK-SAME: !attn.kv_cache<layout = #attn.ring<sinks = 4, window = 1020>, kv_heads = 32, head_dim = 64, value_dim = 64, k = f32, v = f32>)
func.func private @kv_ring_f32(!attn.kv_cache<layout = #attn.ring<sinks = 4, window = 1020>, kv_heads = 32, head_dim = 64, value_dim = 64, k = f32, v = f32>)

// -----

// CHECK-LABEL: func.func private @kv_mixed_types(
// CHECK-SAME: !attn.kv_cache<layout = #attn.contiguous<layout = hnd, capacity = 512>, kv_heads = 2, head_dim = 16, value_dim = 8, k = f32, v = bf16>)
func.func private @kv_mixed_types(!attn.kv_cache<layout = #attn.contiguous<layout = hnd, capacity = 512>, kv_heads = 2, head_dim = 16, value_dim = 8, k = f32, v = bf16>)

// -----

// CHECK-LABEL: func.func private @kv_quant_int8(
// CHECK-SAME: !attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd, quant = #attn.int8<granularity = per_channel>>, kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = bf16>)
func.func private @kv_quant_int8(!attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd, quant = #attn.int8<granularity = per_channel>>, kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = bf16>)

// -----

// CHECK-LABEL: func.func private @kv_quant_fp8(
// CHECK-SAME: !attn.kv_cache<layout = #attn.ring<sinks = 0, window = 4096, quant = #attn.fp8<format = e5m2, granularity = per_token>>, kv_heads = 4, head_dim = 64, value_dim = 64, k = f16, v = f16>)
func.func private @kv_quant_fp8(!attn.kv_cache<layout = #attn.ring<sinks = 0, window = 4096, quant = #attn.fp8<format = e5m2, granularity = per_token>>, kv_heads = 4, head_dim = 64, value_dim = 64, k = f16, v = f16>)

// -----

// CHECK-LABEL: func.func private @kv_quant_int4(
// CHECK-SAME: !attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0, quant = #attn.int4<group = 32, keys = per_channel, values = per_token>>, kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = bf16>)
func.func private @kv_quant_int4(!attn.kv_cache<layout = #attn.contiguous<layout = nhd, capacity = 0, quant = #attn.int4<group = 32, keys = per_channel, values = per_token>>, kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = bf16>)

// -----

!cache = !attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd>, kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = bf16>
// CHECK-LABEL: func.func private @kv_alias_result(
// CHECK-SAME: !attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd>, kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = bf16>) -> !attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd>, kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = bf16>
// CHECK-SAME: attributes {sig = (!attn.kv_cache<layout = #attn.ring<sinks = 1, window = 7>, kv_heads = 1, head_dim = 1, value_dim = 1, k = f32, v = f32>) -> ()}
func.func private @kv_alias_result(!cache) -> !cache attributes {sig = (!attn.kv_cache<layout = #attn.ring<sinks = 1, window = 7>, kv_heads = 1, head_dim = 1, value_dim = 1, k = f32, v = f32>) -> ()}

// -----

// CHECK-LABEL: attn.variant @mha_f32 {
// CHECK-NEXT: shape = #attn.shape<heads = 4, kv_heads = 4, head_dim = 16, value_dim = 16>,
// CHECK-NEXT: types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
attn.variant @mha_f32 {
  shape = #attn.shape<heads = 4, kv_heads = 4, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
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

// CHECK-LABEL: attn.variant @mqa_mixed {
// CHECK-NEXT: shape = #attn.shape<heads = 4, kv_heads = 1, head_dim = 192, value_dim = 128>,
// CHECK-NEXT: types = #attn.types<q = bf16, k = f16, v = f32, out = bf16, accum = f32>,
attn.variant @mqa_mixed {
  shape = #attn.shape<heads = 4, kv_heads = 1, head_dim = 192, value_dim = 128>,
  types = #attn.types<q = bf16, k = f16, v = f32, out = bf16, accum = f32>,
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

// CHECK-LABEL: attn.variant @inputs {
// CHECK: inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>, #attn.input<name = "flag", dtype = i1, dims = ["batch"]>, #attn.input<name = "table", dtype = f16, dims = ["heads", "buckets"]>, #attn.input<name = "ids", dtype = i64, dims = ["batch", "tokens"]>]
attn.variant @inputs {
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
  inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>, #attn.input<name = "flag", dtype = i1, dims = ["batch"]>, #attn.input<name = "table", dtype = f16, dims = ["heads", "buckets"]>, #attn.input<name = "ids", dtype = i64, dims = ["batch", "tokens"]>]}
