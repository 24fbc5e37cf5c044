// RUN: attn-opt --attn-lower-to-loops --split-input-file %s | FileCheck %s

// ALiBi, two head segments with different masks, softcap, off-by-one, lse.
attn.variant @w {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 8, value_dim = 8>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = true,
  position = #attn.alibi<max_bias = 8.0, slopes = [0.25, 0.0625, 0.015625, 0.00390625]>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.and<operands = [#attn.causal, #attn.window<left = 16, right = 0>]>>,
           #attn.head_mask<head_begin = 2, head_end = 4, mask = #attn.causal>],
  scores = [#attn.head_score<head_begin = 0, head_end = 4, region = 0>],
  normalizer = #attn.off_by_one,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
} exprs({
^bb0(%s: f32, %b: index, %h: index, %qp: i64, %kp: i64, %ql: i64, %kl: i64):
  %c = arith.constant 30.0 : f32
  %d = arith.divf %s, %c : f32
  %t = math.tanh %d : f32
  %r = arith.mulf %c, %t : f32
  attn.yield %r : f32
})

// The variant becomes three memref functions with C interfaces: prepare
// (rotate/convert Q and K once), rows (a slice of the (query, head) work
// items, for caller-supplied threads) and kernel (both, single-threaded).
// CHECK: memref.global "private" constant @w_alibi_slopes : memref<4xf32> = dense<[2.500000e-01, 6.250000e-02, 1.562500e-02, 3.906250e-03]>
// CHECK-LABEL: func.func @w_prefill_prepare(
// CHECK-SAME: memref<?x4x8xf32>, %{{.+}}: memref<?x2x8xf32>, %{{.+}}: memref<?xi64>, %{{.+}}: memref<?xi64>, %{{.+}}: memref<?x4x8xf32>, %{{.+}}: memref<?x2x8xf32>)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @w_prefill_rows(
// CHECK-SAME: %[[QF:.+]]: memref<?x4x8xf32>, %[[KF:.+]]: memref<?x2x8xf32>, %[[V:.+]]: memref<?x2x8xf32>, %[[QP:.+]]: memref<?xi64>, %[[KP:.+]]: memref<?xi64>, %{{.+}}: index, %[[OUT:.+]]: memref<?x4x8xf32>, %[[LSE:.+]]: memref<?x4xf32>, %[[BEGIN:.+]]: index, %[[END:.+]]: index)
// CHECK-NOT: attn.
// Are the keys at positions 0..Lk-1? Then rows visit only their mask's interval.
// CHECK: scf.for {{.+}} iter_args(%{{.+}} = %true) -> (i1)
// CHECK: memref.get_global @w_alibi_slopes
// CHECK: scf.for %[[W:.+]] = %[[BEGIN]] to
// CHECK: %[[I:.+]] = arith.divui %[[W]], %c4
// CHECK: %[[H:.+]] = arith.remui %[[W]], %c4
// Segment of heads [0, 2): causal & window(16), keys from max(q - 15, 0) to q + 1.
// CHECK: arith.cmpi uge, %[[H]], %c0
// CHECK: arith.cmpi ult, %[[H]], %c2
// CHECK: scf.if
// CHECK: %c-15_i64
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (f32, f32, vector<8xf32>)
// CHECK: arith.cmpi sle
// CHECK: arith.constant 16 : i64
// CHECK: scf.if %{{.+}} -> (f32, f32, vector<8xf32>)
// CHECK: vector.reduction <add>, %{{.+}} fastmath<reassoc>
// CHECK: arith.constant 0.353553385 : f32
// CHECK: math.tanh
// CHECK: memref.load %{{.+}}[%[[H]]] : memref<4xf32>
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: vector.fma
// Off-by-one adds exp(0 - m) to the denominator; empty rows write 0 and -inf.
// CHECK: arith.maximumf
// CHECK: arith.cmpf ogt
// CHECK: vector.store %{{.+}}, %[[OUT]][%[[I]], %[[H]], %{{.+}}]
// CHECK: math.log
// CHECK: memref.store %{{.+}}, %[[LSE]][%[[I]], %[[H]]]
// Segment of heads [2, 4): causal only, no window constant.
// CHECK: arith.cmpi uge, %[[H]], %c2
// CHECK: arith.cmpi ult, %[[H]], %c4
// CHECK-NOT: arith.constant 16 : i64
// CHECK: return
// CHECK-LABEL: func.func @w_prefill_kernel(
// CHECK: %[[A:.+]] = memref.alloc
// CHECK: %[[B:.+]] = memref.alloc
// CHECK: call @w_prefill_prepare({{.*}}%[[A]], %[[B]])
// CHECK: call @w_prefill_rows(%[[A]], %[[B]],
// CHECK: memref.dealloc %[[A]]
// CHECK-NOT: attn.variant

// -----

// ReRoPE needs a second, remapped rotation of Q and K; a document mask reads
// its ids with a bounds check; sink logits join the denominator.
attn.variant @r {
  shape = #attn.shape<heads = 2, kv_heads = 1, head_dim = 8, value_dim = 8>,
  types = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = f32>,
  scale = 0.35355339059327373 : f64,
  lse = false,
  position = #attn.rope<theta = 1.000000e+04, rotary_dim = 8, layout = half_split, apply = on_read, remap = #attn.rerope<window = 4, log_scale_base = 0.0>>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.and<operands = [#attn.causal, #attn.document<ids = "doc">]>>],
  scores = [],
  normalizer = #attn.softmax_sinks<sinks = "s">,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>, #attn.input<name = "s", dtype = f32, dims = ["heads"]>]
}

// The inverse frequencies are f32 values (0.1f, 0.01f, 0.001f), stored as f64.
// CHECK: memref.global "private" constant @r_inv_freq : memref<4xf64> = dense<[1.000000e+00, 0.10000000149011612, 0.0099999997764825821, 0.0010000000474974513]>
// Prepare writes four f32 buffers: near and far rotations of Q and K.
// CHECK-LABEL: func.func @r_prefill_prepare(
// CHECK-SAME: memref<?x2x8xbf16>, %{{.+}}: memref<?x1x8xbf16>, %{{.+}}: memref<?xi64>, %{{.+}}: memref<?xi64>, %{{.+}}: memref<?x2x8xf32>, %{{.+}}: memref<?x1x8xf32>, %{{.+}}: memref<?x2x8xf32>, %{{.+}}: memref<?x1x8xf32>)
// Per token: the copy over heads x dims, then per pair (4) one cos/sin shared by
// the heads (2 query heads), rotated in an inner loop.
// CHECK: scf.for %{{.+}} = %{{.+}} to %c4 step
// CHECK: math.cos
// CHECK: math.sin
// CHECK: scf.for %{{.+}} = %{{.+}} to %c2{{.*}} step
// CHECK-LABEL: func.func @r_prefill_rows(
// CHECK-SAME: %[[DOC:[^:]+]]: memref<?xi32>, %[[SINKS:[^:]+]]: memref<?xf32>, %{{.+}}: memref<?x2x8xbf16>, %{{.+}}: index, %{{.+}}: index)
// CHECK: memref.dim %[[DOC]]
// CHECK: scf.if
// CHECK: memref.load %[[DOC]]
// Pairs at distance >= the window (4) use the far rotations.
// CHECK: arith.cmpi sge, %{{.+}}, %c4_i64
// CHECK: arith.select %{{.+}}, %{{.+}}, %{{.+}} : vector<8xf32>
// CHECK: memref.load %[[SINKS]]
// CHECK: arith.truncf %{{.+}} : vector<8xf32> to vector<8xbf16>
// CHECK-LABEL: func.func @r_prefill_kernel(
// CHECK-COUNT-4: memref.alloc
// CHECK-COUNT-4: memref.dealloc
