//===- DenseOps.cpp - Wrappers around the Halide AOT kernels --------------===//
#include "kernels/DenseOps.h"

#include "HalideBuffer.h"
#include "HalideRuntime.h"
#include "attn_hl_matmul_f32.h"
#include "attn_hl_matmul_q4_1.h"
#include "attn_hl_matmul_q4_1_q8.h"
#include "attn_hl_matmul_q8_0.h"
#include "attn_hl_matmul_q8_0_q8.h"
#include "attn_hl_quantize_q8.h"
#include "attn_hl_rmsnorm.h"
#include "attn_hl_swiglu.h"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

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

namespace {

/// Bytes of one packed record (16 rows x 32 elements), 0 if not packable.
int64_t packedRecordBytes(GGMLType type) {
  return type == GGMLType::Q4_1 ? 320 : type == GGMLType::Q8_0 ? 544 : 0;
}

/// Packs the 16 rows rows[0..15] (raw ggml rows) of block b into `rec`.
void packRecord(GGMLType type, const uint8_t *const rows[16], int64_t b, uint8_t *rec) {
  if (type == GGMLType::Q4_1) {
    for (int rl = 0; rl < 16; ++rl) {
      const uint8_t *blk = rows[rl] + b * 20; // {f16 d, f16 m, 16 bytes}
      std::memcpy(rec + 2 * rl, blk, 2);
      std::memcpy(rec + 32 + 2 * rl, blk + 2, 2);
      auto q = [&](int e) { // element e (0..31) of the block
        return e < 16 ? blk[4 + e] & 15 : blk[4 + e - 16] >> 4;
      };
      for (int g = 0; g < 4; ++g)
        for (int j = 0; j < 4; ++j)
          rec[64 + 64 * g + 4 * rl + j] = uint8_t(q(8 * g + j) | q(8 * g + 4 + j) << 4);
    }
    return;
  }
  for (int rl = 0; rl < 16; ++rl) { // Q8_0: {f16 d, 32 x int8}
    const uint8_t *blk = rows[rl] + b * 34;
    std::memcpy(rec + 2 * rl, blk, 2);
    for (int g = 0; g < 8; ++g)
      for (int j = 0; j < 4; ++j)
        rec[32 + 64 * g + 4 * rl + j] = uint8_t(int8_t(blk[2 + 4 * g + j]) + 128);
  }
}

/// Per-thread scratch for the quantized activations (grown, never shrunk).
struct QuantScratch {
  std::vector<int8_t> xq;
  std::vector<float> dx, sx;
  std::vector<int32_t> qsum;
};

Error matmulPacked(const float *x, int64_t n, const WeightView &w, float *y) {
  const int64_t m = w.rows, k = w.cols, blocks = k / 32;
  if (!packable(w))
    return fail("matmul", "packed weights must be q8_0 or q4_1 with rows % 16 == 0 and "
                          "k % 32 == 0");
  const int64_t rec = packedRecordBytes(w.type);
  if (!fitsInt(n * k) || !fitsInt(n * m) || !fitsInt(m / 16 * blocks * rec))
    return fail("matmul", "tensor too large");
  thread_local QuantScratch s;
  s.xq.resize(n * k);
  s.dx.resize(n * blocks);
  s.sx.resize(n * blocks);
  s.qsum.resize(n * blocks);
  HR::Buffer<const float> xb(x, (int)k, (int)n);
  HR::Buffer<int8_t> xqb(s.xq.data(), (int)k, (int)n);
  HR::Buffer<float> dxb(s.dx.data(), (int)blocks, (int)n), sxb(s.sx.data(), (int)blocks, (int)n);
  HR::Buffer<int32_t> qsb(s.qsum.data(), (int)blocks, (int)n);
  if (int rc = attn_hl_quantize_q8(xb, xqb, dxb, sxb, qsb))
    return halideResult("matmul (quantize)", rc);
  HR::Buffer<const uint8_t> wpb(w.packed, (int)rec, (int)blocks, (int)(m / 16));
  HR::Buffer<const uint16_t> wsb(reinterpret_cast<const uint16_t *>(w.packed), (int)rec / 2,
                                 (int)blocks, (int)(m / 16));
  HR::Buffer<float> yb(y, (int)m, (int)n);
  HR::Buffer<const int8_t> xqc(s.xq.data(), (int)k, (int)n);
  HR::Buffer<const float> dxc(s.dx.data(), (int)blocks, (int)n);
  if (w.type == GGMLType::Q4_1) {
    HR::Buffer<const float> sxc(s.sx.data(), (int)blocks, (int)n);
    return halideResult("matmul", attn_hl_matmul_q4_1_q8(wpb, wsb, xqc, dxc, sxc, yb));
  }
  HR::Buffer<const int32_t> qsc(s.qsum.data(), (int)blocks, (int)n);
  return halideResult("matmul", attn_hl_matmul_q8_0_q8(wpb, wsb, xqc, dxc, qsc, yb));
}

} // namespace

void PackedWeight::Free::operator()(uint8_t *p) const { std::free(p); }

bool packable(const WeightView &w) {
  return packedRecordBytes(w.type) && w.rows > 0 && w.rows % 16 == 0 && w.cols > 0 &&
         w.cols % 32 == 0;
}

Error packWeight(const WeightView &w, PackedWeight &out) {
  if (!w.data || !packable(w))
    return fail("packWeight", "needs q8_0 or q4_1 weights with rows % 16 == 0 and k % 32 == 0");
  const int64_t blocks = w.cols / 32, groups = w.rows / 16, rec = packedRecordBytes(w.type);
  const int64_t rowBytes = weightRowBytes(w.type, w.cols), size = groups * blocks * rec;
  if (!fitsInt(size) || !fitsInt(w.rows * rowBytes))
    return fail("packWeight", "tensor too large");
  uint8_t *bytes = static_cast<uint8_t *>(std::aligned_alloc(64, (size + 63) / 64 * 64));
  if (!bytes)
    return fail("packWeight", "out of memory");
  out.bytes_.reset(bytes);
  out.size_ = size;
  const uint8_t *raw = static_cast<const uint8_t *>(w.data);
  for (int64_t G = 0; G < groups; ++G) {
    const uint8_t *rows[16];
    for (int rl = 0; rl < 16; ++rl)
      rows[rl] = raw + (16 * G + rl) * rowBytes;
    for (int64_t b = 0; b < blocks; ++b)
      packRecord(w.type, rows, b, bytes + (G * blocks + b) * rec);
  }
  return Error::success();
}

Error matmul(const float *x, int64_t n, const WeightView &w, float *y) {
  const int64_t m = w.rows, k = w.cols;
  const int64_t rowBytes = weightRowBytes(w.type, k);
  if (!x || !y || !w.data || n <= 0 || m <= 0 || rowBytes == 0)
    return fail("matmul", "bad arguments (supported weights: f32, q8_0, "
                          "q4_1 with k % 32 == 0)");
  if (w.packed)
    return matmulPacked(x, n, w, y);
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

namespace {
struct ParallelBody {
  void (*body)(void *, int);
  void *ctx;
};
int runParallelBody(void *, int i, uint8_t *closure) {
  const ParallelBody *b = reinterpret_cast<const ParallelBody *>(closure);
  b->body(b->ctx, i);
  return 0;
}
} // namespace

void parallelFor(int n, void (*body)(void *ctx, int i), void *ctx) {
  if (n <= 0)
    return;
  if (n == 1) {
    body(ctx, 0);
    return;
  }
  ParallelBody b{body, ctx};
  halide_do_par_for(nullptr, runParallelBody, 0, n, reinterpret_cast<uint8_t *>(&b));
}

} // namespace attnc::kernels
