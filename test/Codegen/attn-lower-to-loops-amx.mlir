// RUN: attn-opt --attn-classify-blocks="amx-bf16=1" --attn-lower-to-loops --split-input-file %s | FileCheck %s
// RUN: attn-opt --attn-classify-blocks="amx-bf16=1" --attn-lower-to-loops --split-input-file %s \
// RUN:   | sed -n '/func.func @amx_prefill_rows/,/func.func @amx_prefill_kernel/p' | FileCheck %s --check-prefix=ROWS

// A bf16 variant planned for AMX (attn-classify-blocks amx-bf16): `rows`
// first asks Linux for the tile state, then per block stages Q as VNNI B
// tiles, per key tile copies K rows to bf16 and V as key pairs; Sᵀ = K Qᵀ is
// two interleaved C-tile chains over D / 32 steps sharing each Q tile, and
// O += P V four output tiles at a time, the rescale guarded by a vote.
// No f32 FMA products are left in `rows`.
// ROWS: amx.tile_mulf
// ROWS-NOT: vector.fma
attn.variant @amx {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 64, value_dim = 64>,
  types = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = f32>,
  scale = 0.125 : f64,
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

// CHECK-LABEL: func.func @amx_prefill_rows
// CHECK: llvm.inline_asm has_side_effects "syscall", "={rax},{rax},{rdi},{rsi},~{rcx},~{r11},~{memory}"
// CHECK-DAG: %[[ACC:.*]] = memref.alloca() {alignment = 64 : i64} : memref<128x64xf32>
// CHECK-DAG: %[[S:.*]] = memref.alloca() {alignment = 64 : i64} : memref<32x16xf32>
// CHECK-DAG: %[[K:.*]] = memref.alloca() {alignment = 64 : i64} : memref<32x64xbf16>
// CHECK-DAG: %[[V:.*]] = memref.alloca() {alignment = 64 : i64} : memref<16x128xbf16>
// CHECK-DAG: %[[Q:.*]] = memref.alloca() {alignment = 64 : i64} : memref<256x32xbf16>
// CHECK-DAG: %[[P:.*]] = memref.alloca() {alignment = 64 : i64} : memref<16x32xbf16>
// Q staging: pairs of head-dim rows interleaved.
// CHECK: vector.shuffle {{.*}} [0, 16, 1, 17, 2, 18
// CHECK: vector.store {{.*}}, %[[Q]][{{.*}}] : memref<256x32xbf16>, vector<32xbf16>
// K rows rounded to bf16, V as pairs of keys.
// CHECK: arith.truncf {{.*}} : vector<16xf32> to vector<16xbf16>
// CHECK: vector.store {{.*}}, %[[K]][{{.*}}] : memref<32x64xbf16>, vector<16xbf16>
// CHECK: vector.store {{.*}}, %[[V]][{{.*}}] : memref<16x128xbf16>, vector<32xbf16>
// Sᵀ = K Qᵀ.
// CHECK: %[[C0:.*]] = amx.tile_zero : vector<16x16xf32>
// CHECK: %[[C1:.*]] = amx.tile_zero : vector<16x16xf32>
// CHECK: %[[QT:.*]] = amx.tile_load %[[Q]]
// CHECK: %[[KT:.*]] = amx.tile_load %[[K]][%c0{{.*}}, %c0{{.*}}] : memref<32x64xbf16> into vector<16x32xbf16>
// CHECK: %[[C0B:.*]] = amx.tile_mulf %[[KT]], %[[QT]], %[[C0]]
// CHECK: amx.tile_load %[[K]][%c16{{.*}}, %c0{{.*}}]
// CHECK: amx.tile_mulf
// CHECK: %[[QT2:.*]] = amx.tile_load %[[Q]]
// CHECK: amx.tile_load %[[K]][%c0{{.*}}, %c32{{.*}}]
// CHECK: amx.tile_mulf {{.*}}, %[[QT2]], %[[C0B]]
// CHECK: amx.tile_store %[[S]][%c0{{.*}}, %c0{{.*}}]
// CHECK: amx.tile_store %[[S]][%c16{{.*}}, %c0{{.*}}]
// Online softmax, then the rescale only when some row's maximum moved.
// CHECK: math.exp
// CHECK: %[[SAME:.*]] = vector.reduction <and>
// CHECK: %[[MOVED:.*]] = arith.xori %[[SAME]]
// CHECK: scf.if %[[MOVED]]
// P transposed to rows x keys (4 shuffle stages of 16), then O += P V.
// CHECK-COUNT-64: vector.shuffle {{.*}} : vector<16xi32>, vector<16xi32>
// CHECK: vector.store {{.*}}, %[[P]]
// CHECK: amx.tile_load %[[ACC]]
// CHECK: %[[PT:.*]] = amx.tile_load %[[P]][%c0{{.*}}, %c0{{.*}}] : memref<16x32xbf16>
// CHECK: %[[VT:.*]] = amx.tile_load %[[V]][%c0{{.*}}, %c0{{.*}}] : memref<16x128xbf16>
// CHECK: amx.tile_mulf %[[PT]], %[[VT]]
// CHECK-COUNT-3: amx.tile_mulf %[[PT]]
// CHECK-COUNT-4: amx.tile_store %[[ACC]]
// CHECK-NOT: vector.fma
// CHECK-LABEL: func.func @amx_prefill_kernel

// -----

// With an lse output, Q and K keep their bf16 residue: three products per
// step (hi x hi, hi x lo, lo x hi).
attn.variant @amx_lse {
  shape = #attn.shape<heads = 2, kv_heads = 2, head_dim = 32, value_dim = 32>,
  types = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = f32>,
  scale = 0.17677669529663687 : f64,
  lse = true,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
}
// CHECK-LABEL: func.func @amx_lse_prefill_rows
// CHECK: %[[KHI:.*]] = amx.tile_load %{{.*}}[%c0{{.*}}, %c0{{.*}}] : memref<32x32xbf16>
// CHECK: %[[A:.*]] = amx.tile_mulf %[[KHI]], %[[QHI:.*]], %{{.*}}
// CHECK: %[[B:.*]] = amx.tile_mulf %[[KHI]], %[[QLO:.*]], %[[A]]
// CHECK: %[[KLO:.*]] = amx.tile_load
// CHECK: amx.tile_mulf %[[KLO]], %[[QHI]], %[[B]]
