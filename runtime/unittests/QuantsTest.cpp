//===- QuantsTest.cpp - Dequantizers against hand-built blocks ------------===//
//
// Each block format is checked against an independent, element-wise
// formulation of ggml's layout (ggml-common.h): for element e of a block the
// expected value is computed directly from "which byte / which bits / which
// scale" rather than by the loop structure of the dequantizer. Scales are
// packed with the packing code of ggml's reference quantizers, which is a
// separate path from the unpacking under test.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include "gguf/Quants.h"

#include <cfloat>
#include <cmath>
#include <limits>

using namespace attnc::gguf;
using namespace attnc::gguf::test;

namespace {

void putF16(uint8_t *p, float f) {
  uint16_t h = fp32ToFp16(f);
  std::memcpy(p, &h, 2);
}

std::vector<float> deq(GGMLType t, const std::vector<uint8_t> &block, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n), -12345.0f);
  Error e = dequantizeRow(t, block.data(), out.data(), n);
  EXPECT_FALSE(e) << e.message();
  return out;
}

std::vector<uint8_t> randomBytes(size_t n, uint64_t seed) {
  Rng r(seed);
  std::vector<uint8_t> b(n);
  for (auto &x : b)
    x = r.byte();
  return b;
}

//===----------------------------------------------------------------------===//
// Half precision
//===----------------------------------------------------------------------===//

TEST(Half, KnownValues) {
  EXPECT_EQ(fp16ToFp32(0x3C00), 1.0f);
  EXPECT_EQ(fp16ToFp32(0xC000), -2.0f);
  EXPECT_EQ(fp16ToFp32(0x7BFF), 65504.0f);
  EXPECT_EQ(fp16ToFp32(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(fp16ToFp32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(fp16ToFp32(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::isinf(fp16ToFp32(0x7C00)));
  EXPECT_TRUE(std::isnan(fp16ToFp32(0x7E00)));
  EXPECT_TRUE(std::signbit(fp16ToFp32(0x8000)));
  EXPECT_EQ(fp32ToFp16(1.0f), 0x3C00);
  EXPECT_EQ(fp32ToFp16(0.5f), 0x3800);
  EXPECT_EQ(fp32ToFp16(-0.0f), 0x8000);
  EXPECT_EQ(fp32ToFp16(65504.0f), 0x7BFF);
  EXPECT_EQ(fp32ToFp16(65519.0f), 0x7BFF); // rounds down
  EXPECT_EQ(fp32ToFp16(65520.0f), 0x7C00); // rounds to inf
  EXPECT_EQ(fp32ToFp16(1e10f), 0x7C00);
  EXPECT_EQ(fp32ToFp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00); // tie to even
  EXPECT_EQ(fp32ToFp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(fp32ToFp16(std::ldexp(1.0f, -25)), 0x0000); // tie to even (0)
  EXPECT_EQ(fp32ToFp16(std::ldexp(3.0f, -26)), 0x0001);
  EXPECT_EQ(fp32ToFp16(std::ldexp(1.0f, -30)), 0x0000);
  EXPECT_EQ(fp32ToFp16(std::nanf("")) & 0x7C00, 0x7C00);
  EXPECT_NE(fp32ToFp16(std::nanf("")) & 0x03FF, 0);
}

TEST(Half, AllValuesRoundTrip) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = fp16ToFp32(static_cast<uint16_t>(h));
    if (std::isnan(f))
      continue;
    ASSERT_EQ(fp32ToFp16(f), h) << std::hex << h;
  }
}

TEST(BFloat16, Conversions) {
  EXPECT_EQ(bf16ToFp32(0x3F80), 1.0f);
  EXPECT_EQ(bf16ToFp32(0xC040), -3.0f);
  EXPECT_EQ(fp32ToBf16(1.0f), 0x3F80);
  // 1 + 2^-8 is halfway between bf16 1.0 and 1 + 2^-7: ties to even.
  EXPECT_EQ(fp32ToBf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);
  EXPECT_EQ(fp32ToBf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);
  EXPECT_TRUE(std::isnan(bf16ToFp32(fp32ToBf16(std::nanf("")))));
  for (uint32_t h = 0; h < 0x10000; h += 7) {
    float f = bf16ToFp32(static_cast<uint16_t>(h));
    if (!std::isnan(f)) {
      ASSERT_EQ(fp32ToBf16(f), h);
    }
  }
}

//===----------------------------------------------------------------------===//
// Plain types
//===----------------------------------------------------------------------===//

TEST(Dequantize, PlainTypes) {
  {
    std::vector<float> v = {1.5f, -2.0f, 0.0f, 3e-20f};
    std::vector<uint8_t> b(16);
    std::memcpy(b.data(), v.data(), 16);
    EXPECT_EQ(deq(GGMLType::F32, b, 4), v);
  }
  {
    std::vector<uint8_t> b = {0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00};
    EXPECT_EQ(deq(GGMLType::F16, b, 3),
              (std::vector<float>{1.0f, -2.0f, std::ldexp(1.0f, -24)}));
  }
  {
    std::vector<uint8_t> b = {0x80, 0x3F, 0x40, 0xC0};
    EXPECT_EQ(deq(GGMLType::BF16, b, 2), (std::vector<float>{1.0f, -3.0f}));
  }
  {
    std::vector<uint8_t> b = {0x80, 0x7F, 0x01};
    EXPECT_EQ(deq(GGMLType::I8, b, 3), (std::vector<float>{-128, 127, 1}));
  }
  {
    int16_t s[2] = {-300, 300};
    int32_t i[2] = {-70000, 5};
    int64_t l[1] = {1ll << 40};
    double d[2] = {0.25, -1e300};
    std::vector<uint8_t> b(sizeof s);
    std::memcpy(b.data(), s, sizeof s);
    EXPECT_EQ(deq(GGMLType::I16, b, 2), (std::vector<float>{-300, 300}));
    b.resize(sizeof i);
    std::memcpy(b.data(), i, sizeof i);
    EXPECT_EQ(deq(GGMLType::I32, b, 2), (std::vector<float>{-70000, 5}));
    b.resize(sizeof l);
    std::memcpy(b.data(), l, sizeof l);
    EXPECT_EQ(deq(GGMLType::I64, b, 1), (std::vector<float>{1099511627776.0f}));
    b.resize(sizeof d);
    std::memcpy(b.data(), d, sizeof d);
    auto out = deq(GGMLType::F64, b, 2);
    EXPECT_EQ(out[0], 0.25f);
    EXPECT_TRUE(std::isinf(out[1]));
  }
}

//===----------------------------------------------------------------------===//
// 32-element formats
//===----------------------------------------------------------------------===//

TEST(Dequantize, Q4_0HandBlock) {
  // d = 0.5; qs[j] = j | (15 - j) << 4: element j = (j - 8) * 0.5,
  // element j + 16 = (7 - j) * 0.5.
  std::vector<uint8_t> b(18);
  putF16(b.data(), 0.5f);
  for (int j = 0; j < 16; ++j)
    b[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  auto y = deq(GGMLType::Q4_0, b, 32);
  EXPECT_EQ(y[0], -4.0f);
  EXPECT_EQ(y[8], 0.0f);
  EXPECT_EQ(y[15], 3.5f);
  EXPECT_EQ(y[16], 3.5f);
  EXPECT_EQ(y[31], -4.0f);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 0.5f);
    EXPECT_EQ(y[j + 16], (7 - j) * 0.5f);
  }
}

TEST(Dequantize, Q4_1HandBlock) {
  std::vector<uint8_t> b(20);
  putF16(b.data(), 0.25f);
  putF16(b.data() + 2, -1.0f);
  for (int j = 0; j < 16; ++j)
    b[4 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  auto y = deq(GGMLType::Q4_1, b, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], j * 0.25f - 1.0f);
    EXPECT_EQ(y[j + 16], (15 - j) * 0.25f - 1.0f);
  }
}

TEST(Dequantize, Q5_0AndQ5_1) {
  for (int withMin = 0; withMin < 2; ++withMin) {
    GGMLType t = withMin ? GGMLType::Q5_1 : GGMLType::Q5_0;
    size_t qhAt = withMin ? 4 : 2;
    std::vector<uint8_t> b = randomBytes(withMin ? 24 : 22, 5 + withMin);
    putF16(b.data(), 0.125f);
    if (withMin)
      putF16(b.data() + 2, 2.0f);
    auto y = deq(t, b, 32);
    uint32_t qh;
    std::memcpy(&qh, b.data() + qhAt, 4);
    const uint8_t *qs = b.data() + qhAt + 4;
    for (int e = 0; e < 32; ++e) {
      int nib = e < 16 ? (qs[e] & 15) : (qs[e - 16] >> 4);
      int q = nib + 16 * static_cast<int>((qh >> e) & 1);
      float expect = withMin ? q * 0.125f + 2.0f : (q - 16) * 0.125f;
      EXPECT_EQ(y[e], expect) << "e=" << e << " type=" << ggmlTypeName(t);
    }
  }
}

TEST(Dequantize, Q8_0AndQ8_1) {
  std::vector<uint8_t> b(34);
  putF16(b.data(), 2.0f);
  for (int j = 0; j < 32; ++j)
    b[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(j * 8 - 128));
  auto y = deq(GGMLType::Q8_0, b, 32);
  for (int j = 0; j < 32; ++j)
    EXPECT_EQ(y[j], 2.0f * (j * 8 - 128));

  std::vector<uint8_t> b1(36);
  putF16(b1.data(), -0.5f);
  putF16(b1.data() + 2, 99.0f); // s is only used by dot products
  for (int j = 0; j < 32; ++j)
    b1[4 + j] = static_cast<uint8_t>(static_cast<int8_t>(j - 16));
  auto y1 = deq(GGMLType::Q8_1, b1, 32);
  for (int j = 0; j < 32; ++j)
    EXPECT_EQ(y1[j], -0.5f * (j - 16));
}

//===----------------------------------------------------------------------===//
// K formats
//===----------------------------------------------------------------------===//

TEST(Dequantize, Q2_K) {
  std::vector<uint8_t> b = randomBytes(84, 2);
  putF16(b.data() + 80, 0.5f);
  putF16(b.data() + 82, 0.25f);
  auto y = deq(GGMLType::Q2_K, b, 256);
  for (int e = 0; e < 256; ++e) {
    int h = e / 128, idx = e % 128, plane = idx / 32, part = (idx % 32) / 16,
        l = e % 16;
    int q = (b[16 + 32 * h + 16 * part + l] >> (2 * plane)) & 3;
    uint8_t sc = b[e / 16];
    float expect = 0.5f * (sc & 15) * q - 0.25f * (sc >> 4);
    ASSERT_EQ(y[e], expect) << "e=" << e;
  }
}

// Packs 16 six-bit values the way ggml's quantize_row_q3_K_ref does.
void packQ3Scales(const int ls[16], uint8_t out[12]) {
  std::memset(out, 0, 12);
  for (int j = 0; j < 16; ++j) {
    int l = ls[j];
    if (j < 8)
      out[j] = static_cast<uint8_t>(l & 0xF);
    else
      out[j - 8] |= static_cast<uint8_t>((l & 0xF) << 4);
    out[j % 4 + 8] |= static_cast<uint8_t>((l >> 4) << (2 * (j / 4)));
  }
}

TEST(Dequantize, Q3_K) {
  std::vector<uint8_t> b = randomBytes(110, 3);
  int ls[16];
  for (int j = 0; j < 16; ++j)
    ls[j] = (j * 13 + 5) % 64; // 6-bit, biased by 32
  packQ3Scales(ls, b.data() + 96);
  putF16(b.data() + 108, 0.25f);
  auto y = deq(GGMLType::Q3_K, b, 256);
  for (int e = 0; e < 256; ++e) {
    int h = e / 128, idx = e % 128, plane = idx / 32, part = (idx % 32) / 16,
        l = e % 16;
    int low = (b[32 + 32 * h + 16 * part + l] >> (2 * plane)) & 3;
    bool high = (b[16 * part + l] >> (4 * h + plane)) & 1;
    int q = low - (high ? 0 : 4);
    float expect = 0.25f * (ls[e / 16] - 32) * q;
    ASSERT_EQ(y[e], expect) << "e=" << e;
  }
}

// Packs 8 scales and 8 mins the way ggml's quantize_row_q4_K_ref does.
void packQ4KScales(const uint8_t ls[8], const uint8_t lm[8], uint8_t out[12]) {
  std::memset(out, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      out[j] = ls[j];
      out[j + 4] = lm[j];
    } else {
      out[j + 4] = static_cast<uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
      out[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
      out[j] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
    }
  }
}

TEST(Dequantize, Q4KScaleMinUnpacking) {
  uint8_t ls[8] = {63, 0, 17, 42, 63, 1, 33, 50};
  uint8_t lm[8] = {0, 63, 5, 60, 48, 63, 16, 31};
  uint8_t packed[12];
  packQ4KScales(ls, lm, packed);
  for (int j = 0; j < 8; ++j) {
    uint8_t s, m;
    q4kScaleMin(j, packed, s, m);
    EXPECT_EQ(s, ls[j]) << j;
    EXPECT_EQ(m, lm[j]) << j;
  }
}

TEST(Dequantize, Q4_KExactHandBlock) {
  // d = dmin = 1; sub-block j has scale j+1 and min j; every byte 0x21 (low
  // nibble 1, high nibble 2). Sub-block j (even: low nibbles, odd: high).
  std::vector<uint8_t> b(144, 0x21);
  putF16(b.data(), 1.0f);
  putF16(b.data() + 2, 1.0f);
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    ls[j] = static_cast<uint8_t>(j + 1);
    lm[j] = static_cast<uint8_t>(j);
  }
  packQ4KScales(ls, lm, b.data() + 4);
  auto y = deq(GGMLType::Q4_K, b, 256);
  EXPECT_EQ(y[0], 1.0f);    // 1*1 - 0
  EXPECT_EQ(y[31], 1.0f);
  EXPECT_EQ(y[32], 3.0f);   // 2*2 - 1
  EXPECT_EQ(y[64], 1.0f);   // 3*1 - 2
  EXPECT_EQ(y[96], 5.0f);   // 4*2 - 3
  EXPECT_EQ(y[255], 9.0f);  // 8*2 - 7
  for (int e = 0; e < 256; ++e) {
    int j = e / 32;
    int q = (j % 2) ? 2 : 1;
    EXPECT_EQ(y[e], static_cast<float>((j + 1) * q - j)) << e;
  }
}

TEST(Dequantize, Q4_KAndQ5_KRandom) {
  for (int five = 0; five < 2; ++five) {
    GGMLType t = five ? GGMLType::Q5_K : GGMLType::Q4_K;
    std::vector<uint8_t> b = randomBytes(five ? 176 : 144, 40 + five);
    putF16(b.data(), 0.0625f);
    putF16(b.data() + 2, 0.125f);
    uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; ++j) {
      ls[j] = static_cast<uint8_t>((j * 23 + 7) % 64);
      lm[j] = static_cast<uint8_t>((j * 41 + 3) % 64);
    }
    packQ4KScales(ls, lm, b.data() + 4);
    const uint8_t *qh = b.data() + 16;
    const uint8_t *qs = b.data() + (five ? 48 : 16);
    auto y = deq(t, b, 256);
    for (int e = 0; e < 256; ++e) {
      int sb = e / 32, l = e % 32;
      uint8_t byte = qs[32 * (e / 64) + l];
      int q = (sb % 2) ? (byte >> 4) : (byte & 15);
      if (five)
        q += 16 * ((qh[l] >> sb) & 1);
      float expect = 0.0625f * ls[sb] * q - 0.125f * lm[sb];
      ASSERT_FLOAT_EQ(y[e], expect) << "e=" << e << " " << ggmlTypeName(t);
    }
  }
}

TEST(Dequantize, Q6_K) {
  std::vector<uint8_t> b = randomBytes(210, 6);
  putF16(b.data() + 208, 0.03125f);
  const uint8_t *ql = b.data(), *qh = b.data() + 128;
  const int8_t *sc = reinterpret_cast<const int8_t *>(b.data() + 192);
  auto y = deq(GGMLType::Q6_K, b, 256);
  for (int e = 0; e < 256; ++e) {
    int h = e / 128, idx = e % 128, r = idx / 32, l = idx % 32;
    uint8_t lowByte = ql[64 * h + 32 * (r % 2) + l];
    int low = r < 2 ? (lowByte & 15) : (lowByte >> 4);
    int high = (qh[32 * h + l] >> (2 * r)) & 3;
    int q = (low | (high << 4)) - 32;
    float expect = 0.03125f * sc[e / 16] * q;
    ASSERT_EQ(y[e], expect) << "e=" << e;
  }
  // Exact hand values: element 0 = d * sc[0] * (q - 32).
  std::vector<uint8_t> z(210, 0);
  putF16(z.data() + 208, 1.0f);
  z[0] = 0x0F;            // element 0 low = 15, element 64 low = 0
  z[128] = 0x03 | 0x30;   // element 0 high = 3, element 64 high = 3
  z[192] = 2;             // scale of elements 0..15
  z[192 + 4] = -1;        // scale of elements 64..79
  auto yz = deq(GGMLType::Q6_K, z, 256);
  EXPECT_EQ(yz[0], 2.0f * (63 - 32));
  EXPECT_EQ(yz[64], -1.0f * (48 - 32));
  EXPECT_EQ(yz[1], 2.0f * -32);
}

TEST(Dequantize, Q8_K) {
  std::vector<uint8_t> b = randomBytes(292, 8);
  float d = -0.75f;
  std::memcpy(b.data(), &d, 4);
  auto y = deq(GGMLType::Q8_K, b, 256);
  for (int e = 0; e < 256; ++e)
    ASSERT_EQ(y[e], d * static_cast<int8_t>(b[4 + e]));
}

TEST(Dequantize, MultipleBlocksAndErrors) {
  std::vector<uint8_t> b(18 * 3);
  for (int i = 0; i < 3; ++i) {
    putF16(b.data() + 18 * i, static_cast<float>(i + 1));
    std::memset(b.data() + 18 * i + 2, 0x99, 16); // q = 9 -> 1 * d
  }
  auto y = deq(GGMLType::Q4_0, b, 96);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[40], 2.0f);
  EXPECT_EQ(y[95], 3.0f);

  float out[256];
  Error e = dequantizeRow(GGMLType::Q4_0, b.data(), out, 33);
  ASSERT_TRUE(static_cast<bool>(e));
  EXPECT_EQ(e.message(), "gguf: dequantize: 33 elements is not a multiple of "
                         "the q4_0 block size 32");
  e = dequantizeRow(GGMLType::IQ2_XXS, b.data(), out, 256);
  ASSERT_TRUE(static_cast<bool>(e));
  EXPECT_EQ(e.message(), "gguf: dequantize: type iq2_xxs is not supported");
  e = dequantizeRow(static_cast<GGMLType>(77), b.data(), out, 32);
  ASSERT_TRUE(static_cast<bool>(e));
  EXPECT_EQ(e.message(), "gguf: dequantize: unknown ggml type 77");
  EXPECT_FALSE(dequantizeRow(GGMLType::Q4_0, nullptr, nullptr, 0));
  EXPECT_TRUE(canDequantize(GGMLType::Q6_K));
  EXPECT_FALSE(canDequantize(GGMLType::MXFP4));
}

//===----------------------------------------------------------------------===//
// Quantize -> dequantize round trips
//===----------------------------------------------------------------------===//

std::vector<float> randomValues(size_t n, uint64_t seed, float scale) {
  Rng r(seed);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = r.uniform(-scale, scale) + (i % 7 == 0 ? scale * 0.5f : 0.0f);
  return v;
}

template <typename Fn>
void roundTrip(GGMLType t, size_t n, uint64_t seed, float scale, Fn bound) {
  std::vector<float> x = randomValues(n, seed, scale);
  std::vector<uint8_t> q(*ggmlByteSize(t, static_cast<int64_t>(n)));
  ASSERT_FALSE(quantizeRow(t, x.data(), q.data(), static_cast<int64_t>(n)));
  std::vector<float> y(n);
  ASSERT_FALSE(dequantizeRow(t, q.data(), y.data(), static_cast<int64_t>(n)));
  for (size_t blk = 0; blk < n / 32; ++blk) {
    const float *xb = x.data() + 32 * blk;
    const uint8_t *qb = q.data() + blk * ggmlTypeTraits(t)->typeSize;
    for (int j = 0; j < 32; ++j) {
      float err = std::fabs(xb[j] - y[32 * blk + static_cast<size_t>(j)]);
      float b = bound(xb, qb, j);
      ASSERT_LE(err, b) << ggmlTypeName(t) << " block " << blk << " elem " << j
                        << " x=" << xb[j];
    }
  }
}

float f16At(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return fp16ToFp32(h);
}

TEST(Quantize, Q8_0RoundTrip) {
  for (float scale : {1e-3f, 0.1f, 1.0f, 300.0f}) {
    roundTrip(GGMLType::Q8_0, 32 * 64, 100, scale,
              [](const float *xb, const uint8_t *qb, int) {
                float amax = 0;
                for (int j = 0; j < 32; ++j)
                  amax = std::max(amax, std::fabs(xb[j]));
                float d = amax / 127.0f, d16 = f16At(qb);
                // Half a quantization step; the scale is stored as f16, so
                // add the effect of its rounding (|q| <= 127) and float eps.
                float b = d16 / 2 + 127 * std::fabs(d - d16) + 1e-6f * amax;
                // Where d16 is a normal half, that is within 14% of the
                // ideal scale/2 (subnormal scales lose relative precision).
                if (d >= std::ldexp(1.0f, -14)) {
                  EXPECT_LE(b, d16 * 0.57f + 1e-6f * amax);
                }
                return b;
              });
  }
}

TEST(Quantize, Q4_0RoundTrip) {
  for (float scale : {1e-2f, 1.0f, 50.0f}) {
    roundTrip(GGMLType::Q4_0, 32 * 64, 200, scale,
              [](const float *xb, const uint8_t *qb, int j) {
                float amax = 0, max = 0;
                for (int k = 0; k < 32; ++k)
                  if (std::fabs(xb[k]) > amax) {
                    amax = std::fabs(xb[k]);
                    max = xb[k];
                  }
                float d = max / -8.0f, d16 = f16At(qb);
                // q = x/d + 8 in [0, 16]; 16 is clamped to 15, so values on
                // the far side of the range lose up to a full step.
                float r = d != 0 ? xb[j] / d : 0;
                float step = r > 7.5f ? std::fabs(d) : std::fabs(d) / 2;
                return step + 16 * std::fabs(d - d16) + 1e-6f * amax;
              });
  }
}

TEST(Quantize, Q4_1RoundTrip) {
  for (float scale : {1e-2f, 1.0f, 50.0f}) {
    roundTrip(GGMLType::Q4_1, 32 * 64, 300, scale,
              [](const float *xb, const uint8_t *qb, int) {
                float mn = FLT_MAX, mx = -FLT_MAX;
                for (int k = 0; k < 32; ++k) {
                  mn = std::min(mn, xb[k]);
                  mx = std::max(mx, xb[k]);
                }
                float d = (mx - mn) / 15, d16 = f16At(qb), m16 = f16At(qb + 2);
                return d / 2 + 15 * std::fabs(d - d16) + std::fabs(mn - m16) +
                       1e-6f * std::max(std::fabs(mn), std::fabs(mx));
              });
  }
}

TEST(Quantize, ExactCases) {
  // Multiples of 0.5 with amax 63.5 (x[0]) give d = 0.5 exactly: lossless.
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j)
    x[j] = 0.5f * static_cast<float>(j * 4 - 127);
  std::vector<uint8_t> q(34);
  ASSERT_FALSE(quantizeRowQ8_0(x.data(), q.data(), 32));
  std::vector<float> y(32);
  ASSERT_FALSE(dequantizeRow(GGMLType::Q8_0, q.data(), y.data(), 32));
  EXPECT_EQ(f16At(q.data()), 0.5f);
  EXPECT_EQ(x, y);

  // All zeros stay zero, for every quantizer.
  std::vector<float> zeros(64, 0.0f);
  for (GGMLType t : {GGMLType::Q8_0, GGMLType::Q4_0, GGMLType::Q4_1}) {
    std::vector<uint8_t> b(*ggmlByteSize(t, 64));
    ASSERT_FALSE(quantizeRow(t, zeros.data(), b.data(), 64));
    std::vector<float> z(64, 1.0f);
    ASSERT_FALSE(dequantizeRow(t, b.data(), z.data(), 64));
    EXPECT_EQ(z, zeros) << ggmlTypeName(t);
  }
  // A constant block is exact in Q4_1 (d = 0, m = value).
  std::vector<float> c(32, -1.25f);
  std::vector<uint8_t> b(20);
  ASSERT_FALSE(quantizeRowQ4_1(c.data(), b.data(), 32));
  std::vector<float> cy(32);
  ASSERT_FALSE(dequantizeRow(GGMLType::Q4_1, b.data(), cy.data(), 32));
  EXPECT_EQ(cy, c);
  // Q4_0 maps the largest-magnitude value exactly (q = 0 -> -8 * d).
  std::vector<float> p(32, 0.0f);
  p[5] = -3.0f;
  std::vector<uint8_t> b0(18);
  ASSERT_FALSE(quantizeRowQ4_0(p.data(), b0.data(), 32));
  std::vector<float> py(32);
  ASSERT_FALSE(dequantizeRow(GGMLType::Q4_0, b0.data(), py.data(), 32));
  EXPECT_EQ(py[5], -3.0f);
  EXPECT_EQ(py[0], 0.0f);
  // Errors.
  EXPECT_TRUE(static_cast<bool>(quantizeRowQ8_0(x.data(), q.data(), 31)));
  EXPECT_TRUE(static_cast<bool>(quantizeRow(GGMLType::Q4_K, x.data(), q.data(), 256)));
  // Non-finite inputs must not crash.
  std::vector<float> bad(32, std::nanf(""));
  bad[1] = INFINITY;
  EXPECT_FALSE(quantizeRowQ4_0(bad.data(), b0.data(), 32));
  EXPECT_FALSE(quantizeRowQ4_1(bad.data(), b.data(), 32));
  EXPECT_FALSE(quantizeRowQ8_0(bad.data(), q.data(), 32));
}

TEST(Quantize, HalfTypesRoundTrip) {
  std::vector<float> x = randomValues(256, 9, 10.0f);
  std::vector<uint8_t> b(512);
  std::vector<float> y(256);
  ASSERT_FALSE(quantizeRow(GGMLType::F16, x.data(), b.data(), 256));
  ASSERT_FALSE(dequantizeRow(GGMLType::F16, b.data(), y.data(), 256));
  for (size_t i = 0; i < 256; ++i)
    ASSERT_LE(std::fabs(x[i] - y[i]), std::fabs(x[i]) * std::ldexp(1.0f, -11));
  ASSERT_FALSE(quantizeRow(GGMLType::BF16, x.data(), b.data(), 256));
  ASSERT_FALSE(dequantizeRow(GGMLType::BF16, b.data(), y.data(), 256));
  for (size_t i = 0; i < 256; ++i)
    ASSERT_LE(std::fabs(x[i] - y[i]), std::fabs(x[i]) * std::ldexp(1.0f, -8));
}

} // namespace
