// RUN: attn-opt --pass-pipeline="builtin.module(gpu.module(attn-lower-gpu-memory-spaces))" %s | FileCheck %s

// Workgroup memory becomes NVPTX address space 3 in globals, results,
// views, block arguments and function types; private 5, global 1.
// CHECK-LABEL: gpu.module @kernels
// CHECK: memref.global "private" @chunk : memref<8x9xf32, 3>
// CHECK: func.func @f(%{{.*}}: memref<4xf32, 1>, %{{.*}}: memref<2xf32, 5>) -> f32
// CHECK: memref.get_global @chunk : memref<8x9xf32, 3>
// CHECK: memref.subview {{.*}} : memref<8x9xf32, 3> to memref<8x8xf32, strided<[9, 1]>, 3>
// CHECK: vector.load {{.*}} : memref<8x8xf32, strided<[9, 1]>, 3>, vector<4xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (memref<8x8xf32, strided<[9, 1]>, 3>)
// CHECK-NOT: #gpu.address_space
gpu.module @kernels {
  memref.global "private" @chunk : memref<8x9xf32, #gpu.address_space<workgroup>>
  func.func @f(%g: memref<4xf32, #gpu.address_space<global>>, %p: memref<2xf32, #gpu.address_space<private>>) -> f32 {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %buf = memref.get_global @chunk : memref<8x9xf32, #gpu.address_space<workgroup>>
    %view = memref.subview %buf[0, 0] [8, 8] [1, 1] : memref<8x9xf32, #gpu.address_space<workgroup>> to memref<8x8xf32, strided<[9, 1]>, #gpu.address_space<workgroup>>
    %v = vector.load %view[%c0, %c0] : memref<8x8xf32, strided<[9, 1]>, #gpu.address_space<workgroup>>, vector<4xf32>
    %same = scf.for %i = %c0 to %c2 step %c1 iter_args(%it = %view) -> (memref<8x8xf32, strided<[9, 1]>, #gpu.address_space<workgroup>>) {
      scf.yield %it : memref<8x8xf32, strided<[9, 1]>, #gpu.address_space<workgroup>>
    }
    %x = vector.extract %v[0] : f32 from vector<4xf32>
    return %x : f32
  }
}
