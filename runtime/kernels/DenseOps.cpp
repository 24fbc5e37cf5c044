//===- DenseOps.cpp - Wrappers around the Halide AOT kernels --------------===//
#include "kernels/DenseOps.h"

#include "HalideBuffer.h"
#include "HalideRuntime.h"
#include "attn_hl_matmul_f32.h"
#include "attn_hl_matmul_q4_1.h"
#include "attn_hl_matmul_q8_0.h"
#include "attn_hl_rmsnorm.h"
#include "attn_hl_swiglu.h"

#include <climits>
#include <string>

namespace attnc::kernels {

namespace HR = Halide::Runtime;

namespace {

bool fitsInt(int64_t v) { return v >= 0 && v <= INT32_MAX; }

Error fail(const char *op, const std::string &what) {
  return Error::failure(std::string("kernels: ") + op + ": " + what);
}

Error halideResult(const char *op, int rc) {
  if (rc == 0)
    return Error::success();
  return fail(op, "Halide pipeline failed with code " + std::to_string(rc));
}

} // namespace

int64_t weightRowBytes(GGMLType type, int64_t k) {
  if (k <= 0)
    return 0;
  switch (type) {
  case GGMLType::F32:
    return k * 4;
  case GGMLType::Q8_0:
    return k % 32 ? 0 : k / 32 * 34;
  case GGMLType::Q4_1:
    return k % 32 ? 0 : k / 32 * 20;
  default:
    return 0;
  }
}

Error rmsnorm(const float *x, const float *weight, float *y, int64_t n,
              int64_t dim, float eps) {
  if (!x || !weight || !y || n <= 0 || dim <= 0 || !fitsInt(n) ||
      !fitsInt(dim) || !fitsInt(n * dim))
    return fail("rmsnorm", "bad arguments");
  HR::Buffer<const float> xb(x, (int)dim, (int)n);
  HR::Buffer<const float> wb(weight, (int)dim);
  HR::Buffer<float> yb(y, (int)dim, (int)n);
  return halideResult("rmsnorm", attn_hl_rmsnorm(xb, wb, eps, yb));
}

Error swiglu(const float *gate, const float *up, float *out, int64_t count) {
  if (!gate || !up || !out || count <= 0 || !fitsInt(count))
    return fail("swiglu", "bad arguments");
  HR::Buffer<const float> gb(gate, (int)count);
  HR::Buffer<const float> ub(up, (int)count);
  HR::Buffer<float> ob(out, (int)count);
  return halideResult("swiglu", attn_hl_swiglu(gb, ub, ob));
}

Error matmul(const float *x, int64_t n, const WeightView &w, float *y) {
  const int64_t m = w.rows, k = w.cols;
  const int64_t rowBytes = weightRowBytes(w.type, k);
  if (!x || !y || !w.data || n <= 0 || m <= 0 || rowBytes == 0)
    return fail("matmul", "bad arguments (supported weights: f32, q8_0, "
                          "q4_1 with k % 32 == 0)");
  if (!fitsInt(n * k) || !fitsInt(n * m) || !fitsInt(m * rowBytes))
    return fail("matmul", "tensor too large");
  HR::Buffer<const float> xb(x, (int)k, (int)n);
  HR::Buffer<float> yb(y, (int)m, (int)n);
  switch (w.type) {
  case GGMLType::F32: {
    HR::Buffer<const float> wb(static_cast<const float *>(w.data), (int)k,
                               (int)m);
    return halideResult("matmul", attn_hl_matmul_f32(xb, wb, yb));
  }
  case GGMLType::Q8_0: {
    HR::Buffer<const uint8_t> wb(static_cast<const uint8_t *>(w.data),
                                 (int)rowBytes, (int)m);
    return halideResult("matmul", attn_hl_matmul_q8_0(xb, wb, yb));
  }
  case GGMLType::Q4_1: {
    HR::Buffer<const uint8_t> wb(static_cast<const uint8_t *>(w.data),
                                 (int)rowBytes, (int)m);
    return halideResult("matmul", attn_hl_matmul_q4_1(xb, wb, yb));
  }
  default:
    return fail("matmul", "unsupported weight type");
  }
}

void setNumThreads(int threads) { halide_set_num_threads(threads); }

} // namespace attnc::kernels
