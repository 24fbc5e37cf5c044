// RUN: attn-opt --attn-lower-to-loops --attn-outline-gpu-kernels %s | FileCheck %s

attn.variant @c {
  shape = #attn.shape<heads = 2, kv_heads = 1, head_dim = 8, value_dim = 8>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = false,
  position = #attn.rope<theta = 1.000000e+04, rotary_dim = 8, layout = half_split, apply = on_write>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
}

// Everything moves into one gpu.module; no host function is left behind.
// CHECK: module attributes {gpu.container_module}
// CHECK-NOT: func.func
// CHECK: gpu.module @attn_kernels
// CHECK: memref.global "private" constant @c_inv_freq
// CHECK: func.func @c_prefill_prepare(
// CHECK: func.func @c_prefill_rows(
// CHECK-NOT: func.func @c_prefill_kernel
// Prepare: the first thread of the grid.
// CHECK: gpu.func @c_prefill_prepare_gpu(
// CHECK: arith.cmpi eq
// CHECK: scf.if
// CHECK: call @c_prefill_prepare(
// Rows: one (query, head) work item per thread, item = block_id * block_dim + thread_id.
// CHECK: gpu.func @c_prefill_rows_gpu(%{{.+}}: memref<?x2x8xf32>, %{{.+}}: memref<?x1x8xf32>, %{{.+}}: memref<?x1x8xf32>, %{{.+}}: memref<?xi64>, %{{.+}}: memref<?xi64>, %{{.+}}: index, %{{.+}}: memref<?x2x8xf32>) kernel
// CHECK: %[[BID:.+]] = gpu.block_id  x
// CHECK: %[[BDIM:.+]] = gpu.block_dim  x
// CHECK: %[[MUL:.+]] = arith.muli %[[BID]], %[[BDIM]]
// CHECK: %[[TID:.+]] = gpu.thread_id  x
// CHECK: %[[ITEM:.+]] = arith.addi %[[MUL]], %[[TID]]
// CHECK: %[[NEXT:.+]] = arith.addi %[[ITEM]], %c1
// CHECK: call @c_prefill_rows({{.*}}, %[[ITEM]], %[[NEXT]])
// CHECK: gpu.return
