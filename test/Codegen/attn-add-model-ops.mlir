// RUN: attn-opt --attn-add-model-ops %s | FileCheck %s
// RUN: attn-opt --attn-add-model-ops --attn-outline-gpu-kernels %s | FileCheck %s --check-prefix=GPU

// The element-wise operations of a llama-family model, as work-item
// functions over [begin, end) (rows of RMSNorm, elements of SwiGLU), next to
// the module's attention kernels.
func.func @existing() {
  return
}

// CHECK-LABEL: func.func @existing
// CHECK-LABEL: func.func @attnc_model_rmsnorm_rows(
// CHECK-SAME: %[[X:.*]]: memref<?x?xf32>, %[[W:.*]]: memref<?xf32>, %[[OUT:.*]]: memref<?x?xf32>, %[[EPS:.*]]: i32, %[[B:.*]]: index, %[[E:.*]]: index)
// CHECK-SAME: attributes {attn.work_items}
// eps travels as its bits (an i32 kernel parameter).
// CHECK: %[[EPSF:.*]] = arith.bitcast %[[EPS]] : i32 to f32
// The range is clamped to the rows.
// CHECK: arith.minsi %[[B]]
// CHECK: arith.minsi %[[E]]
// CHECK: scf.for %[[R:.*]] =
// Sum of squares in f32 with fused multiply-adds, then 1/sqrt(mean + eps).
// CHECK: scf.for {{.*}} iter_args
// CHECK: math.fma
// CHECK: arith.divf
// CHECK: arith.addf {{.*}}, %[[EPSF]]
// CHECK: math.sqrt
// CHECK: scf.for
// CHECK: memref.load %[[X]][%[[R]],
// CHECK: memref.load %[[W]]
// CHECK: memref.store {{.*}}, %[[OUT]][%[[R]],

// CHECK-LABEL: func.func @attnc_model_swiglu_rows(
// CHECK-SAME: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index)
// CHECK-SAME: attributes {attn.work_items}
// gate * sigmoid(gate) * up.
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: arith.mulf
// CHECK: memref.store

// Outlined like the attention kernels' rows functions: one work item per
// thread, the range computed from the thread index.
// GPU: gpu.module @attn_kernels
// GPU-DAG: gpu.func @attnc_model_rmsnorm_rows_gpu({{.*}}) kernel
// GPU-DAG: gpu.func @attnc_model_swiglu_rows_gpu({{.*}}) kernel

// The GPU pipeline's RMSNorm (block-threads=128): a row per block of 128
// threads, the sum of squares reduced by xor shuffles in each warp and
// across the 4 warps through workgroup memory; SwiGLU stays one element per
// thread.
// RUN: attn-opt --attn-add-model-ops="block-threads=128" %s | FileCheck %s --check-prefix=BLOCK
// RUN: attn-opt --attn-add-model-ops="block-threads=128" --attn-outline-gpu-kernels %s | FileCheck %s --check-prefix=BLOCKGPU
// BLOCK: memref.global "private" @attnc_model_rmsnorm_partial : memref<4xf32, #gpu.address_space<workgroup>>
// BLOCK-LABEL: func.func @attnc_model_rmsnorm_rows(
// BLOCK-SAME: attributes {attn.block_threads = 128 : i64, attn.work_items}
// BLOCK: %[[TID:.*]] = gpu.thread_id x
// BLOCK: scf.for %[[R:.*]] =
// BLOCK: scf.for %{{.*}} = %[[TID]] to %{{.*}} step %c128{{.*}} iter_args
// BLOCK: math.fma
// BLOCK-COUNT-5: gpu.shuffle xor
// BLOCK: memref.store {{.*}} : memref<4xf32, #gpu.address_space<workgroup>>
// BLOCK: gpu.barrier
// BLOCK-COUNT-4: memref.load {{.*}} : memref<4xf32, #gpu.address_space<workgroup>>
// BLOCK: math.sqrt
// BLOCK: scf.for %{{.*}} = %[[TID]] to %{{.*}} step %c128
// BLOCK: memref.store {{.*}}[%[[R]],
// BLOCK: gpu.barrier
// BLOCK-LABEL: func.func @attnc_model_swiglu_rows(
// BLOCK-SAME: attributes {attn.work_items}
// BLOCK-NOT: gpu.
// The block's item is the block id.
// BLOCKGPU: gpu.func @attnc_model_rmsnorm_rows_gpu({{.*}}) kernel attributes {attn.block_threads = 128 : i64}
// BLOCKGPU-NEXT: %[[ITEM:.*]] = gpu.block_id x
// BLOCKGPU-NEXT: %[[ONE:.*]] = arith.constant 1 : index
// BLOCKGPU-NEXT: %[[END:.*]] = arith.addi %[[ITEM]], %[[ONE]]
// BLOCKGPU-NEXT: call @attnc_model_rmsnorm_rows({{.*}}, %[[ITEM]], %[[END]])
