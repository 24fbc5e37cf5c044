// RUN: attn-opt --attn-to-llvm %s | FileCheck %s
// RUN: attn-opt --attn-to-llvm %s | FileCheck %s --check-prefix=CLEAN

// The named pipeline leaves only the LLVM dialect: the kernels and their
// C-interface wrappers; f32 exp/tanh are inlined polynomials (no libm call),
// the f64 RoPE angles use the cos/sin intrinsics.
attn.variant @g {
  shape = #attn.shape<heads = 2, kv_heads = 2, head_dim = 4, value_dim = 4>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.5 : f64,
  lse = false,
  position = #attn.rope<theta = 1.000000e+04, rotary_dim = 4, layout = interleaved, apply = on_write>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [#attn.head_score<head_begin = 0, head_end = 2, region = 0>],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
} exprs({
^bb0(%s: f32, %b: index, %h: index, %qp: i64, %kp: i64, %ql: i64, %kl: i64):
  %c = arith.constant 50.0 : f32
  %d = arith.divf %s, %c : f32
  %t = math.tanh %d : f32
  %r = arith.mulf %c, %t : f32
  attn.yield %r : f32
})

// CHECK-DAG: llvm.mlir.global private constant @g_inv_freq(dense<[1.000000e+00, 0.0099999997764825821]> : tensor<2xf64>)
// CHECK-LABEL: llvm.func @g_prefill_prepare(
// CHECK: llvm.fpext %{{.+}} : f16 to f32
// CHECK: llvm.intr.cos
// CHECK: llvm.intr.sin
// CHECK-LABEL: llvm.func @_mlir_ciface_g_prefill_prepare(
// CHECK-LABEL: llvm.func @g_prefill_rows(
// CHECK-NOT: llvm.call @tanhf
// CHECK-NOT: llvm.intr.exp
// CHECK: llvm.fptrunc %{{.+}} : vector<4xf32> to vector<4xf16>
// CHECK-LABEL: llvm.func @_mlir_ciface_g_prefill_rows(
// CHECK-LABEL: llvm.func @g_prefill_kernel(
// CHECK: llvm.call @g_prefill_prepare(
// CHECK: llvm.call @g_prefill_rows(
// CHECK-LABEL: llvm.func @_mlir_ciface_g_prefill_kernel(

// No attn op is left (an attribute, `attn.items_per_row = 2`, may be).
// CLEAN-NOT: {{ attn\.[a-z_]+ [^=]}}
// CLEAN-NOT: {{ scf\.[a-z_]+}}
// CLEAN-NOT: {{ memref\.[a-z_]+}}
// CLEAN-NOT: {{ vector\.[a-z_]+}}
// CLEAN-NOT: unrealized_conversion_cast
