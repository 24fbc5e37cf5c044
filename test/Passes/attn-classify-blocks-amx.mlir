// RUN: attn-opt --attn-classify-blocks="amx-bf16=1" --split-input-file %s | FileCheck %s
// RUN: attn-opt --attn-classify-blocks --split-input-file %s | FileCheck %s --check-prefix=NOAMX

// bf16 Q, K, V with a head dim that is a multiple of 32: the products go to
// AMX tiles, with key tiles of 32 and 8 row tiles per block.
// CHECK-LABEL: attn.variant @bf16_d64
// CHECK: attn.block_plan = {bias = "none", heads_packed = 4 : i64, key_tile = 32 : i64, masks = ["interval"], matmul = "amx_bf16", row_tile = 16 : i64, row_tiles_per_block = 8 : i64, scores = []}
// NOAMX-LABEL: attn.variant @bf16_d64
// NOAMX-NOT: matmul
// NOAMX: key_tile = 16 : i64
attn.variant @bf16_d64 {
  shape = #attn.shape<heads = 8, kv_heads = 2, head_dim = 64, value_dim = 64>,
  types = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = f32>,
  scale = 0.125 : f64,
  lse = false,
  position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 8, mask = #attn.causal>],
  scores = [],
  normalizer = #attn.softmax,
  tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = []
}

// -----

// f32, f16 and f32 values, or a head dim of 48: AVX-512 FMAs.
// CHECK-LABEL: attn.variant @f32
// CHECK-NOT: matmul
// CHECK-LABEL: attn.variant @f16
// CHECK-NOT: matmul
// CHECK-LABEL: attn.variant @bf16_f32_values
// CHECK-NOT: matmul
// CHECK-LABEL: attn.variant @bf16_d48
// CHECK-NOT: matmul
// CHECK: key_tile = 16 : i64
attn.variant @f32 {
  shape = #attn.shape<heads = 2, kv_heads = 2, head_dim = 64, value_dim = 64>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
  scale = 0.125 : f64, lse = false, position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [], normalizer = #attn.softmax, tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask, cache = #attn.contiguous<layout = nhd, capacity = 0>, inputs = []
}
attn.variant @f16 {
  shape = #attn.shape<heads = 2, kv_heads = 2, head_dim = 64, value_dim = 64>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.125 : f64, lse = false, position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [], normalizer = #attn.softmax, tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask, cache = #attn.contiguous<layout = nhd, capacity = 0>, inputs = []
}
attn.variant @bf16_f32_values {
  shape = #attn.shape<heads = 2, kv_heads = 2, head_dim = 64, value_dim = 64>,
  types = #attn.types<q = bf16, k = bf16, v = f32, out = f32, accum = f32>,
  scale = 0.125 : f64, lse = false, position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [], normalizer = #attn.softmax, tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask, cache = #attn.contiguous<layout = nhd, capacity = 0>, inputs = []
}
attn.variant @bf16_d48 {
  shape = #attn.shape<heads = 2, kv_heads = 2, head_dim = 48, value_dim = 48>,
  types = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = f32>,
  scale = 0.125 : f64, lse = false, position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
  scores = [], normalizer = #attn.softmax, tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask, cache = #attn.contiguous<layout = nhd, capacity = 0>, inputs = []
}
