// RUN: attn-opt --attn-approximate-math %s | FileCheck %s

// f32 exp/log/tanh become arithmetic; f64 (RoPE angles) is left to libm.
// CHECK-LABEL: func.func @f32_math(
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.log
// CHECK: arith.mulf
// CHECK: return
func.func @f32_math(%x: f32, %v: vector<16xf32>) -> (f32, f32, f32, vector<16xf32>) {
  %e = math.exp %x : f32
  %t = math.tanh %x : f32
  %l = math.log %x : f32
  %ev = math.exp %v : vector<16xf32>
  return %e, %t, %l, %ev : f32, f32, f32, vector<16xf32>
}

// CHECK-LABEL: func.func @f64_untouched(
// CHECK: math.cos %{{.+}} : f64
// CHECK: math.sin %{{.+}} : f64
func.func @f64_untouched(%a: f64) -> (f64, f64) {
  %c = math.cos %a : f64
  %s = math.sin %a : f64
  return %c, %s : f64, f64
}
