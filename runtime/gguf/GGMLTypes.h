//===- GGMLTypes.h - ggml tensor element types -----------------*- C++ -*-===//
//
// The ggml tensor types that can appear in a GGUF file, with their block
// sizes (elements per block) and type sizes (bytes per block), following
// ggml.h / ggml-common.h. Also half-precision conversions.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_GGUF_GGMLTYPES_H
#define ATTNC_RUNTIME_GGUF_GGMLTYPES_H

#include <cstddef>
#include <cstdint>
#include <optional>

namespace attnc::gguf {

/// ggml_type ids as stored in GGUF tensor infos (u32). Ids 4, 5 and 31..33,
/// 36..38 were removed from ggml and are rejected.
enum class GGMLType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
};

// Block sizes (elements per block) used by the quantized formats.
constexpr int64_t QK4_0 = 32;
constexpr int64_t QK4_1 = 32;
constexpr int64_t QK5_0 = 32;
constexpr int64_t QK5_1 = 32;
constexpr int64_t QK8_0 = 32;
constexpr int64_t QK8_1 = 32;
constexpr int64_t QK_K = 256;
constexpr int64_t K_SCALE_SIZE = 12;

/// Static facts about one ggml type.
struct GGMLTypeTraits {
  const char *name;   ///< ggml's name, e.g. "q4_K"
  int64_t blockSize;  ///< elements per block
  size_t typeSize;    ///< bytes per block
};

/// Traits of a raw type id, or nullopt when the id is not a known ggml type.
std::optional<GGMLTypeTraits> ggmlTypeTraits(uint32_t typeId);
inline std::optional<GGMLTypeTraits> ggmlTypeTraits(GGMLType t) {
  return ggmlTypeTraits(static_cast<uint32_t>(t));
}

/// Name of a type id ("f32", "q4_K", ...) or "unknown".
const char *ggmlTypeName(uint32_t typeId);
inline const char *ggmlTypeName(GGMLType t) {
  return ggmlTypeName(static_cast<uint32_t>(t));
}

/// Parses a ggml type name as printed by ggmlTypeName (case-insensitive).
std::optional<GGMLType> ggmlTypeFromName(const char *name);

/// Bytes used by `nElements` elements of type `t`; nullopt when `nElements`
/// is negative, not a multiple of the block size, or the size overflows.
std::optional<uint64_t> ggmlByteSize(GGMLType t, int64_t nElements);

//===----------------------------------------------------------------------===//
// Half / bfloat16 conversion (exact, IEEE round-to-nearest-even).
//===----------------------------------------------------------------------===//

float fp16ToFp32(uint16_t h);
uint16_t fp32ToFp16(float f);
float bf16ToFp32(uint16_t h);
uint16_t fp32ToBf16(float f);

} // namespace attnc::gguf

#endif // ATTNC_RUNTIME_GGUF_GGMLTYPES_H
