// The block each tensor-core prefill states for its launch
// (attn.tensor_core_block = [queries, threads]) and its dynamic shared memory.
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core %s | FileCheck %s
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core="max-block-queries=64" %s | FileCheck %s --check-prefix=Q64
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core="wgmma=true" %s | FileCheck %s --check-prefix=WG

// Head dim 128, Q in registers: two warpgroups of 64 queries, static tiles.
// CHECK-LABEL: func.func @d128_prefill_tc(
// CHECK-SAME: attributes {attn.tensor_core_block = array<i64: 128, 256>}
// K's copies: 64 keys x 16 pieces of 16 bytes over 256 threads.
// CHECK: scf.for %{{.*}} = %thread_id_x to %c1024 step %c256
// Q64-LABEL: func.func @d128_prefill_tc(
// Q64-SAME: attributes {attn.tensor_core_block = array<i64: 64, 128>}
// wgmma: K and V tiles of 64 keys and 128 Q rows, 2 bytes each.
// WG-LABEL: func.func @d128_prefill_tc(
// WG-SAME: attributes {attn.dynamic_shared_bytes = 65536 : i64, attn.tensor_core_block = array<i64: 128, 256>}
attn.variant @d128 {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 128, value_dim = 128>,
  types = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = f32>,
  scale = 0.08838834764831845 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
}

// -----

// Head dim 256: Q's fragments would take 64 registers, so mma.sync reads Q
// from shared memory (32-key tiles of K and V and the Q rows, rows padded to
// 264); 128 queries would take 99 KiB, so 64 on 4 warps: (32 + 32 + 64) x
// 264 x 2 bytes. wgmma keeps 128 queries: (32 + 32 + 128) x 256 x 2.
// CHECK-LABEL: func.func @d256_prefill_tc(
// CHECK-SAME: attributes {attn.dynamic_shared_bytes = 67584 : i64, attn.tensor_core_block = array<i64: 64, 128>}
// CHECK: memref.reinterpret_cast %{{.*}} to offset: [16896], sizes: [64, 264], strides: [264, 1]
// CHECK: nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<64x264xbf16, strided<[264, 1], offset: 16896>
// WG-LABEL: func.func @d256_prefill_tc(
// WG-SAME: attributes {attn.dynamic_shared_bytes = 98304 : i64, attn.tensor_core_block = array<i64: 128, 256>}
attn.variant @d256 {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 256, value_dim = 256>,
  types = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = f32>,
  scale = 0.0625 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
}
