// RUN: attn-opt %s -split-input-file | attn-opt -split-input-file | FileCheck %s
// RUN: attn-opt %s -split-input-file --mlir-print-op-generic | attn-opt -split-input-file | FileCheck %s
//
// Round trip of every attn op: attn.variant (with and without expression
// regions), attn.input, attn.yield, attn.rope, attn.attention (with and
// without lse and kernel inputs), attn.cache_append and attn.cache_read.

// The variant prints one attribute per line in spec order, discardable
// attributes last, whatever order they were written in.
// CHECK-LABEL: attn.variant @plain {
// CHECK-NEXT:    shape = #attn.shape<heads = 32, kv_heads = 8, head_dim = 128, value_dim = 64>,
// CHECK-NEXT:    types = #attn.types<q = bf16, k = f16, v = f32, out = bf16, accum = f32>,
// CHECK-NEXT:    scale = 0.088388347648318447 : f64,
// CHECK-NEXT:    lse = true,
// CHECK-NEXT:    position = #attn.nope,
// CHECK-NEXT:    masks = [#attn.head_mask<head_begin = 0, head_end = 32, mask = #attn.causal>],
// CHECK-NEXT:    scores = [],
// CHECK-NEXT:    normalizer = #attn.softmax,
// CHECK-NEXT:    tiles = #attn.tiles<q = 128, k = 32>,
// CHECK-NEXT:    blocks = #attn.from_mask,
// CHECK-NEXT:    cache = #attn.paged<page_size = 16, layout = hnd>,
// CHECK-NEXT:    inputs = [],
// CHECK-NEXT:    note = "extra"
// CHECK-NEXT:  }{{$}}
// CHECK-NOT:   exprs
attn.variant @plain {
  inputs = [], cache = #attn.paged<page_size = 16, layout = hnd>, note = "extra",
  blocks = #attn.from_mask, tiles = #attn.tiles<q = 128, k = 32>,
  normalizer = #attn.softmax, scores = [],
  masks = [#attn.head_mask<head_begin = 0, head_end = 32, mask = #attn.causal>],
  position = #attn.nope, lse = true, scale = 0.088388347648318447 : f64,
  types = #attn.types<q = bf16, k = f16, v = f32, out = bf16, accum = f32>,
  shape = #attn.shape<heads = 32, kv_heads = 8, head_dim = 128, value_dim = 64>}

// -----

// An empty exprs list is the same as none.
// CHECK-LABEL: attn.variant @empty_exprs {
// CHECK:         inputs = []
// CHECK-NEXT:  }{{$}}
attn.variant @empty_exprs {
  shape = #attn.shape<heads = 4, kv_heads = 4, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
  scale = 0.25 : f64, lse = false, position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.full>],
  scores = [], normalizer = #attn.softmax, tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask, cache = #attn.contiguous<layout = nhd, capacity = 0>, inputs = []}
  exprs()

// -----

// Predicate and score regions, attn.input (one and two indices, integer and
// float inputs) and attn.yield of i1 and f32.
// CHECK-LABEL: attn.variant @with_exprs {
// CHECK:         masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.predicate<region = 1>>, #attn.head_mask<head_begin = 2, head_end = 4, mask = #attn.and<operands = [#attn.causal, #attn.document<ids = "doc">]>>],
// CHECK-NEXT:    scores = [#attn.head_score<head_begin = 0, head_end = 4, region = 0>],
// CHECK:         inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>, #attn.input<name = "bias", dtype = f32, dims = ["heads", "tokens"]>]
// CHECK-NEXT:  } exprs({
// CHECK-NEXT:  ^bb0(%[[S:.+]]: f32, %[[B:.+]]: index, %[[H:.+]]: index, %[[Q:.+]]: i64, %[[K:.+]]: i64, %[[QL:.+]]: i64, %[[KL:.+]]: i64):
// CHECK-NEXT:    %[[BIAS:.+]] = attn.input "bias"[%[[H]], %[[K]]] : (index, i64) -> f32
// CHECK-NEXT:    %[[SUM:.+]] = arith.addf %[[S]], %[[BIAS]] : f32
// CHECK-NEXT:    attn.yield %[[SUM]] : f32
// CHECK-NEXT:  }, {
// CHECK-NEXT:  ^bb0(%[[B2:.+]]: index, %[[H2:.+]]: index, %[[Q2:.+]]: i64, %[[K2:.+]]: i64, %[[QL2:.+]]: i64, %[[KL2:.+]]: i64):
// CHECK-NEXT:    %[[DQ:.+]] = attn.input "doc"[%[[Q2]]] : (i64) -> i32
// CHECK-NEXT:    %[[DK:.+]] = attn.input "doc"[%[[K2]]] : (i64) -> i32
// CHECK-NEXT:    %[[EQ:.+]] = arith.cmpi eq, %[[DQ]], %[[DK]] : i32
// CHECK-NEXT:    attn.yield %[[EQ]] : i1
// CHECK-NEXT:  })
attn.variant @with_exprs {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 16>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64, lse = false, position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.predicate<region = 1>>,
           #attn.head_mask<head_begin = 2, head_end = 4, mask = #attn.and<operands = [#attn.causal, #attn.document<ids = "doc">]>>],
  scores = [#attn.head_score<head_begin = 0, head_end = 4, region = 0>],
  normalizer = #attn.softmax, tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask, cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>,
            #attn.input<name = "bias", dtype = f32, dims = ["heads", "tokens"]>]}
  exprs({
  ^bb0(%s: f32, %b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    %bias = attn.input "bias"[%h, %k] : (index, i64) -> f32
    %r = arith.addf %s, %bias : f32
    attn.yield %r : f32
  }, {
  ^bb0(%b: index, %h: index, %q: i64, %k: i64, %ql: i64, %kl: i64):
    %dq = attn.input "doc"[%q] : (i64) -> i32
    %dk = attn.input "doc"[%k] : (i64) -> i32
    %eq = arith.cmpi eq, %dq, %dk : i32
    attn.yield %eq : i1
  })

// -----

attn.variant @rope {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 16, value_dim = 8>,
  types = #attn.types<q = bf16, k = bf16, v = bf16, out = f32, accum = f32>,
  scale = 0.25 : f64, lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 16, layout = half_split, apply = on_write>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [], normalizer = #attn.softmax, tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask, cache = #attn.contiguous<layout = nhd, capacity = 0>, inputs = []}

// attn.rope on queries and keys, static and dynamic token counts; attention
// without lse and without kernel inputs (value_dim differs from head_dim, the
// output element type from the inputs').
// CHECK-LABEL: func.func @rope_and_attention(
// CHECK-SAME:    %[[Q:.+]]: tensor<?x4x16xbf16>, %[[K:.+]]: tensor<7x2x16xbf16>, %[[V:.+]]: tensor<7x2x8xbf16>, %[[QP:.+]]: tensor<?xi64>, %[[KP:.+]]: tensor<7xi64>, %[[B:.+]]: index, %[[N:.+]]: index)
// CHECK:         %[[QR:.+]] = attn.rope query %[[Q]] at %[[QP]] len %[[N]] variant @rope : tensor<?x4x16xbf16>, tensor<?xi64> -> tensor<?x4x16xbf16>
// CHECK:         %[[KR:.+]] = attn.rope key %[[K]] at %[[KP]] len %[[N]] variant @rope : tensor<7x2x16xbf16>, tensor<7xi64> -> tensor<7x2x16xbf16>
// CHECK:         %[[O:.+]] = attn.attention %[[QR]], %[[KR]], %[[V]] pos %[[QP]], %[[KP]] batch %[[B]] variant @rope : tensor<?x4x16xbf16>, tensor<7x2x16xbf16>, tensor<7x2x8xbf16>, tensor<?xi64>, tensor<7xi64> -> tensor<?x4x8xf32>
// CHECK-NEXT:    return %[[O]] : tensor<?x4x8xf32>
func.func @rope_and_attention(%q: tensor<?x4x16xbf16>, %k: tensor<7x2x16xbf16>, %v: tensor<7x2x8xbf16>,
                              %qp: tensor<?xi64>, %kp: tensor<7xi64>, %b: index, %n: index) -> tensor<?x4x8xf32> {
  %qr = attn.rope query %q at %qp len %n variant @rope : tensor<?x4x16xbf16>, tensor<?xi64> -> tensor<?x4x16xbf16>
  %kr = attn.rope key %k at %kp len %n variant @rope : tensor<7x2x16xbf16>, tensor<7xi64> -> tensor<7x2x16xbf16>
  %o = attn.attention %qr, %kr, %v pos %qp, %kp batch %b variant @rope
      : tensor<?x4x16xbf16>, tensor<7x2x16xbf16>, tensor<7x2x8xbf16>, tensor<?xi64>, tensor<7xi64> -> tensor<?x4x8xf32>
  return %o : tensor<?x4x8xf32>
}

// -----

attn.variant @lse_inputs {
  shape = #attn.shape<heads = 8, kv_heads = 1, head_dim = 64, value_dim = 64>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.125 : f64, lse = true, position = #attn.nope,
  masks = [#attn.head_mask<head_begin = 0, head_end = 8, mask = #attn.document<ids = "doc">>],
  scores = [], normalizer = #attn.softmax_sinks<sinks = "sinks">, tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask, cache = #attn.contiguous<layout = nhd, capacity = 0>,
  inputs = [#attn.input<name = "doc", dtype = i32, dims = ["tokens"]>,
            #attn.input<name = "sinks", dtype = f32, dims = ["heads"]>]}

// Attention with lse and kernel inputs (in declaration order).
// CHECK-LABEL: func.func @attention_lse_inputs(
// CHECK-SAME:    %[[Q:[^:]+]]: tensor<5x8x64xf16>, %[[K:[^:]+]]: tensor<?x1x64xf16>, %[[V:[^:]+]]: tensor<?x1x64xf16>, %[[QP:[^:]+]]: tensor<5xi64>, %[[KP:[^:]+]]: tensor<?xi64>, %[[B:[^:]+]]: index, %[[DOC:[^:]+]]: tensor<?xi32>, %[[SINKS:[^:]+]]: tensor<8xf32>)
// CHECK:         %[[O:.+]], %[[L:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] pos %[[QP]], %[[KP]] batch %[[B]] inputs(%[[DOC]], %[[SINKS]] : tensor<?xi32>, tensor<8xf32>) variant @lse_inputs : tensor<5x8x64xf16>, tensor<?x1x64xf16>, tensor<?x1x64xf16>, tensor<5xi64>, tensor<?xi64> -> tensor<5x8x64xf16>, tensor<5x8xf32>
// CHECK-NEXT:    return %[[O]], %[[L]] : tensor<5x8x64xf16>, tensor<5x8xf32>
func.func @attention_lse_inputs(%q: tensor<5x8x64xf16>, %k: tensor<?x1x64xf16>, %v: tensor<?x1x64xf16>,
                                %qp: tensor<5xi64>, %kp: tensor<?xi64>, %b: index,
                                %doc: tensor<?xi32>, %sinks: tensor<8xf32>) -> (tensor<5x8x64xf16>, tensor<5x8xf32>) {
  %o, %l = attn.attention %q, %k, %v pos %qp, %kp batch %b inputs(%doc, %sinks : tensor<?xi32>, tensor<8xf32>) variant @lse_inputs
      : tensor<5x8x64xf16>, tensor<?x1x64xf16>, tensor<?x1x64xf16>, tensor<5xi64>, tensor<?xi64> -> tensor<5x8x64xf16>, tensor<5x8xf32>
  return %o, %l : tensor<5x8x64xf16>, tensor<5x8xf32>
}

// -----

attn.variant @streaming {
  shape = #attn.shape<heads = 4, kv_heads = 2, head_dim = 32, value_dim = 32>,
  types = #attn.types<q = f16, k = f16, v = f16, out = f16, accum = f32>,
  scale = 0.25 : f64, lse = false,
  position = #attn.rope<theta = 10000.0, rotary_dim = 32, layout = interleaved, apply = on_read>,
  masks = [#attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.causal>],
  scores = [], normalizer = #attn.softmax, tiles = #attn.tiles<q = 64, k = 64>,
  blocks = #attn.from_mask,
  cache = #attn.ring<sinks = 4, window = 1020, quant = #attn.int8<granularity = per_token>>, inputs = []}

// attn.cache_append / attn.cache_read on a quantized ring cache. The cache
// type is printed without its dialect prefix where the op format fixes it.
// CHECK-LABEL: func.func @cache_ops(
// CHECK-SAME:    %[[C:[^:]+]]: !attn.kv_cache<layout = #attn.ring<sinks = 4, window = 1020, quant = #attn.int8<granularity = per_token>>, kv_heads = 2, head_dim = 32, value_dim = 32, k = f16, v = f16>, %[[NK:[^:]+]]: tensor<1x2x32xf16>, %[[NV:[^:]+]]: tensor<1x2x32xf16>, %[[NP:[^:]+]]: tensor<1xi64>, %[[Q:[^:]+]]: tensor<1x4x32xf16>, %[[B:[^:]+]]: index)
// CHECK:         attn.cache_append %[[C]], %[[NK]], %[[NV]] at %[[NP]] variant @streaming : <layout = #attn.ring<sinks = 4, window = 1020, quant = #attn.int8<granularity = per_token>>, kv_heads = 2, head_dim = 32, value_dim = 32, k = f16, v = f16>, tensor<1x2x32xf16>, tensor<1x2x32xf16>, tensor<1xi64>
// CHECK-NEXT:    %[[K:.+]], %[[V:.+]], %[[KP:.+]] = attn.cache_read %[[C]] variant @streaming : <layout = #attn.ring<sinks = 4, window = 1020, quant = #attn.int8<granularity = per_token>>, kv_heads = 2, head_dim = 32, value_dim = 32, k = f16, v = f16> -> tensor<?x2x32xf16>, tensor<?x2x32xf16>, tensor<?xi64>
// CHECK-NEXT:    %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] pos %[[NP]], %[[KP]] batch %[[B]] variant @streaming
// CHECK-NEXT:    return %[[O]] : tensor<1x4x32xf16>
!ring = !attn.kv_cache<layout = #attn.ring<sinks = 4, window = 1020, quant = #attn.int8<granularity = per_token>>,
                       kv_heads = 2, head_dim = 32, value_dim = 32, k = f16, v = f16>
func.func @cache_ops(%c: !ring, %nk: tensor<1x2x32xf16>, %nv: tensor<1x2x32xf16>, %np: tensor<1xi64>,
                     %q: tensor<1x4x32xf16>, %b: index) -> tensor<1x4x32xf16> {
  attn.cache_append %c, %nk, %nv at %np variant @streaming : !ring, tensor<1x2x32xf16>, tensor<1x2x32xf16>, tensor<1xi64>
  %k, %v, %kp = attn.cache_read %c variant @streaming : !ring -> tensor<?x2x32xf16>, tensor<?x2x32xf16>, tensor<?xi64>
  %o = attn.attention %q, %k, %v pos %np, %kp batch %b variant @streaming
      : tensor<1x4x32xf16>, tensor<?x2x32xf16>, tensor<?x2x32xf16>, tensor<1xi64>, tensor<?xi64> -> tensor<1x4x32xf16>
  return %o : tensor<1x4x32xf16>
}

// -----

// Kernel ops resolve variants through the nearest symbol table.
// CHECK-LABEL: module @nested
// CHECK:         attn.variant @inner {
// CHECK:         func.func @use_inner(
// CHECK:           attn.rope key %{{.+}} variant @inner : tensor<3x1x8xf32>, tensor<3xi64> -> tensor<3x1x8xf32>
module @nested {
  attn.variant @inner {
    shape = #attn.shape<heads = 2, kv_heads = 1, head_dim = 8, value_dim = 8>,
    types = #attn.types<q = f32, k = f32, v = f32, out = f32, accum = f32>,
    scale = 0.35355339059327379 : f64, lse = false,
    position = #attn.rope<theta = 10000.0, rotary_dim = 4, layout = half_split, apply = on_write>,
    masks = [#attn.head_mask<head_begin = 0, head_end = 2, mask = #attn.causal>],
    scores = [], normalizer = #attn.softmax, tiles = #attn.tiles<q = 8, k = 8>,
    blocks = #attn.from_mask, cache = #attn.contiguous<layout = nhd, capacity = 0>, inputs = []}
  func.func @use_inner(%k: tensor<3x1x8xf32>, %p: tensor<3xi64>, %n: index) -> tensor<3x1x8xf32> {
    %r = attn.rope key %k at %p len %n variant @inner : tensor<3x1x8xf32>, tensor<3xi64> -> tensor<3x1x8xf32>
    return %r : tensor<3x1x8xf32>
  }
}
