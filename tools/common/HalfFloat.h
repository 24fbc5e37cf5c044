//===- HalfFloat.h - bf16 / f16 bit conversions for host tools --*- C++ -*-===//
//
// Round to nearest even, NaN kept NaN, no F16C needed: the host side of
// kernels whose tensors are bf16 or f16 bit patterns (attnc exec,
// attnc-varlen-check).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TOOLS_COMMON_HALFFLOAT_H
#define ATTNC_TOOLS_COMMON_HALFFLOAT_H

#include <cmath>
#include <cstdint>
#include <cstring>

namespace attnc {

inline uint16_t toBF16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffff) > 0x7f800000) // NaN stays NaN
    return (bits >> 16) | 0x40;
  bits += 0x7fff + ((bits >> 16) & 1); // round to nearest even
  return bits >> 16;
}
inline float fromBF16(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
/// IEEE binary16 conversions with round to nearest even (no F16C needed).
inline uint16_t toF16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t absx = x & 0x7fffffff;
  if (absx > 0x7f800000) // NaN
    return sign | 0x7e00;
  if (absx >= 0x477ff000) // rounds to >= 65520: infinity
    return sign | 0x7c00;
  if (absx < 0x38800000) { // subnormal or zero in half
    float a;
    std::memcpy(&a, &absx, 4);
    // Scale into the subnormal range and let the FPU round to nearest even.
    float scaled = a * 16777216.0f; // 2^24: half subnormal ulp becomes 1
    uint32_t m = (uint32_t)scaled;
    float rem = scaled - (float)m;
    if (rem > 0.5f || (rem == 0.5f && (m & 1)))
      ++m;
    return sign | m;
  }
  uint32_t mant = absx & 0x7fffff;
  uint32_t exp = (absx >> 23) - 127 + 15;
  uint32_t h = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h; // may carry into the exponent, which is still correct
  return sign | h;
}
inline float fromF16(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float f;
  if (exp == 0) {
    f = std::ldexp((float)mant, -24);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    bits |= sign;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  uint32_t bits = sign | (exp == 31 ? (0xffu << 23) | (mant << 13)
                                    : ((exp - 15 + 127) << 23) | (mant << 13));
  std::memcpy(&f, &bits, 4);
  return f;
}

} // namespace attnc

#endif // ATTNC_TOOLS_COMMON_HALFFLOAT_H
