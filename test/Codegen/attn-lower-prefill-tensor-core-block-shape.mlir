// The block each tensor-core prefill states for its launch
// (attn.tensor_core_block = [queries, threads]) and its dynamic shared memory.
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core %s | FileCheck %s
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core="max-block-queries=64" %s | FileCheck %s --check-prefix=Q64
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core="wgmma=true" %s | FileCheck %s --check-prefix=WG
// Two stages (attn.tensor_core_pipeline = [stages, keys per tile]): twice the
// K and V tiles, in dynamic shared memory, where the budget allows.
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core="stages=2" %s | FileCheck %s --check-prefix=S2
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core="wgmma=true stages=2" %s | FileCheck %s --check-prefix=WG2
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core="wgmma=true key-tile=128" %s | FileCheck %s --check-prefix=WG128
// Overlap (wgmma only; two stages): the pipeline's third element.
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core="wgmma=true overlap=true" %s | FileCheck %s --check-prefix=OV
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core="overlap=true" %s | FileCheck %s --check-prefix=OVMMA

// Head dim 128, Q in registers: two warpgroups of 64 queries, static tiles.
// CHECK-LABEL: func.func @d128_prefill_tc(
// CHECK-SAME: attributes {attn.tensor_core_block = array<i64: 128, 256>, attn.tensor_core_pipeline = array<i64: 1, 64, 0>}
// K's copies: 64 keys x 16 pieces of 16 bytes over 256 threads.
// CHECK: scf.for %{{.*}} = %thread_id_x to %c1024 step %c256
// Q64-LABEL: func.func @d128_prefill_tc(
// Q64-SAME: attributes {attn.tensor_core_block = array<i64: 64, 128>, attn.tensor_core_pipeline = array<i64: 1, 64, 0>}
// wgmma: K and V tiles of 64 keys and 128 Q rows, 2 bytes each.
// WG-LABEL: func.func @d128_prefill_tc(
// WG-SAME: attributes {attn.dynamic_shared_bytes = 65536 : i64, attn.tensor_core_block = array<i64: 128, 256>, attn.tensor_core_pipeline = array<i64: 1, 64, 0>}
// Two stages of padded K and V rows: 2 x 64 x (136 + 136) x 2 bytes; the
// prologue commits K0, V0, K1, each wait leaves two groups in flight.
// S2-LABEL: func.func @d128_prefill_tc(
// S2-SAME: attributes {attn.dynamic_shared_bytes = 69632 : i64, attn.tensor_core_block = array<i64: 128, 256>, attn.tensor_core_pipeline = array<i64: 2, 64, 0>}
// S2-COUNT-3: nvgpu.device_async_create_group
// S2: scf.for
// S2: nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// S2: nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// WG2-LABEL: func.func @d128_prefill_tc(
// WG2-SAME: attributes {attn.dynamic_shared_bytes = 98304 : i64, attn.tensor_core_block = array<i64: 128, 256>, attn.tensor_core_pipeline = array<i64: 2, 64, 0>}
// 128-key tiles: QK^T is m64n128k16.
// WG128-LABEL: func.func @d128_prefill_tc(
// WG128-SAME: attributes {attn.dynamic_shared_bytes = 98304 : i64, attn.tensor_core_block = array<i64: 128, 256>, attn.tensor_core_pipeline = array<i64: 1, 128, 0>}
// WG128: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// Overlap: the first tile's scores before the loop (a chain waited for at
// once); per tile the wait for the previous P V, one block barrier, then
// QK^T(j + 1) and P V(j) committed without a wait inside their chains, and
// the wait for the scores that leaves P V's group in flight; the last P V
// waited for after the loop.
// OV-LABEL: func.func @d128_prefill_tc(
// OV-SAME: attributes {attn.dynamic_shared_bytes = 98304 : i64, attn.tensor_core_block = array<i64: 128, 256>, attn.tensor_core_pipeline = array<i64: 2, 64, 1>}
// OV: attnc.wgmma = {a_shared = true, accumulate = false, async = false
// OV-SAME: wgmma.wait_group.sync.aligned 0
// OV: scf.for
// OV: attnc.wgmma_wait = {groups = array<i64: 64>, pending = 0 : i64}
// OV-NOT: gpu.barrier
// OV: nvgpu.device_async_wait %{{.*}} {numGroups = 0 : i32}
// OV: gpu.barrier
// OV-NOT: gpu.barrier
// OV: attnc.wgmma = {a_shared = true, accumulate = false, async = true
// OV-NOT: wgmma.wait_group
// OV-SAME: wgmma.commit_group.sync.aligned;\0A}"
// OV: attnc.wgmma = {a_shared = false, accumulate = true, async = true
// OV: attnc.wgmma_wait = {groups = array<i64: 32>, pending = 1 : i64}
// OV: scf.yield
// OV: attnc.wgmma = {a_shared = false, accumulate = true, async = true
// OV: attnc.wgmma_wait = {groups = array<i64: 64>, pending = 0 : i64}
// OVMMA-LABEL: func.func @d128_prefill_tc(
// OVMMA-SAME: attn.tensor_core_pipeline = array<i64: 1, 64, 0>}
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
// CHECK-SAME: attributes {attn.dynamic_shared_bytes = 67584 : i64, attn.tensor_core_block = array<i64: 64, 128>, attn.tensor_core_pipeline = array<i64: 1, 32, 0>}
// CHECK: memref.reinterpret_cast %{{.*}} to offset: [16896], sizes: [64, 264], strides: [264, 1]
// CHECK: nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<64x264xbf16, strided<[264, 1], offset: 16896>
// WG-LABEL: func.func @d256_prefill_tc(
// WG-SAME: attributes {attn.dynamic_shared_bytes = 98304 : i64, attn.tensor_core_block = array<i64: 128, 256>, attn.tensor_core_pipeline = array<i64: 1, 32, 0>}
// Two stages would take (64 + 64 + 64) x 264 x 2 = 99 KiB: mma.sync keeps one.
// S2-LABEL: func.func @d256_prefill_tc(
// S2-SAME: attributes {attn.dynamic_shared_bytes = 67584 : i64, attn.tensor_core_block = array<i64: 64, 128>, attn.tensor_core_pipeline = array<i64: 1, 32, 0>}
// S2: nvgpu.device_async_wait %{{.*}} {numGroups = 0 : i32}
// wgmma: 2 x (32 + 32) x 256 + 128 x 256 elements.
// WG2-LABEL: func.func @d256_prefill_tc(
// WG2-SAME: attributes {attn.dynamic_shared_bytes = 131072 : i64, attn.tensor_core_block = array<i64: 128, 256>, attn.tensor_core_pipeline = array<i64: 2, 32, 0>}
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
