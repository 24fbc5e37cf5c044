//===- DenseOps.h - Dense CPU ops of the llama runtime (Halide AOT) -*- C++ -*-===//
//
// Multi-threaded (Halide thread pool) CPU kernels generated at build time from
// dense_generator.cpp (Halide 14, target `host`). All tensors are row-major;
// no alignment is required. Functions return a failed Error on bad arguments
// or a Halide runtime error; outputs must not alias inputs.
//
// Quantized weights are used in place, in their raw ggml byte layout (e.g.
// straight from the GGUF mmap): a weight of shape [m, k] is m rows of
// weightRowBytes(type, k) bytes; the f16 scales are decoded inside the kernel.
// Supported weight types: F32, Q8_0, Q4_1 (quantized: k % 32 == 0).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_KERNELS_DENSEOPS_H
#define ATTNC_RUNTIME_KERNELS_DENSEOPS_H

#include "gguf/Error.h"
#include "gguf/GGMLTypes.h"

#include <cstdint>

namespace attnc::kernels {

using gguf::Error;
using gguf::GGMLType;

/// A weight matrix W[m, k] (m rows of k elements) in ggml layout.
struct WeightView {
  GGMLType type = GGMLType::F32;
  const void *data = nullptr; ///< m * weightRowBytes(type, k) bytes
  int64_t rows = 0;           ///< m (output features)
  int64_t cols = 0;           ///< k (input features)
};

/// Bytes of one row of k elements (0 if unsupported / k not a block multiple).
int64_t weightRowBytes(GGMLType type, int64_t k);

/// y[i, :] = x[i, :] / sqrt(mean(x[i, :]^2) + eps) * weight  (x, y: [n, dim]).
Error rmsnorm(const float *x, const float *weight, float *y, int64_t n,
              int64_t dim, float eps);

/// out[e] = silu(gate[e]) * up[e] = gate / (1 + exp(-gate)) * up, e < count.
Error swiglu(const float *gate, const float *up, float *out, int64_t count);

/// y[n, m] = x[n, k] * W[m, k]^T, f32 accumulation. n == 1 is the
/// matrix-vector (decode) case; n > 1 uses a register-tiled schedule.
Error matmul(const float *x, int64_t n, const WeightView &w, float *y);

/// Threads of Halide's pool (default: hardware threads, or HL_NUM_THREADS).
void setNumThreads(int threads);

} // namespace attnc::kernels

#endif // ATTNC_RUNTIME_KERNELS_DENSEOPS_H
