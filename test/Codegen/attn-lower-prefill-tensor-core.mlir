// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core %s | FileCheck %s
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core %s | FileCheck %s --check-prefix=CACHE
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core --attn-lower-to-loops --attn-outline-gpu-kernels %s | FileCheck %s --check-prefix=OUTLINE
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core --attn-lower-to-loops --attn-outline-gpu-kernels %s | FileCheck %s --check-prefix=OUTCACHE
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core="wgmma=true" %s | FileCheck %s --check-prefix=WG
// RUN: attn-opt --split-input-file --attn-lower-prefill-tensor-core="wgmma=true" %s | FileCheck %s --check-prefix=WGNOT --implicit-check-not=nvgpu.ldmatrix --implicit-check-not=llvm.call_intrinsic

// A bf16 GQA variant with a sliding window and a softcap: the tensor-core pair.
attn.variant @w {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 32, value_dim = 32>,
  types = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = f32>,
  scale = 0.17677669529663687 : f64,
  lse = true,
  position = #attn.rope<theta = 1.000000e+04, rotary_dim = 32, layout = half_split, apply = on_write>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.and<operands = [#attn.causal, #attn.window<left = 16, right = 0>]>>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
}

// The preparation of a prefill over the cache (contiguous, keys rotated at
// write): the same arguments, the query rotated (cos/sin), the keys gathered
// from the cache only widened, rounded and split (no second rotation).
// CACHE-LABEL: func.func @w_prefill_cache_prepare_tok(
// CACHE-SAME: %[[CK:[a-z0-9]+]]: memref<?x2x32xbf16>, %{{.*}}: memref<?xi64>, %{{.*}}: memref<?xi64>, %{{.*}}: memref<?x4x32xf32>, %[[CKH:.*]]: memref<?x2x32xbf16>, %[[CKL:.*]]: memref<?x2x32xbf16>, %{{.*}}: index) attributes {attn.thread_item}
// CACHE: math.cos
// CACHE: %[[SCRATCH:.*]] = memref.alloca() : memref<1x2x32xf32>
// CACHE-NOT: math.cos
// CACHE: %[[X:.*]] = memref.load %[[CK]][
// CACHE-NEXT: %[[W:.*]] = arith.extf %[[X]] : bf16 to f32
// CACHE: memref.store %[[W]], %[[SCRATCH]]
// CACHE-NOT: math.cos
// CACHE: memref.store %{{.*}}, %[[CKH]]
// CACHE: memref.store %{{.*}}, %[[CKL]]
// CACHE: return
// A batch over the cache: the varlen preparation's arguments, each packed
// token's entry found by binary search, keys again not rotated.
// CACHE-LABEL: func.func @w_prefill_cache_varlen_prepare_tok(
// CACHE-SAME: memref<?xi64>, %{{.*}}: memref<?xi64>, %{{.*}}: index) attributes {attn.thread_item}
// CACHE: scf.while

// Shared memory: one key tile of K, of K's low parts and of V (16 keys: 32
// for head dims up to 64, where each warp owns two tiles of 16 rows, halved
// for lse = true, whose QK^T takes hi + lo parts), rows padded by 8 elements
// (ldmatrix's 8 rows on distinct banks), 16-byte aligned; a flag.
// CHECK-DAG: memref.global "private" @w_tc_k_smem : memref<16x40xbf16, #gpu.address_space<workgroup>> {alignment = 16 : i64}
// CHECK-DAG: memref.global "private" @w_tc_k_lo_smem : memref<16x40xbf16, #gpu.address_space<workgroup>> {alignment = 16 : i64}
// CHECK-DAG: memref.global "private" @w_tc_v_smem : memref<16x40xbf16, #gpu.address_space<workgroup>> {alignment = 16 : i64}
// CHECK-DAG: memref.global "private" @w_tc_contiguous : memref<1xi32, #gpu.address_space<workgroup>>
// RoPE of one token: Q rotated into its f32 row; K rotated in private f32
// scratch, then rounded to bf16 (kh) and its remainder rounded (kl).
// CHECK-LABEL: func.func @w_prefill_prepare_tok(
// CHECK-SAME: %{{.*}}: memref<?x4x32xbf16>, %{{.*}}: memref<?x2x32xbf16>, %{{.*}}: memref<?xi64>, %{{.*}}: memref<?xi64>, %{{.*}}: memref<?x4x32xf32>, %[[PKH:.*]]: memref<?x2x32xbf16>, %[[PKL:.*]]: memref<?x2x32xbf16>, %{{.*}}: index)
// CHECK: memref.subview
// CHECK: memref.alloca() : memref<1x2x32xf32>
// CHECK: %[[HI:.*]] = arith.truncf %{{.*}} : f32 to bf16
// CHECK-NEXT: memref.store %[[HI]], %[[PKH]]
// CHECK: arith.subf
// CHECK: memref.store %{{.*}}, %[[PKL]]
// CHECK-LABEL: func.func @w_prefill_tc(
// CHECK-SAME: memref<?x4x32xf32>, %[[KH:.*]]: memref<?x2x32xbf16>, %[[KL:.*]]: memref<?x2x32xbf16>, %[[V:.*]]: memref<?x2x32xbf16>, %{{.*}}: memref<?xi64>, %{{.*}}: memref<?xi64>, %{{.*}}: index, %{{.*}}: memref<?x4x32xbf16>, %{{.*}}: memref<?x4xf32>)
// CHECK: gpu.block_id y
// CHECK: gpu.thread_id x
// Key tiles bounded by the union of the block's rows' mask intervals.
// CHECK: gpu.barrier
// CHECK: scf.for
// Are the bases 16-byte aligned (cp.async's requirement)?
// CHECK: memref.extract_aligned_pointer_as_index %[[KH]]
// CHECK: %[[KH_ALIGNED:.*]] = arith.cmpi eq
// CHECK: memref.extract_aligned_pointer_as_index %[[V]]
// CHECK: %[[V_ALIGNED:.*]] = arith.cmpi eq
// CHECK: memref.extract_aligned_pointer_as_index %[[KL]]
// The prologue: K (hi and lo) of the first tile in flight, by asynchronous
// copies of 8 elements, zero-filled past the last key (else by loads and
// stores).
// CHECK: scf.if %{{.*}} {
// CHECK-NEXT: scf.if %[[KH_ALIGNED]] {
// CHECK: %[[COUNT:.*]] = arith.select %{{.*}}, %c8{{.*}}, %c0
// CHECK: nvgpu.device_async_copy %[[KH]][{{.*}}], %{{.*}}[{{.*}}], 8, %[[COUNT]] {bypassL1} : memref<?x2x32xbf16> to memref<16x40xbf16, #gpu.address_space<workgroup>>
// CHECK: } else {
// CHECK: memref.store {{.*}} : memref<16x40xbf16, #gpu.address_space<workgroup>>
// CHECK: nvgpu.device_async_copy %[[KL]]
// CHECK: %[[GROUP:.*]] = nvgpu.device_async_create_group
// Per tile: K(j) waited for, then V(j) in flight during QK^T.
// CHECK: scf.for {{.*}} step %c16
// CHECK-NEXT: nvgpu.device_async_wait %[[GROUP]] {numGroups = 0 : i32}
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: scf.if %[[V_ALIGNED]] {
// CHECK: nvgpu.device_async_copy %[[V]]
// CHECK: nvgpu.device_async_create_group
// QK^T on tensor cores: one ldmatrix gives the B operands of 16 keys (bf16
// pairs as i32); three products per step: lo_q hi_k, hi_q lo_k, hi_q hi_k.
// CHECK: nvgpu.ldmatrix %{{.*}}[{{.*}}] {numTiles = 4 : i32, transpose = false} : memref<16x40xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// CHECK: vector.bitcast {{.*}} : vector<2xbf16> to vector<1xi32>
// CHECK: nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK: llvm.call_intrinsic "llvm.nvvm.mma.m16n8k16.row.col.bf16"
// CHECK-NEXT: llvm.extractvalue
// CHECK-COUNT-3: llvm.extractvalue
// CHECK: llvm.call_intrinsic "llvm.nvvm.mma.m16n8k16.row.col.bf16"
// CHECK: llvm.call_intrinsic "llvm.nvvm.mma.m16n8k16.row.col.bf16"
// The same two ldmatrix feed both row tiles' products: 3 products x 2 key
// fragments x 2 row tiles per 16 dims, before the next ldmatrix.
// CHECK-COUNT-9: llvm.call_intrinsic "llvm.nvvm.mma.m16n8k16.row.col.bf16"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: nvgpu.ldmatrix
// Full tiles skip the mask: every row's interval covers the tile, agreed by
// the 32 lanes (a min over xor shuffles); else the mask per element.
// CHECK: gpu.shuffle  xor {{.*}}, %c16_i32
// CHECK-NEXT: arith.minimumf
// CHECK: %[[SCORES:.*]]:16 = scf.if %{{.*}} -> (f32,
// CHECK-NEXT: scf.yield
// CHECK-NEXT: } else {
// CHECK: arith.cmpi ult
// CHECK: arith.select
// CHECK: scf.yield
// V(j) waited for; K(j + 1) in flight during the softmax and P V.
// CHECK: nvgpu.device_async_wait %[[GROUP]] {numGroups = 0 : i32}
// CHECK-NEXT: gpu.barrier
// CHECK: scf.if
// CHECK: nvgpu.device_async_copy %[[KH]]
// CHECK: nvgpu.device_async_copy %[[KL]]
// CHECK: nvgpu.device_async_create_group
// Row max over the 4 lanes of a row, then P V on tensor cores (V's B
// operands by ldmatrix.trans).
// CHECK: arith.maximumf %{{.*}}, %[[SCORES]]#0
// CHECK: gpu.shuffle  xor
// CHECK: math.exp
// CHECK: nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK: llvm.call_intrinsic "llvm.nvvm.mma.m16n8k16.row.col.bf16"
// CHECK: scf.yield
// Epilogue: 1 / l, bf16, lse from the lanes with t4 = 0.
// CHECK: arith.truncf {{.*}} : f32 to bf16
// CHECK: memref.store {{.*}} : memref<?x4x32xbf16>
// CHECK: math.log
// CHECK: memref.store {{.*}} : memref<?x4xf32>
// A ragged batch: packed token t of Q and of K, each sequence found by a
// binary search of its cumulative lengths, then one sequence's views.
// CHECK-LABEL: func.func @w_prefill_varlen_prepare_tok(
// CHECK-SAME: %[[VKH:[^:]*]]: memref<?x2x32xbf16>, %{{.*}}: memref<?x2x32xbf16>, %[[CUQ:.*]]: memref<?xi64>, %[[CUK:.*]]: memref<?xi64>, %{{.*}}: index)
// CHECK: scf.while
// CHECK: memref.load %[[CUQ]]
// CHECK: memref.subview {{.*}} : memref<?x4x32xbf16> to memref<?x4x32xbf16, strided<[128, 32, 1], offset: ?>>
// CHECK: scf.while
// CHECK: memref.load %[[CUK]]
// CHECK: memref.subview %[[VKH]]
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// The sequence is block_id.z; a block past its queries does nothing; the
// same body over the sequence's views (K copied from its rows).
// CHECK-LABEL: func.func @w_prefill_varlen_tc(
// CHECK-SAME: %[[VTKH:[^:]*]]: memref<?x2x32xbf16>, %{{.*}}: memref<?x2x32xbf16>, %{{.*}}: memref<?x2x32xbf16>, %{{.*}}: memref<?xi64>, %{{.*}}: memref<?xi64>, %{{.*}}: memref<?xi64>, %{{.*}}: memref<?xi64>, %{{.*}}: memref<?x4x32xbf16>, %{{.*}}: memref<?x4xf32>)
// CHECK: %[[SEQ:.*]] = gpu.block_id z
// CHECK: gpu.block_id x
// CHECK: scf.if
// CHECK: %[[SEQKH:.*]] = memref.subview %[[VTKH]]
// CHECK: nvgpu.device_async_copy %[[SEQKH]]
// CHECK: llvm.call_intrinsic "llvm.nvvm.mma.m16n8k16.row.col.bf16"
// CHECK: memref.store {{.*}} : memref<?x4xf32, strided<[4, 1], offset: ?>>

// The tensor-core kernel's body is inlined into its entry (ptxas serializes
// wgmma across calls): no device function of that name is left among the
// functions, which come before the entries.
// OUTLINE: gpu.module @attn_kernels
// OUTLINE-NOT: func.func @w_prefill_tc(
// OUTLINE-DAG: gpu.func @w_prefill_tc_gpu({{.*}}) kernel
// OUTLINE-DAG: gpu.func @w_prefill_prepare_tok_gpu({{.*}}) kernel
// OUTLINE-DAG: gpu.func @w_prefill_varlen_tc_gpu({{.*}}) kernel
// OUTLINE-DAG: gpu.func @w_prefill_varlen_prepare_tok_gpu({{.*}}) kernel
// OUTLINE-DAG: gpu.func @w_prefill_rows_gpu({{.*}}) kernel
// attn.thread_item: the token is the global thread id (the trailing index
// dropped from the kernel's parameters).
// OUTCACHE: gpu.func @w_prefill_cache_prepare_tok_gpu(%{{.*}}: memref<?x4x32xbf16>, {{.*}}, %{{.*}}: memref<?x2x32xbf16>) kernel {
// OUTCACHE: %[[T:.*]] = arith.addi
// OUTCACHE: func.call @w_prefill_cache_prepare_tok({{.*}}, %[[T]])

// wgmma (sm_90a): K, K's remainder, V, the block's Q rows and Q's remainder
// (16 x 32 x 3 + 2 x 128 x 32 elements) in one window of core matrices, no
// padding, in dynamic shared memory: an external, unsized global, whose size
// the function states for the launch.
// WG-DAG: memref.global @w_tc_dynamic_smem : memref<0xbf16, #gpu.address_space<workgroup>> {alignment = 128 : i64, attnc.dynamic_shared}
// WG-LABEL: func.func @w_prefill_tc(
// WG-SAME: attributes {attn.dynamic_shared_bytes = 19456 : i64, attn.tensor_core_block = array<i64: 128, 128>, attn.tensor_core_pipeline = array<i64: 1, 16, 0>}
// WG: %[[WIN:.*]] = memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [9728], strides: [1] : memref<0xbf16, #gpu.address_space<workgroup>> to memref<9728xbf16, #gpu.address_space<workgroup>>
// WG: %[[PTR:.*]] = memref.extract_aligned_pointer_as_index %[[WIN]]
// WG: %[[ADDR:.*]] = arith.index_cast %[[PTR]] : index to i64
// Q's 128 rows x 32 (two 64-row products) into the window, hi and lo.
// WG: scf.for %{{.*}} = %{{.*}} to %c4096 step %c128
// WG: memref.store %{{.*}}, %[[WIN]]
// WG: memref.store %{{.*}}, %[[WIN]]
// Copies land at 8 e in the window, 16 contiguous bytes each.
// WG: nvgpu.device_async_copy {{.*}}, %[[WIN]][{{.*}}], 8, {{.*}} : memref<?x2x32xbf16> to memref<9728xbf16, #gpu.address_space<workgroup>>
// Each wait is followed by the async-proxy fence, then the barrier.
// WG: scf.for
// WG: nvgpu.device_async_wait
// WG-NEXT: llvm.inline_asm has_side_effects {attnc.emulate = "fence_proxy_async"} "fence.proxy.async.shared::cta;"
// WG-NEXT: gpu.barrier
// QK^T per row tile (two, head dim 32): a chain of 3 x 2 steps (hi/lo split)
// of m64n16k16 (16-key tiles), A (Q) and B (K) both through descriptors,
// K-major, from zero (pz false); the window's address rides along for the
// emulation.
// WG: llvm.inline_asm has_side_effects {attnc.wgmma = {a_shared = true, accumulate = false, async = false, f16 = false, n = 16 : i64, steps = 6 : i64, trans_b = false}} "{\0A.reg .pred pz;\0Asetp.ne.b32 pz, $20, 0;\0Awgmma.fence.sync.aligned;\0Awgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16 {$0, $1, $2, $3, $4, $5, $6, $7}, $8, $9, pz, 1, 1, 0, 0;
// WG-SAME: wgmma.commit_group.sync.aligned;\0Awgmma.wait_group.sync.aligned 0;\0A}", "=f,=f,=f,=f,=f,=f,=f,=f,l,l,l,l,l,l,l,l,l,l,l,l,r,l,~{memory}"
// WG-SAME: %[[ADDR]]
// WG: llvm.inline_asm has_side_effects {attnc.wgmma = {a_shared = true, accumulate = false
// WG: nvgpu.device_async_wait
// WG-NEXT: llvm.inline_asm has_side_effects {attnc.emulate = "fence_proxy_async"}
// WG-NEXT: gpu.barrier
// P V: A (P) in registers, V N-major (trans-b 1), the O fragments tied in
// and out.
// WG: llvm.inline_asm has_side_effects {attnc.wgmma = {a_shared = false, accumulate = true, async = false, f16 = false, n = 32 : i64, steps = 1 : i64, trans_b = true}} {{.*}}m64n32k16.f32.bf16.bf16 {{.*}}, 1, 1, 1, 1;{{.*}}"=f,=f,=f,=f,=f,=f,=f,=f,=f,=f,=f,=f,=f,=f,=f,=f,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,r,r,r,r,l,r,l,~{memory}"
// WG: llvm.inline_asm has_side_effects {attnc.wgmma = {a_shared = false, accumulate = true
// WG: scf.yield
// WGNOT-LABEL: func.func @w_prefill_tc(

// -----

// f32 (or a head dim that is not a multiple of 16): the CUDA-core kernels only.
attn.variant @f {
  shape = #attn.shape<heads = 2, kv_heads = 1, head_dim = 8, value_dim = 8>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
}
// CHECK-LABEL: attn.variant @f
// CHECK: attn.tensor_core = "none: Q, K and V are not all bf16 or all f16"
// CHECK-NOT: func.func @f_prefill_tc
// OUTLINE-NOT: gpu.func @f_prefill_tc_gpu

// -----

// A ReRoPE remap (window 16): the far rows (qg f32, kg in the dtype) follow
// kh in both functions; the preparation rotates them too; the key loop runs
// twice into one online softmax, first the near pairs (mask and a window of
// 16 that keeps every later key), then the far pairs from qg, kg (the
// window's complement). With lse it keeps the CUDA-core kernels.
attn.variant @r {
  shape = #attn.shape<heads = 2, kv_heads = 2, head_dim = 32, value_dim = 32>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.17677669529663687 : f64,
  lse = false,
  position = #attn.rope<theta = 1.000000e+04, rotary_dim = 32, layout = half_split, apply = on_read, remap = #attn.rerope<window = 16, log_scale_base = 4.096000e+03>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
}
// CHECK-LABEL: func.func @r_prefill_prepare_tok(
// CHECK-SAME: %[[RKH:[^:]*]]: memref<?x2x32xf16>, %[[RQG:[^:]*]]: memref<?x2x32xf32>, %[[RKG:[^:]*]]: memref<?x2x32xf16>, %{{.*}}: index)
// CHECK: memref.subview %[[RQG]]
// CHECK: memref.store %{{.*}}, %[[RKG]]
// CHECK: memref.store %{{.*}}, %[[RKH]]
// CHECK-LABEL: func.func @r_prefill_tc(
// CHECK-SAME: %[[QF:[^:]*]]: memref<?x2x32xf32>, %[[TKH:[^:]*]]: memref<?x2x32xf16>, %[[TQG:[^:]*]]: memref<?x2x32xf32>, %[[TKG:[^:]*]]: memref<?x2x32xf16>, %{{.*}}: memref<?x2x32xf16>, %{{.*}}: memref<?xi64>
// Near pass: Q from qf, K tiles from kh.
// CHECK: memref.load %[[QF]]
// CHECK: nvgpu.device_async_copy %[[TKH]]
// CHECK: %[[NEAR:.*]]:{{[0-9]+}} = scf.for
// CHECK: gpu.barrier
// Far pass: Q from qg, K from kg, starting from the near pass's state.
// CHECK: memref.load %[[TQG]]
// CHECK: nvgpu.device_async_copy %[[TKG]]
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[NEAR]]#0,
// CHECK-LABEL: func.func @r_prefill_varlen_prepare_tok(

// -----

attn.variant @rl {
  shape = #attn.shape<heads = 2, kv_heads = 2, head_dim = 32, value_dim = 32>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.17677669529663687 : f64,
  lse = true,
  position = #attn.rope<theta = 1.000000e+04, rotary_dim = 32, layout = half_split, apply = on_read, remap = #attn.rerope<window = 16, log_scale_base = 4.096000e+03>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
}
// CHECK-LABEL: attn.variant @rl
// CHECK: attn.tensor_core = "none: a two-branch RoPE remap with lse"
// CHECK-NOT: func.func @rl_prefill_tc
