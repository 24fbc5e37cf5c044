//===- GGMLTypes.cpp - ggml tensor element types --------------------------===//
#include "gguf/GGMLTypes.h"

#include <cctype>
#include <cstring>

namespace attnc::gguf {

namespace {
struct TypeRow {
  uint32_t id;
  GGMLTypeTraits traits;
};

// Block and type sizes follow the block_* structs of ggml-common.h.
constexpr TypeRow kTypes[] = {
    {0, {"f32", 1, 4}},
    {1, {"f16", 1, 2}},
    {2, {"q4_0", QK4_0, 2 + QK4_0 / 2}},                 // 18
    {3, {"q4_1", QK4_1, 4 + QK4_1 / 2}},                 // 20
    {6, {"q5_0", QK5_0, 2 + 4 + QK5_0 / 2}},             // 22
    {7, {"q5_1", QK5_1, 4 + 4 + QK5_1 / 2}},             // 24
    {8, {"q8_0", QK8_0, 2 + QK8_0}},                     // 34
    {9, {"q8_1", QK8_1, 4 + QK8_1}},                     // 36
    {10, {"q2_K", QK_K, QK_K / 16 + QK_K / 4 + 4}},      // 84
    {11, {"q3_K", QK_K, QK_K / 8 + QK_K / 4 + 12 + 2}},  // 110
    {12, {"q4_K", QK_K, 4 + K_SCALE_SIZE + QK_K / 2}},   // 144
    {13, {"q5_K", QK_K, 4 + K_SCALE_SIZE + QK_K / 8 + QK_K / 2}}, // 176
    {14, {"q6_K", QK_K, QK_K / 2 + QK_K / 4 + QK_K / 16 + 2}},    // 210
    {15, {"q8_K", QK_K, 4 + QK_K + QK_K / 16 * 2}},               // 292
    {16, {"iq2_xxs", QK_K, 2 + QK_K / 8 * 2}},                    // 66
    {17, {"iq2_xs", QK_K, 2 + QK_K / 8 * 2 + QK_K / 32}},         // 74
    {18, {"iq3_xxs", QK_K, 2 + 3 * (QK_K / 8)}},                  // 98
    {19, {"iq1_s", QK_K, 2 + QK_K / 8 + QK_K / 16}},              // 50
    {20, {"iq4_nl", 32, 2 + 16}},                                 // 18
    {21, {"iq3_s", QK_K, 2 + 13 * (QK_K / 32) + QK_K / 64}},      // 110
    {22, {"iq2_s", QK_K, 2 + QK_K / 4 + QK_K / 16}},              // 82
    {23, {"iq4_xs", QK_K, 2 + 2 + QK_K / 64 + QK_K / 2}},         // 136
    {24, {"i8", 1, 1}},
    {25, {"i16", 1, 2}},
    {26, {"i32", 1, 4}},
    {27, {"i64", 1, 8}},
    {28, {"f64", 1, 8}},
    {29, {"iq1_m", QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32}},      // 56
    {30, {"bf16", 1, 2}},
    {34, {"tq1_0", QK_K, 2 + QK_K / 64 + (QK_K - 4 * QK_K / 64) / 5}}, // 54
    {35, {"tq2_0", QK_K, 2 + QK_K / 4}},                               // 66
    {39, {"mxfp4", 32, 1 + 16}},                                       // 17
};

static_assert(sizeof(kTypes) / sizeof(kTypes[0]) == 32, "type table size");
} // namespace

std::optional<GGMLTypeTraits> ggmlTypeTraits(uint32_t typeId) {
  for (const TypeRow &row : kTypes)
    if (row.id == typeId)
      return row.traits;
  return std::nullopt;
}

const char *ggmlTypeName(uint32_t typeId) {
  auto t = ggmlTypeTraits(typeId);
  return t ? t->name : "unknown";
}

std::optional<GGMLType> ggmlTypeFromName(const char *name) {
  if (!name)
    return std::nullopt;
  for (const TypeRow &row : kTypes) {
    const char *a = row.traits.name;
    const char *b = name;
    while (*a && *b &&
           std::tolower(static_cast<unsigned char>(*a)) ==
               std::tolower(static_cast<unsigned char>(*b))) {
      ++a;
      ++b;
    }
    if (*a == 0 && *b == 0)
      return static_cast<GGMLType>(row.id);
  }
  return std::nullopt;
}

std::optional<uint64_t> ggmlByteSize(GGMLType t, int64_t nElements) {
  auto traits = ggmlTypeTraits(t);
  if (!traits || nElements < 0 || nElements % traits->blockSize != 0)
    return std::nullopt;
  uint64_t blocks = static_cast<uint64_t>(nElements / traits->blockSize);
  uint64_t size = traits->typeSize;
  if (blocks != 0 && size > UINT64_MAX / blocks)
    return std::nullopt;
  return blocks * size;
}

//===----------------------------------------------------------------------===//
// Half precision
//===----------------------------------------------------------------------===//

static inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
static inline float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

float fp16ToFp32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) // inf / nan
    return bitsFloat(sign | 0x7f800000u | (mant << 13));
  if (exp == 0) {
    if (mant == 0)
      return bitsFloat(sign);
    // Subnormal: value = mant * 2^-24 (exact in float).
    float v = static_cast<float>(mant) * bitsFloat(0x33800000u); // 2^-24
    return sign ? -v : v;
  }
  return bitsFloat(sign | ((exp + (127 - 15)) << 23) | (mant << 13));
}

uint16_t fp32ToFp16(float f) {
  uint32_t x = floatBits(f);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  uint32_t exp = (x >> 23) & 0xffu;
  uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) { // inf / nan (keep nan quiet and non-zero)
    return static_cast<uint16_t>(sign | 0x7c00u |
                                 (mant ? (0x200u | (mant >> 13)) : 0u));
  }
  int32_t e = static_cast<int32_t>(exp) - 127 + 15;
  if (e >= 0x1f) // overflow -> inf
    return static_cast<uint16_t>(sign | 0x7c00u);
  if (e <= 0) {
    // Subnormal half (or zero). 14 - e is the right shift of the full
    // 24-bit significand.
    if (e < -10)
      return sign; // rounds to zero
    uint32_t m = mant | 0x800000u;
    uint32_t shift = static_cast<uint32_t>(14 - e);
    uint32_t half = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1u);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half & 1u)))
      ++half; // may carry into the exponent: still correct
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u)))
    ++half; // carry may produce inf, which is the right answer
  return static_cast<uint16_t>(sign | half);
}

float bf16ToFp32(uint16_t h) { return bitsFloat(static_cast<uint32_t>(h) << 16); }

uint16_t fp32ToBf16(float f) {
  uint32_t x = floatBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) // nan: keep quiet
    return static_cast<uint16_t>((x >> 16) | 0x40u);
  uint32_t lsb = (x >> 16) & 1u;
  x += 0x7fffu + lsb;
  return static_cast<uint16_t>(x >> 16);
}

} // namespace attnc::gguf
