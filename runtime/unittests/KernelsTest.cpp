//===- KernelsTest.cpp - Halide dense kernels vs double references --------===//
//
// Every op of kernels/DenseOps.h against a naive double-precision reference
// on random inputs with ragged sizes. Tolerances (f32 kernels, f32
// accumulation):
//  * rmsnorm, swiglu: relative error |y - ref| / |ref| < 1e-5 per element.
//  * matmul: the reference uses the dequantized weights (gguf::dequantizeRow,
//    i.e. exactly the values the kernel decodes), summed in double; the error
//    per output is bounded relative to the magnitude of the dot product,
//    |y - ref| / sum_k |w_k x_k| < 1e-5 (a plain |ref| denominator is
//    meaningless when the dot product cancels to ~0).
//===----------------------------------------------------------------------===//
#include "kernels/DenseOps.h"

#include "gguf/Quants.h"
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using namespace attnc;
using attnc::gguf::Error;
using attnc::gguf::GGMLType;

namespace {

using attnc::gguf::test::Rng;

std::vector<float> randomVec(Rng &rng, size_t count, float lo, float hi) {
  std::vector<float> v(count);
  for (float &f : v)
    f = rng.uniform(lo, hi);
  return v;
}

const int64_t kNs[] = {1, 3, 17};
const int64_t kMs[] = {1, 50, 577};
const int64_t kKs[] = {32, 576, 1536};

double relErr(double got, double ref) {
  double den = std::fabs(ref);
  return std::fabs(got - ref) / (den > 1e-30 ? den : 1e-30);
}

TEST(Kernels, RmsNorm) {
  Rng rng(1);
  for (int64_t n : kNs)
    for (int64_t dim : {1, 7, 32, 50, 576, 577, 1536}) {
      auto x = randomVec(rng, n * dim, -3.0f, 3.0f);
      auto w = randomVec(rng, dim, -2.0f, 2.0f);
      std::vector<float> y(n * dim, NAN);
      const float eps = 1e-5f;
      Error e = kernels::rmsnorm(x.data(), w.data(), y.data(), n, dim, eps);
      ASSERT_FALSE(e) << e.message();
      double worst = 0;
      for (int64_t i = 0; i < n; ++i) {
        double ss = 0;
        for (int64_t d = 0; d < dim; ++d)
          ss += double(x[i * dim + d]) * x[i * dim + d];
        double inv = 1.0 / std::sqrt(ss / dim + eps);
        for (int64_t d = 0; d < dim; ++d)
          worst = std::max(worst, relErr(y[i * dim + d],
                                         x[i * dim + d] * inv * w[d]));
      }
      EXPECT_LT(worst, 1e-5) << "n=" << n << " dim=" << dim;
    }
}

TEST(Kernels, SwiGLU) {
  Rng rng(2);
  for (int64_t count : {1, 15, 16, 17, 1536, 3 * 1536, 17 * 1536 + 5, 100000}) {
    auto g = randomVec(rng, count, -12.0f, 12.0f);
    auto u = randomVec(rng, count, -4.0f, 4.0f);
    std::vector<float> out(count, NAN);
    Error e = kernels::swiglu(g.data(), u.data(), out.data(), count);
    ASSERT_FALSE(e) << e.message();
    double worst = 0;
    for (int64_t t = 0; t < count; ++t) {
      double gd = g[t];
      double ref = gd / (1.0 + std::exp(-gd)) * u[t];
      worst = std::max(worst, relErr(out[t], ref));
    }
    EXPECT_LT(worst, 1e-5) << "count=" << count;
  }
}

/// Quantizes random [m, k] weights to `type`; returns the raw bytes and the
/// dequantized floats the kernel must reproduce.
void makeWeights(Rng &rng, GGMLType type, int64_t m, int64_t k,
                 std::vector<uint8_t> &raw, std::vector<float> &deq) {
  std::vector<float> f = randomVec(rng, m * k, -1.0f, 1.0f);
  // Some rows with a large offset, so that Q4_1 mins matter.
  for (int64_t r = 0; r < m; r += 3)
    for (int64_t c = 0; c < k; ++c)
      f[r * k + c] += 0.75f;
  // Some tiny rows, so that the f16 scales are subnormal (below 2^-14), and
  // negative ones (negative Q4_1 mins): the kernels decode f16 themselves.
  for (int64_t r = 1; r < m; r += 5)
    for (int64_t c = 0; c < k; ++c)
      f[r * k + c] = f[r * k + c] * 1e-4f - (r % 2 ? 0.0f : 2e-4f);
  int64_t rowBytes = kernels::weightRowBytes(type, k);
  ASSERT_GT(rowBytes, 0);
  raw.assign(m * rowBytes, 0);
  deq.assign(m * k, 0);
  for (int64_t r = 0; r < m; ++r) {
    if (type == GGMLType::F32) {
      std::memcpy(&raw[r * rowBytes], &f[r * k], k * 4);
    } else {
      ASSERT_FALSE(gguf::quantizeRow(type, &f[r * k], &raw[r * rowBytes], k));
    }
    ASSERT_FALSE(gguf::dequantizeRow(type, &raw[r * rowBytes], &deq[r * k], k));
  }
}

void checkMatmul(GGMLType type, uint64_t seed) {
  Rng rng(seed);
  for (int64_t k : kKs)
    for (int64_t m : kMs) {
      std::vector<uint8_t> raw;
      std::vector<float> deq;
      makeWeights(rng, type, m, k, raw, deq);
      kernels::WeightView w{type, raw.data(), m, k};
      for (int64_t n : kNs) {
        auto x = randomVec(rng, n * k, -2.0f, 2.0f);
        std::vector<float> y(n * m, NAN);
        Error e = kernels::matmul(x.data(), n, w, y.data());
        ASSERT_FALSE(e) << e.message();
        double worst = 0;
        for (int64_t i = 0; i < n; ++i)
          for (int64_t r = 0; r < m; ++r) {
            double ref = 0, mag = 0;
            for (int64_t c = 0; c < k; ++c) {
              double p = double(deq[r * k + c]) * x[i * k + c];
              ref += p;
              mag += std::fabs(p);
            }
            double err = std::fabs(y[i * m + r] - ref) / std::max(mag, 1e-30);
            worst = std::max(worst, err);
          }
        EXPECT_LT(worst, 1e-5) << "type=" << uint32_t(type) << " n=" << n
                               << " m=" << m << " k=" << k;
      }
    }
}

TEST(Kernels, MatmulQ4_1) { checkMatmul(GGMLType::Q4_1, 3); }
TEST(Kernels, MatmulQ8_0) { checkMatmul(GGMLType::Q8_0, 4); }
TEST(Kernels, MatmulF32) { checkMatmul(GGMLType::F32, 5); }

TEST(Kernels, MatmulF32RaggedK) {
  // f32 accepts any k (32-wide blocks plus a scalar tail).
  Rng rng(6);
  for (int64_t k : {1, 31, 33, 100}) {
    const int64_t m = 9, n = 5;
    auto wf = randomVec(rng, m * k, -1.0f, 1.0f);
    auto x = randomVec(rng, n * k, -1.0f, 1.0f);
    std::vector<float> y(n * m, NAN);
    kernels::WeightView w{GGMLType::F32, wf.data(), m, k};
    ASSERT_FALSE(kernels::matmul(x.data(), n, w, y.data()));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t r = 0; r < m; ++r) {
        double ref = 0, mag = 0;
        for (int64_t c = 0; c < k; ++c) {
          ref += double(wf[r * k + c]) * x[i * k + c];
          mag += std::fabs(double(wf[r * k + c]) * x[i * k + c]);
        }
        EXPECT_LT(std::fabs(y[i * m + r] - ref) / mag, 1e-5) << "k=" << k;
      }
  }
}

TEST(Kernels, BadArguments) {
  float x[64] = {}, y[64] = {};
  uint8_t raw[64] = {};
  kernels::WeightView w{GGMLType::Q4_1, raw, 1, 33}; // k not a multiple of 32
  Error e = kernels::matmul(x, 1, w, y);
  ASSERT_TRUE(e);
  EXPECT_NE(e.message().find("kernels: matmul"), std::string::npos);
  kernels::WeightView q4k{GGMLType::Q4_K, raw, 1, 256};
  EXPECT_TRUE(kernels::matmul(x, 1, q4k, y));
  EXPECT_TRUE(kernels::rmsnorm(x, x, y, 0, 4, 1e-5f));
  EXPECT_TRUE(kernels::swiglu(x, x, y, 0));
}

} // namespace
