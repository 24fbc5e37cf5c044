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
//  * int8-activation matmul (packed weights): two references. (a) exact: x
//    quantized as the kernel's contract says (per 32-block scale amax/127
//    rounded to f16, round to nearest even; q4_1's block sum s rounded to
//    f16, as ggml's q8_1), then the same double sum: < 1e-5 as above, so any
//    packing or nibble-order mistake fails. (b) against the unquantized f32
//    input: the activation rounding (at most half a step, amax/254 per
//    element) bounds the error by sum_k |w_k| * amax_b / 254, plus
//    sum_k |w_k| * 127 * |f16(d) - d| for the f16 scale (which underflows
//    for tiny blocks) and q4_1's f16 block sum; checked per output with a 1.05
//    margin, and the typical error relative to the magnitude stays < 1e-2.
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

/// x quantized per the int8-activation contract (DenseOps.h): xhat = dx * q,
/// and per block the value the kernel uses for sum_e xhat_e (q4_1's f16 s).
struct QuantizedX {
  std::vector<double> xhat, blockSum, exactSum;
};

QuantizedX quantizeReference(const std::vector<float> &x, int64_t n, int64_t k) {
  QuantizedX r;
  r.xhat.resize(n * k);
  r.blockSum.resize(n * k / 32);
  r.exactSum.resize(n * k / 32);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t b = 0; b < k / 32; ++b) {
      const float *blk = &x[i * k + 32 * b];
      float amax = 0;
      for (int e = 0; e < 32; ++e)
        amax = std::max(amax, std::fabs(blk[e]));
      const float d = amax / 127.0f, id = amax > 0 ? 127.0f / amax : 0.0f;
      const double dh = gguf::fp16ToFp32(gguf::fp32ToFp16(d));
      int sum = 0;
      for (int e = 0; e < 32; ++e) {
        int q = (int)std::nearbyint(std::clamp(blk[e] * id, -127.0f, 127.0f));
        sum += q;
        r.xhat[i * k + 32 * b + e] = dh * q;
      }
      r.exactSum[i * k / 32 + b] = dh * sum;
      r.blockSum[i * k / 32 + b] = gguf::fp16ToFp32(gguf::fp32ToFp16(d * (float)sum));
    }
  return r;
}

/// The f16 min of q4_1 block b of row r (bytes 2..3 of its 20-byte block).
double q4_1Min(const std::vector<uint8_t> &raw, int64_t rowBytes, int64_t r, int64_t b) {
  uint16_t h;
  std::memcpy(&h, &raw[r * rowBytes + b * 20 + 2], 2);
  return gguf::fp16ToFp32(h);
}

void checkPackedMatmul(GGMLType type, uint64_t seed) {
  Rng rng(seed);
  for (int64_t k : kKs)
    for (int64_t m : {16, 48, 576}) {
      std::vector<uint8_t> raw;
      std::vector<float> deq;
      makeWeights(rng, type, m, k, raw, deq);
      const int64_t rowBytes = kernels::weightRowBytes(type, k);
      kernels::WeightView w{type, raw.data(), m, k};
      ASSERT_TRUE(kernels::packable(w));
      kernels::PackedWeight packed;
      Error pe = kernels::packWeight(w, packed);
      ASSERT_FALSE(pe) << pe.message();
      ASSERT_EQ(reinterpret_cast<uintptr_t>(packed.data()) % 64, 0u);
      w.packed = packed.data();
      for (int64_t n : {1, 3, 4, 5, 17}) {
        auto x = randomVec(rng, n * k, -2.0f, 2.0f);
        // Some blocks of tiny or zero activations (scale 0 and subnormal f16).
        for (int64_t c = 0; c < 32 && n > 1; ++c)
          x[k + c] = 0.0f;
        for (int64_t c = 0; c < std::min<int64_t>(k, 64) && n > 2; ++c)
          x[2 * k + c] *= 1e-6f;
        QuantizedX qx = quantizeReference(x, n, k);
        std::vector<float> y(n * m, NAN);
        Error e = kernels::matmul(x.data(), n, w, y.data());
        ASSERT_FALSE(e) << e.message();
        double worstExact = 0, worstBound = 0, sumErr = 0, sumMag = 0;
        for (int64_t i = 0; i < n; ++i)
          for (int64_t r = 0; r < m; ++r) {
            double exact = 0, magExact = 0, ref = 0, mag = 0, bound = 0;
            for (int64_t c = 0; c < k; ++c) {
              double wq = deq[r * k + c];
              exact += wq * qx.xhat[i * k + c];
              magExact += std::fabs(wq * qx.xhat[i * k + c]);
              ref += wq * x[i * k + c];
              mag += std::fabs(wq * x[i * k + c]);
            }
            for (int64_t b = 0; b < k / 32; ++b) {
              double amax = 0, wabs = 0;
              for (int e2 = 0; e2 < 32; ++e2) {
                amax = std::max(amax, (double)std::fabs(x[i * k + 32 * b + e2]));
                wabs += std::fabs(deq[r * k + 32 * b + e2]);
              }
              const float d = float(amax) / 127.0f;
              const double dh = gguf::fp16ToFp32(gguf::fp32ToFp16(d));
              bound += wabs * amax / 254 + wabs * 127 * std::fabs(dh - d);
              if (type == GGMLType::Q4_1) { // the kernel uses the f16 block sum
                double mn = q4_1Min(raw, rowBytes, r, b);
                double ds = mn * (qx.blockSum[i * k / 32 + b] - qx.exactSum[i * k / 32 + b]);
                exact += ds;
                bound += std::fabs(ds);
              }
            }
            const double got = y[i * m + r];
            worstExact = std::max(worstExact, std::fabs(got - exact) / std::max(magExact, 1e-30));
            worstBound = std::max(worstBound, std::fabs(got - ref) / (1.05 * bound + 1e-5 * mag + 1e-30));
            sumErr += std::fabs(got - ref);
            sumMag += mag;
          }
        std::string what = "type=" + std::to_string(uint32_t(type)) + " n=" + std::to_string(n) +
                           " m=" + std::to_string(m) + " k=" + std::to_string(k);
        EXPECT_LT(worstExact, 1e-5) << what;
        EXPECT_LT(worstBound, 1.0) << what;
        EXPECT_LT(sumErr / sumMag, 1e-2) << what;
      }
    }
}

TEST(Kernels, PackedMatmulQ4_1) { checkPackedMatmul(GGMLType::Q4_1, 7); }
TEST(Kernels, PackedMatmulQ8_0) { checkPackedMatmul(GGMLType::Q8_0, 8); }

TEST(Kernels, PackedBadArguments) {
  std::vector<uint8_t> raw(20 * 64 * 2, 0);
  kernels::PackedWeight p;
  // 17 rows: not a multiple of 16.
  kernels::WeightView ragged{GGMLType::Q4_1, raw.data(), 17, 32};
  EXPECT_FALSE(kernels::packable(ragged));
  Error e = kernels::packWeight(ragged, p);
  ASSERT_TRUE(e);
  EXPECT_NE(e.message().find("rows % 16"), std::string::npos) << e.message();
  EXPECT_EQ(p.data(), nullptr);
  kernels::WeightView f32{GGMLType::F32, raw.data(), 16, 32};
  EXPECT_FALSE(kernels::packable(f32));
  EXPECT_TRUE(kernels::packWeight(f32, p));
  // A packed pointer on a weight that cannot be packed is refused, not read.
  float x[32] = {1}, y[17] = {};
  ragged.packed = raw.data();
  EXPECT_TRUE(kernels::matmul(x, 1, ragged, y));
}

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
