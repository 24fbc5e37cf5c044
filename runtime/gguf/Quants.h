//===- Quants.h - ggml block formats: dequantize / quantize ----*- C++ -*-===//
//
// Row-wise conversion between ggml's quantized block formats and float,
// following the block layouts of ggml-common.h and the reference
// (de)quantizers of ggml-quants.c. Multi-byte fields are read with memcpy, so
// `src` needs no particular alignment.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_GGUF_QUANTS_H
#define ATTNC_RUNTIME_GGUF_QUANTS_H

#include "gguf/Error.h"
#include "gguf/GGMLTypes.h"

#include <cstdint>

namespace attnc::gguf {

/// Whether dequantizeRow supports `t`: F32, F16, BF16, F64, I8, I16, I32,
/// I64, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K,
/// Q8_K. (The IQ*, TQ* and MXFP4 formats are not supported.)
bool canDequantize(GGMLType t);

/// Converts `n` elements (a multiple of the type's block size) stored at
/// `src` in format `t` to float. `src` must hold ggmlByteSize(t, n) bytes.
/// Fails for unsupported types and bad `n`.
Error dequantizeRow(GGMLType t, const void *src, float *dst, int64_t n);

/// Reference quantizers (as ggml's quantize_row_*_ref). `n` must be a
/// multiple of 32; `dst` receives ggmlByteSize(type, n) bytes.
Error quantizeRowQ8_0(const float *src, void *dst, int64_t n);
Error quantizeRowQ4_0(const float *src, void *dst, int64_t n);
Error quantizeRowQ4_1(const float *src, void *dst, int64_t n);
/// Dispatches to the above, plus F32, F16 and BF16.
Error quantizeRow(GGMLType t, const float *src, void *dst, int64_t n);
bool canQuantize(GGMLType t);

/// Q4_K: the 6-bit scale and min of sub-block `j` (0..7) from the 12-byte
/// packed `scales` array (ggml's get_scale_min_k4).
void q4kScaleMin(int j, const uint8_t *scales, uint8_t &scale, uint8_t &min);

} // namespace attnc::gguf

#endif // ATTNC_RUNTIME_GGUF_QUANTS_H
