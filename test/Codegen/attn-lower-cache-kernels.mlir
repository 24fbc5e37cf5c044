// RUN: attn-opt --attn-lower-cache-kernels --split-input-file %s | FileCheck %s

// A paged, head-major cache with per-token int8 quantization and GQA group 2.
attn.variant @p {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 8, value_dim = 8>,
  types = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = true,
  position = #attn.rope<theta = 1.000000e+04, rotary_dim = 8, layout = half_split, apply = on_write>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.paged<page_size = 16, layout = hnd, quant = #attn.int8<granularity = per_token>>,
  inputs = []
}
func.func @p_append(%cache: !attn.kv_cache<layout = #attn.paged<page_size = 16, layout = hnd, quant = #attn.int8<granularity = per_token>>, kv_heads = 2, head_dim = 8, value_dim = 8, k = bf16, v = bf16>, %k: tensor<?x2x8xbf16>, %v: tensor<?x2x8xbf16>, %pos: tensor<?xi64>, %len: index) {
  %0 = attn.rope key %k at %pos len %len variant @p : tensor<?x2x8xbf16>, tensor<?xi64> -> tensor<?x2x8xbf16>
  attn.cache_append %cache, %0, %v at %pos variant @p : <layout = #attn.paged<page_size = 16, layout = hnd, quant = #attn.int8<granularity = per_token>>, kv_heads = 2, head_dim = 8, value_dim = 8, k = bf16, v = bf16>, tensor<?x2x8xbf16>, tensor<?x2x8xbf16>, tensor<?xi64>
  return
}

// The tensor-level append is replaced; the memref kernels carry their
// argument names for the generated C header.
// CHECK-NOT: attn.cache_append
// CHECK-LABEL: func.func @p_append(
// CHECK-SAME: memref<?x2x8xbf16> {attn.arg_name = "k"}
// CHECK-SAME: memref<?x2x16x8xi8> {attn.arg_name = "k_cache"}
// CHECK-SAME: memref<?x16xi64> {attn.arg_name = "pos_cache"}
// CHECK-SAME: memref<?x16x2xf32> {attn.arg_name = "k_scale"}
// CHECK-SAME: memref<?x?xi32> {attn.arg_name = "page_table"}
// CHECK-SAME: index {attn.arg_name = "seq"}, %{{.+}}: index {attn.arg_name = "len"}) -> i32
// Status checks (no such sequence, pages missing) come before any write.
// CHECK: %c3_i32 = arith.constant 3 : i32
// CHECK: arith.ceildivui
// CHECK: scf.for {{.+}} iter_args({{.+}}) -> (i1)
// CHECK: %c2_i32 = arith.constant 2 : i32
// CHECK: scf.if
// Keys rotated at write, rounded to bf16, then quantized per (token, head).
// CHECK: math.cos
// CHECK: arith.divui %{{.+}}, %c16
// CHECK: arith.remui %{{.+}}, %c16
// CHECK: memref.load %{{.+}} : memref<?x?xi32>
// CHECK: arith.truncf {{.+}} : vector<8xf32> to vector<8xbf16>
// CHECK: vector.reduction <maximumf>
// CHECK: math.roundeven {{.+}} : vector<8xf32>
// CHECK: arith.fptosi {{.+}} : vector<8xf32> to vector<8xi8>
// CHECK: vector.store {{.+}} : memref<?x2x16x8xi8>, vector<8xi8>
// CHECK: memref.store {{.+}} : memref<?x16x2xf32>

// Decode: items (query row, KV head, split); row b reads cache sequence
// q_seq[b] (a row naming no sequence sees no key; lens is clamped to the
// page table's pages times the page size); the two query heads of a KV head
// share each gathered (dequantized) key.
// CHECK-LABEL: func.func @p_decode_split(
// CHECK-SAME: memref<?xi64> {attn.arg_name = "q_pos"}, %[[QSEQ:.+]]: memref<?xi64> {attn.arg_name = "q_seq"}
// CHECK-SAME: %[[TABLE:[^:]+]]: memref<?x?xi32> {attn.arg_name = "page_table"}, %[[LENS:[^:]+]]: memref<?xi64> {attn.arg_name = "lens"}
// CHECK-SAME: {attn.arg_name = "part_out"}
// CHECK: memref.alloca() : memref<64x1x8xf32>
// CHECK: scf.for %[[W:.+]] = %{{.+}} to
// CHECK: %[[ROW:.+]] = arith.divui %[[W]]
// CHECK: memref.load %[[QSEQ]][%[[ROW]]]
// CHECK: %[[NSEQ:.+]] = memref.dim %[[TABLE]], %c0
// CHECK: %[[OK:.+]] = arith.cmpi ult, %{{.+}}, %[[NSEQ]]
// CHECK: memref.load %[[LENS]][%[[ROW]]]
// CHECK: arith.select %[[OK]]
// CHECK: memref.dim %[[TABLE]], %c1
// CHECK: arith.muli %{{.+}}, %c16
// CHECK: arith.minui
// CHECK: memref.subview %{{.+}}[%{{.+}}, %{{.+}}, 0] [1, 2, 8] [1, 1, 1]
// CHECK: arith.ceildivui
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c64
// CHECK: arith.sitofp {{.+}} : vector<8xi8> to vector<8xf32>
// CHECK: scf.for %{{.+}} = %c0{{.*}} to %c2
// CHECK: vector.reduction <add>
// CHECK: math.exp
// CHECK: vector.store {{.+}} : memref<?x?x4x8xf32>, vector<8xf32>
// CHECK-LABEL: func.func @p_decode_merge(
// CHECK: math.exp
// CHECK: math.log
// CHECK-LABEL: func.func @p_decode(
// CHECK: call @p_decode_split
// CHECK: call @p_decode_merge

// -----

// A ring cache (StreamingLLM) with RoPE at read: positions inside the cache.
attn.variant @r {
  shape = #attn.shape<heads = 2, kv_heads = 2, head_dim = 8, value_dim = 8>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = false,
  position = #attn.rope<theta = 1.000000e+04, rotary_dim = 8, layout = half_split, apply = on_read>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.ring<sinks = 4, window = 12>,
  inputs = []
}
func.func @r_prefill(%q: tensor<?x2x8xf32>) -> tensor<?x2x8xf32> {
  return %q : tensor<?x2x8xf32>
}

// Functions without cache ops are left alone.
// CHECK: func.func @r_prefill(
// The frequencies do not depend on the length: keys are stored rotated at
// their token index (len + i), not un-rotated; one token at a time through
// fixed scratch (no allocation: append also runs on a GPU thread).
// CHECK-LABEL: func.func @r_append(
// CHECK-SAME: memref<?x16x2x8xf32> {attn.arg_name = "k_cache"}
// CHECK-NOT: memref.alloc(
// CHECK: memref.alloca() : memref<1xi64>
// CHECK-NOT: memref.alloc(
// CHECK: math.cos
// Sinks keep their slots, window tokens roll through slots 4..15.
// CHECK: arith.cmpi ult, %{{.+}}, %c4
// CHECK: arith.remui %{{.+}}, %c12
// CHECK-LABEL: func.func @r_decode_split(
// Resident: min(T, 4) sinks plus min(T - sinks, 12) window tokens.
// CHECK: arith.minui %{{.+}}, %c4
// CHECK: arith.minui %{{.+}}, %c12
// The query rotated twice: at its cache position R - 1 (for the sinks) and
// at its token index T - 1 (for the window keys); no key is rotated at read.
// CHECK: math.cos
// CHECK: math.cos
// CHECK-NOT: iter_args({{.+}}) -> (f64, f64)
// Per key: the sink query below the sink count, else the window query.
// CHECK: vector.load %{{.+}} : memref<64x1x8xf32>, vector<8xf32>
// CHECK-NEXT: arith.addi
// CHECK-NEXT: %[[SINK:.+]] = arith.cmpi ult
// CHECK-NEXT: arith.select %[[SINK]], %{{.+}}, %{{.+}} : vector<8xf32>
// CHECK-LABEL: func.func @r_decode_merge(

// -----

// int4 (KIVI): keys per channel over token groups of 8 (scales and minima per
// group, the incomplete group in the f16 residual, seq_len), values per token
// in channel groups of 8; codes two per byte.
attn.variant @k4 {
  shape = #attn.shape<heads = 2, kv_heads = 2, head_dim = 8, value_dim = 8>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.paged<page_size = 32, layout = nhd, quant = #attn.int4<group = 8, keys = per_channel, values = per_token>>,
  inputs = []
}
func.func @k4_append(%cache: !attn.kv_cache<layout = #attn.paged<page_size = 32, layout = nhd, quant = #attn.int4<group = 8, keys = per_channel, values = per_token>>, kv_heads = 2, head_dim = 8, value_dim = 8, k = f16, v = f16>, %k: tensor<?x2x8xf16>, %v: tensor<?x2x8xf16>, %pos: tensor<?xi64>) {
  attn.cache_append %cache, %k, %v at %pos variant @k4 : <layout = #attn.paged<page_size = 32, layout = nhd, quant = #attn.int4<group = 8, keys = per_channel, values = per_token>>, kv_heads = 2, head_dim = 8, value_dim = 8, k = f16, v = f16>, tensor<?x2x8xf16>, tensor<?x2x8xf16>, tensor<?xi64>
  return
}
// CHECK-LABEL: func.func @k4_append(
// CHECK-SAME: memref<?x32x2x4xi8> {attn.arg_name = "k_cache"}
// CHECK-SAME: memref<?x4x2x8xf32> {attn.arg_name = "k_scale"}, %{{.*}}: memref<?x32x2x1xf32> {attn.arg_name = "v_scale"}
// CHECK-SAME: {attn.arg_name = "k_min"}
// CHECK-SAME: memref<?x8x2x8xf16> {attn.arg_name = "k_resid"}, %{{.*}}: memref<?xi64> {attn.arg_name = "seq_len"}
// CHECK: vector.shuffle
// CHECK: arith.shli
// CHECK: func.func @k4_decode_split(
// CHECK: arith.shrui
