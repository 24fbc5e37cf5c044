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
// Int8 activations (the form ggml computes in): a Q8_0 / Q4_1 weight with
// m % 16 == 0 can be repacked once (packWeight) so that 16 rows share a
// vector; matmul then quantizes x to int8 per 32-element block (scale
// amax/127 rounded to f16, round to nearest even, as ggml's q8_0 / q8_1) and
// runs integer dot products (AVX512-VNNI vpdpbusd on this machine). The
// result is the exact float result of those quantized activations, so it
// differs from the f32 path by the activation rounding: about 0.4% of |y|
// relative (int8 steps of amax/127 per block; see KernelsTest).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_KERNELS_DENSEOPS_H
#define ATTNC_RUNTIME_KERNELS_DENSEOPS_H

#include "gguf/Error.h"
#include "gguf/GGMLTypes.h"

#include <cstdint>
#include <memory>

namespace attnc::kernels {

using gguf::Error;
using gguf::GGMLType;

/// A weight matrix W[m, k] (m rows of k elements) in ggml layout.
struct WeightView {
  GGMLType type = GGMLType::F32;
  const void *data = nullptr; ///< m * weightRowBytes(type, k) bytes
  int64_t rows = 0;           ///< m (output features)
  int64_t cols = 0;           ///< k (input features)
  /// The same matrix repacked by packWeight (or null): matmul then uses the
  /// int8-activation kernels. Owned by a PackedWeight that must outlive it.
  const uint8_t *packed = nullptr;
};

/// A weight repacked for the int8-activation kernels: per 16-row group and
/// 32-element block one record (q4_1: 320 bytes, q8_0: 544; the layout is in
/// dense_generator.cpp), 64-byte aligned. Movable; the bytes do not move.
class PackedWeight {
public:
  const uint8_t *data() const { return bytes_.get(); }
  int64_t size() const { return size_; }

private:
  struct Free {
    void operator()(uint8_t *p) const;
  };
  std::unique_ptr<uint8_t, Free> bytes_;
  int64_t size_ = 0;
  friend Error packWeight(const WeightView &w, PackedWeight &out);
};

/// Whether packWeight accepts `w`: Q8_0 or Q4_1, rows % 16 == 0, k % 32 == 0.
bool packable(const WeightView &w);

/// Repacks `w` (which keeps its raw data) into `out`; fails unless packable.
/// Set w.packed = out.data() to use it.
Error packWeight(const WeightView &w, PackedWeight &out);

/// Bytes of one row of k elements (0 if unsupported / k not a block multiple).
int64_t weightRowBytes(GGMLType type, int64_t k);

/// y[i, :] = x[i, :] / sqrt(mean(x[i, :]^2) + eps) * weight  (x, y: [n, dim]).
Error rmsnorm(const float *x, const float *weight, float *y, int64_t n,
              int64_t dim, float eps);

/// out[e] = silu(gate[e]) * up[e] = gate / (1 + exp(-gate)) * up, e < count.
Error swiglu(const float *gate, const float *up, float *out, int64_t count);

/// y[n, m] = x[n, k] * W[m, k]^T, f32 accumulation. n == 1 is the
/// matrix-vector (decode) case; n > 1 uses a register-tiled schedule.
/// With w.packed, x is quantized to int8 first (see the file comment; the
/// scratch is per thread, so concurrent calls from different threads are
/// safe).
Error matmul(const float *x, int64_t n, const WeightView &w, float *y);

/// Threads of Halide's pool (default: hardware threads, or HL_NUM_THREADS).
void setNumThreads(int threads);

/// Runs body(ctx, i) for every i in [0, n) on Halide's thread pool (the
/// threads of setNumThreads, started once: no thread creation per call, which
/// cost ~60 spawns per token when the attention kernels used std::thread).
/// Returns when all are done; body must not call back into parallelFor.
void parallelFor(int n, void (*body)(void *ctx, int i), void *ctx);

} // namespace attnc::kernels

#endif // ATTNC_RUNTIME_KERNELS_DENSEOPS_H
