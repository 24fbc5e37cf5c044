// RUN: attn-opt --attn-lower-cache-kernels="block-threads=64" --split-input-file %s | FileCheck %s
// RUN: attn-opt --attn-lower-cache-kernels --split-input-file %s | FileCheck %s --check-prefix=THREAD
// RUN: attn-opt --attn-lower-cache-kernels --split-input-file %s | FileCheck %s --check-prefix=NOGATHER --implicit-check-not=cache_gather_tok

// The block form of decode_split (the GPU pipeline's): f32 keys rotated at
// read, GQA group 2. Workgroup buffers: the rotated queries, one score row
// per query head, and chunks of 64 keys whose rows are padded to 9 floats
// (no bank conflicts between threads reading different rows).
// CHECK-DAG: memref.global "private" @r_decode_q : memref<1x2x8xf32, #gpu.address_space<workgroup>> {alignment = 16 : i64}
// CHECK-DAG: memref.global "private" @r_decode_p : memref<2x64xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.global "private" @r_decode_k : memref<64x1x9xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.global "private" @r_decode_k_rot : memref<64x1x9xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.global "private" @r_decode_v : memref<64x1x9xf32, #gpu.address_space<workgroup>>
// CHECK-LABEL: func.func @r_decode_split(
// CHECK-SAME: attn.block_threads = 64 : i64, attn.heads_per_block = 1 : i64, attn.items_per_row = 2 : i64
// CHECK: %[[TID:.*]] = gpu.thread_id x
// The queries (a head per thread), then the state; a barrier.
// CHECK: scf.for %{{.*}} = %[[TID]] to %{{.*}} step %c64{{.*}}
// CHECK: math.cos {{.*}} : f64
// CHECK: gpu.barrier
// The chunk loop. Gather, consecutive threads on consecutive pieces: where
// both cache buffers start 16-byte aligned (then stated for LLVM), pieces of
// 16 bytes from flat views at linear indices; elsewhere pieces of 8 bytes.
// CHECK: scf.for
// CHECK: memref.extract_aligned_pointer_as_index %arg3
// CHECK: memref.extract_aligned_pointer_as_index %arg4
// CHECK: scf.if
// CHECK-NEXT: memref.assume_alignment %arg3, 16
// CHECK-NEXT: memref.assume_alignment %arg4, 16
// CHECK-NEXT: %[[KFLAT:.*]] = memref.collapse_shape %arg3 {{\[\[}}0, 1, 2, 3]] : memref<?x?x2x8xf32> into memref<?xf32>
// CHECK-NEXT: %[[VFLAT:.*]] = memref.collapse_shape %arg4
// CHECK: scf.for %{{.*}} = %[[TID]] to %{{.*}} step %c64{{.*}}
// CHECK: vector.load %[[KFLAT]][%{{.*}}] : memref<?xf32>, vector<4xf32>
// CHECK: vector.store {{.*}} : memref<64x1x8xf32, strided<[9, 9, 1]>, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: vector.load %[[VFLAT]][%{{.*}}] : memref<?xf32>, vector<4xf32>
// CHECK: } else {
// CHECK: scf.for %{{.*}} = %[[TID]] to %{{.*}} step %c64{{.*}}
// CHECK: vector.load %arg3{{.*}} : memref<?x?x2x8xf32>, vector<2xf32>
// CHECK: vector.load %arg4{{.*}} : memref<?x?x2x8xf32>, vector<2xf32>
// CHECK: gpu.barrier
// Each key rotated at its position by one thread.
// CHECK: scf.for %{{.*}} = %[[TID]] to
// CHECK: math.cos {{.*}} : f64
// CHECK: gpu.barrier
// Scores: 2 heads x 64 keys over the threads, q.k in steps of 8 lanes.
// CHECK: scf.for %{{.*}} = %[[TID]] to %c128{{.*}}
// CHECK: vector.fma {{.*}} : vector<8xf32>
// CHECK: gpu.barrier
// Softmax: a warp per head, maximum and sum by xor shuffles.
// CHECK-COUNT-5: gpu.shuffle xor {{.*}} : f32
// CHECK: math.exp
// CHECK-COUNT-5: gpu.shuffle xor {{.*}} : f32
// CHECK: gpu.barrier
// P.V: 2 x 8 output elements over the threads.
// CHECK: scf.for %{{.*}} = %[[TID]] to %c16{{.*}}
// CHECK: math.fma
// CHECK: gpu.barrier
// CHECK: }
// Partial outputs and lse, then a barrier before the next item.
// CHECK: memref.store {{.*}} : memref<?x?x4x8xf32>
// CHECK: memref.store {{.*}} : memref<?x?x4xf32>
// CHECK: gpu.barrier
// CHECK-LABEL: func.func @r_decode_merge(
// CHECK-NOT: gpu.
// CHECK-LABEL: func.func @r_decode(

// Without block-threads, one item per thread (the CPU's form).
// THREAD-NOT: memref.global "private" @r_decode_
// THREAD-LABEL: func.func @r_decode_split(
// THREAD-SAME: attn.heads_per_block = 1 : i64, attn.items_per_row = 2 : i64
// THREAD-NOT: gpu.
// THREAD-LABEL: func.func @r_decode_merge(
attn.variant @r {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 8, value_dim = 8>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = false,
  position = #attn.rope<theta = 1.000000e+04, rotary_dim = 8, layout = half_split, apply = on_read>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<capacity = 64, layout = nhd>,
  inputs = []
}

// -----

// int8 per token: rows are dequantized a row per thread (their scale covers
// the row); keys rotated on write are not rotated again.
// CHECK-LABEL: func.func @p_decode_split(
// CHECK-SAME: attn.block_threads = 64 : i64
// CHECK: gpu.barrier
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c64{{.*}}
// CHECK: arith.sitofp {{.*}} : vector<8xi8> to vector<8xf32>
// CHECK: vector.store {{.*}} #gpu.address_space<workgroup>>, vector<8xf32>
// CHECK: gpu.barrier
// CHECK-NOT: math.cos
// CHECK: gpu.shuffle xor
// CHECK-LABEL: func.func @p_decode_merge(
// The gather of the prefill over the cache (GPU pipeline only): item =
// (token, KV head) of sequence `seq`, the token's page looked up (an entry
// naming no page reads page 0), the KV head's K and V rows dequantized and
// rounded to bf16, and (KV head 0) the token's position; one item per thread
// (attn.thread_item).
// CHECK-LABEL: func.func @p_cache_gather_tok(
// CHECK-SAME: attn.arg_name = "k_rows"
// CHECK-SAME: attributes {attn.thread_item
// CHECK: %[[T:.*]] = arith.divui %arg10, %c2
// CHECK: %[[H:.*]] = arith.remui %arg10, %c2
// CHECK: memref.load %arg5[%arg9, %{{.*}}] : memref<?x?xi32>
// CHECK: arith.select
// CHECK: arith.sitofp {{.*}} : vector<8xi8> to vector<8xf32>
// CHECK: arith.truncf {{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK: vector.store {{.*}}, %arg6[%[[T]], %[[H]],
// CHECK: arith.truncf {{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK: vector.store {{.*}}, %arg7[%[[T]], %[[H]],
// CHECK: arith.cmpi eq, %[[H]]
// CHECK: memref.store {{.*}}, %arg8[%[[T]]]
// Without block-threads (the CPU pipeline) there is none.
// NOGATHER: func.func @p_decode_merge(
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
