//===- Quants.cpp - ggml block formats: dequantize / quantize -------------===//
//
// Block layouts (byte offsets inside one block), after ggml-common.h:
//   q4_0  (18 B / 32):  d:f16@0  qs[16]@2
//   q4_1  (20 B / 32):  d:f16@0  m:f16@2  qs[16]@4
//   q5_0  (22 B / 32):  d:f16@0  qh:u32@2  qs[16]@6
//   q5_1  (24 B / 32):  d:f16@0  m:f16@2  qh:u32@4  qs[16]@8
//   q8_0  (34 B / 32):  d:f16@0  qs:i8[32]@2
//   q8_1  (36 B / 32):  d:f16@0  s:f16@2  qs:i8[32]@4
//   q2_K  (84 B / 256): scales[16]@0  qs[64]@16  d:f16@80  dmin:f16@82
//   q3_K (110 B / 256): hmask[32]@0  qs[64]@32  scales[12]@96  d:f16@108
//   q4_K (144 B / 256): d:f16@0  dmin:f16@2  scales[12]@4  qs[128]@16
//   q5_K (176 B / 256): d:f16@0  dmin:f16@2  scales[12]@4  qh[32]@16 qs[128]@48
//   q6_K (210 B / 256): ql[128]@0  qh[64]@128  scales:i8[16]@192  d:f16@208
//   q8_K (292 B / 256): d:f32@0  qs:i8[256]@4  bsums:i16[16]@260
//
//===----------------------------------------------------------------------===//
#include "gguf/Quants.h"

#include <algorithm>
#include <cfloat>
#include <cinttypes>
#include <cmath>
#include <cstring>

namespace attnc::gguf {

namespace {

inline uint16_t loadU16(const uint8_t *p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t loadU32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline float loadF16(const uint8_t *p) { return fp16ToFp32(loadU16(p)); }
inline void storeF16(uint8_t *p, float f) {
  uint16_t h = fp32ToFp16(f);
  std::memcpy(p, &h, 2);
}

// --- 32-element formats -----------------------------------------------------

void deqQ4_0(const uint8_t *b, float *y) {
  const float d = loadF16(b);
  const uint8_t *qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
    y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

void deqQ4_1(const uint8_t *b, float *y) {
  const float d = loadF16(b);
  const float m = loadF16(b + 2);
  const uint8_t *qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

// Element j (0..15) takes bit j of qh as its 5th bit, element j+16 bit j+16.
void deqQ5_0(const uint8_t *b, float *y) {
  const float d = loadF16(b);
  const uint32_t qh = loadU32(b + 2);
  const uint8_t *qs = b + 6;
  for (int j = 0; j < 16; ++j) {
    int lo = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
    int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = static_cast<float>(lo - 16) * d;
    y[j + 16] = static_cast<float>(hi - 16) * d;
  }
}

void deqQ5_1(const uint8_t *b, float *y) {
  const float d = loadF16(b);
  const float m = loadF16(b + 2);
  const uint32_t qh = loadU32(b + 4);
  const uint8_t *qs = b + 8;
  for (int j = 0; j < 16; ++j) {
    int lo = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
    int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = static_cast<float>(lo) * d + m;
    y[j + 16] = static_cast<float>(hi) * d + m;
  }
}

void deqQ8_0(const uint8_t *b, float *y) {
  const float d = loadF16(b);
  const int8_t *qs = reinterpret_cast<const int8_t *>(b + 2);
  for (int j = 0; j < 32; ++j)
    y[j] = static_cast<float>(qs[j]) * d;
}

void deqQ8_1(const uint8_t *b, float *y) {
  const float d = loadF16(b);
  const int8_t *qs = reinterpret_cast<const int8_t *>(b + 4);
  for (int j = 0; j < 32; ++j)
    y[j] = static_cast<float>(qs[j]) * d;
}

// --- 256-element "K" formats -----------------------------------------------

// 16 sub-blocks of 16. scales[i]: low nibble = scale, high nibble = min.
// Sub-blocks walk the 2-bit planes of qs: half h (0,1) uses qs[32h..32h+31];
// within it, plane p (bits 2p..2p+1) holds sub-blocks 8h+2p (qs[0..15]) and
// 8h+2p+1 (qs[16..31]).
void deqQ2_K(const uint8_t *b, float *y) {
  const uint8_t *scales = b;
  const uint8_t *qs = b + 16;
  const float d = loadF16(b + 80);
  const float dmin = loadF16(b + 82);
  int sb = 0;
  for (int h = 0; h < 2; ++h) {
    const uint8_t *q = qs + 32 * h;
    for (int p = 0; p < 4; ++p) {
      const int shift = 2 * p;
      for (int part = 0; part < 2; ++part, ++sb) {
        const float dl = d * static_cast<float>(scales[sb] & 0x0F);
        const float ml = dmin * static_cast<float>(scales[sb] >> 4);
        const uint8_t *qq = q + 16 * part;
        for (int l = 0; l < 16; ++l)
          *y++ = dl * static_cast<float>((qq[l] >> shift) & 3) - ml;
      }
    }
  }
}

// 16 signed 6-bit scales packed in 12 bytes: low 4 bits from bytes 0..7
// (low nibbles for scales 0..7, high nibbles for 8..15), high 2 bits from
// bytes 8..11 (byte 8 + j%4, bit pair j/4). Biased by 32.
void q3kScales(const uint8_t *packed, int out[16]) {
  for (int j = 0; j < 16; ++j) {
    int low = j < 8 ? (packed[j] & 0x0F) : (packed[j - 8] >> 4);
    int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    out[j] = (low | (high << 4)) - 32;
  }
}

// Like q2_K (same 2-bit planes), plus a high bit from hmask: element l of
// each 32-run uses hmask[l] bit (4h + p); a clear bit subtracts 4.
void deqQ3_K(const uint8_t *b, float *y) {
  const uint8_t *hmask = b;
  const uint8_t *qs = b + 32;
  int sc[16];
  q3kScales(b + 96, sc);
  const float d = loadF16(b + 108);
  int sb = 0;
  for (int h = 0; h < 2; ++h) {
    const uint8_t *q = qs + 32 * h;
    for (int p = 0; p < 4; ++p) {
      const int shift = 2 * p;
      const uint8_t bit = static_cast<uint8_t>(1u << (4 * h + p));
      for (int part = 0; part < 2; ++part, ++sb) {
        const float dl = d * static_cast<float>(sc[sb]);
        for (int l = 0; l < 16; ++l) {
          const int idx = 16 * part + l;
          int v = (q[idx] >> shift) & 3;
          if (!(hmask[idx] & bit))
            v -= 4;
          *y++ = dl * static_cast<float>(v);
        }
      }
    }
  }
}

} // namespace

// 8 scales and 8 mins, 6 bits each, in 12 bytes. For j < 4: scale = low 6
// bits of byte j, min = low 6 bits of byte j+4. For j >= 4: low 4 bits from
// byte j+4 (scale: low nibble, min: high nibble), high 2 bits from the top
// bits of byte j-4 (scale) / byte j (min).
void q4kScaleMin(int j, const uint8_t *q, uint8_t &scale, uint8_t &min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = static_cast<uint8_t>((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4));
    min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

namespace {

// 8 sub-blocks of 32; chunk c (64 elements) uses qs[32c..32c+31]: low nibbles
// are sub-block 2c, high nibbles sub-block 2c+1. x = d*sc*q - dmin*m.
void deqQ4_K(const uint8_t *b, float *y) {
  const float d = loadF16(b);
  const float dmin = loadF16(b + 2);
  const uint8_t *scales = b + 4;
  const uint8_t *qs = b + 16;
  for (int c = 0; c < 4; ++c) {
    uint8_t sc, m;
    q4kScaleMin(2 * c, scales, sc, m);
    const float d1 = d * static_cast<float>(sc);
    const float m1 = dmin * static_cast<float>(m);
    q4kScaleMin(2 * c + 1, scales, sc, m);
    const float d2 = d * static_cast<float>(sc);
    const float m2 = dmin * static_cast<float>(m);
    const uint8_t *q = qs + 32 * c;
    for (int l = 0; l < 32; ++l)
      *y++ = d1 * static_cast<float>(q[l] & 0x0F) - m1;
    for (int l = 0; l < 32; ++l)
      *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
  }
}

// As q4_K with a 5th bit: element l of sub-block s takes bit s of qh[l].
void deqQ5_K(const uint8_t *b, float *y) {
  const float d = loadF16(b);
  const float dmin = loadF16(b + 2);
  const uint8_t *scales = b + 4;
  const uint8_t *qh = b + 16;
  const uint8_t *qs = b + 48;
  for (int c = 0; c < 4; ++c) {
    uint8_t sc, m;
    q4kScaleMin(2 * c, scales, sc, m);
    const float d1 = d * static_cast<float>(sc);
    const float m1 = dmin * static_cast<float>(m);
    q4kScaleMin(2 * c + 1, scales, sc, m);
    const float d2 = d * static_cast<float>(sc);
    const float m2 = dmin * static_cast<float>(m);
    const uint8_t *q = qs + 32 * c;
    const uint8_t lowBit = static_cast<uint8_t>(1u << (2 * c));
    const uint8_t highBit = static_cast<uint8_t>(1u << (2 * c + 1));
    for (int l = 0; l < 32; ++l)
      *y++ = d1 * static_cast<float>((q[l] & 0x0F) + ((qh[l] & lowBit) ? 16 : 0)) - m1;
    for (int l = 0; l < 32; ++l)
      *y++ = d2 * static_cast<float>((q[l] >> 4) + ((qh[l] & highBit) ? 16 : 0)) - m2;
  }
}

// 16 sub-blocks of 16 with signed 8-bit scales; 6-bit quants biased by 32.
// Half h (128 elements) uses ql[64h..], qh[32h..], scales[8h..]. For
// l in 0..31, qh[l] holds the high bit pairs of elements l, l+32, l+64, l+96
// (bits 0-1, 2-3, 4-5, 6-7); ql[l] the low nibbles of l (low) and l+64
// (high); ql[l+32] those of l+32 and l+96.
void deqQ6_K(const uint8_t *b, float *y) {
  const float d = loadF16(b + 208);
  for (int h = 0; h < 2; ++h) {
    const uint8_t *ql = b + 64 * h;
    const uint8_t *qh = b + 128 + 32 * h;
    const int8_t *sc = reinterpret_cast<const int8_t *>(b + 192 + 8 * h);
    float *out = y + 128 * h;
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      out[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
      out[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      out[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      out[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
  }
}

void deqQ8_K(const uint8_t *b, float *y) {
  float d;
  std::memcpy(&d, b, 4);
  const int8_t *qs = reinterpret_cast<const int8_t *>(b + 4);
  for (int j = 0; j < 256; ++j)
    y[j] = d * static_cast<float>(qs[j]);
}

using BlockFn = void (*)(const uint8_t *, float *);

BlockFn blockDequantizer(GGMLType t) {
  switch (t) {
  case GGMLType::Q4_0: return deqQ4_0;
  case GGMLType::Q4_1: return deqQ4_1;
  case GGMLType::Q5_0: return deqQ5_0;
  case GGMLType::Q5_1: return deqQ5_1;
  case GGMLType::Q8_0: return deqQ8_0;
  case GGMLType::Q8_1: return deqQ8_1;
  case GGMLType::Q2_K: return deqQ2_K;
  case GGMLType::Q3_K: return deqQ3_K;
  case GGMLType::Q4_K: return deqQ4_K;
  case GGMLType::Q5_K: return deqQ5_K;
  case GGMLType::Q6_K: return deqQ6_K;
  case GGMLType::Q8_K: return deqQ8_K;
  default: return nullptr;
  }
}

template <typename T> void convertPlain(const uint8_t *src, float *dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    dst[i] = static_cast<float>(v);
  }
}

} // namespace

bool canDequantize(GGMLType t) {
  switch (t) {
  case GGMLType::F32:
  case GGMLType::F16:
  case GGMLType::BF16:
  case GGMLType::F64:
  case GGMLType::I8:
  case GGMLType::I16:
  case GGMLType::I32:
  case GGMLType::I64:
    return true;
  default:
    return blockDequantizer(t) != nullptr;
  }
}

Error dequantizeRow(GGMLType t, const void *srcv, float *dst, int64_t n) {
  auto traits = ggmlTypeTraits(t);
  if (!traits)
    return makeError("gguf: dequantize: unknown ggml type %u",
                     static_cast<unsigned>(t));
  if (!canDequantize(t))
    return makeError("gguf: dequantize: type %s is not supported",
                     traits->name);
  if (n < 0 || n % traits->blockSize != 0)
    return makeError("gguf: dequantize: %" PRId64
                     " elements is not a multiple of the %s block size %" PRId64,
                     n, traits->name, traits->blockSize);
  if (n == 0)
    return Error::success();
  if (!srcv || !dst)
    return makeError("gguf: dequantize: null buffer");
  const uint8_t *src = static_cast<const uint8_t *>(srcv);
  switch (t) {
  case GGMLType::F32:
    std::memcpy(dst, src, static_cast<size_t>(n) * 4);
    return Error::success();
  case GGMLType::F16:
    for (int64_t i = 0; i < n; ++i)
      dst[i] = fp16ToFp32(loadU16(src + 2 * i));
    return Error::success();
  case GGMLType::BF16:
    for (int64_t i = 0; i < n; ++i)
      dst[i] = bf16ToFp32(loadU16(src + 2 * i));
    return Error::success();
  case GGMLType::F64: convertPlain<double>(src, dst, n); return Error::success();
  case GGMLType::I8: convertPlain<int8_t>(src, dst, n); return Error::success();
  case GGMLType::I16: convertPlain<int16_t>(src, dst, n); return Error::success();
  case GGMLType::I32: convertPlain<int32_t>(src, dst, n); return Error::success();
  case GGMLType::I64: convertPlain<int64_t>(src, dst, n); return Error::success();
  default:
    break;
  }
  BlockFn fn = blockDequantizer(t);
  const int64_t nb = n / traits->blockSize;
  for (int64_t i = 0; i < nb; ++i)
    fn(src + static_cast<size_t>(i) * traits->typeSize,
       dst + i * traits->blockSize);
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Quantizers (ggml reference algorithms)
//===----------------------------------------------------------------------===//

static Error checkQuantCount(int64_t n, const char *name) {
  if (n < 0 || n % 32 != 0)
    return makeError("gguf: quantize %s: %" PRId64
                     " elements is not a multiple of 32",
                     name, n);
  return Error::success();
}

// d = amax/127, q = round(x/d).
Error quantizeRowQ8_0(const float *x, void *dstv, int64_t n) {
  if (Error e = checkQuantCount(n, "q8_0"))
    return e;
  uint8_t *out = static_cast<uint8_t *>(dstv);
  for (int64_t i = 0; i < n / 32; ++i, x += 32, out += 34) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j)
      amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeF16(out, d);
    for (int j = 0; j < 32; ++j) {
      float v = std::round(x[j] * id);
      v = std::min(127.0f, std::max(-127.0f, v));
      out[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(v));
    }
  }
  return Error::success();
}

// d = (signed value of largest magnitude) / -8; q = clamp(x/d + 8.5) in 0..15.
Error quantizeRowQ4_0(const float *x, void *dstv, int64_t n) {
  if (Error e = checkQuantCount(n, "q4_0"))
    return e;
  uint8_t *out = static_cast<uint8_t *>(dstv);
  for (int64_t i = 0; i < n / 32; ++i, x += 32, out += 18) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeF16(out, d);
    for (int j = 0; j < 16; ++j) {
      auto q = [&](float v) {
        float f = v * id + 8.5f;
        // Truncation, like ggml; NaN and negatives map to 0.
        int qi = f > 0.0f ? static_cast<int>(std::min(f, 15.0f)) : 0;
        return static_cast<uint8_t>(qi);
      };
      out[2 + j] = static_cast<uint8_t>(q(x[j]) | (q(x[j + 16]) << 4));
    }
  }
  return Error::success();
}

// d = (max - min)/15, m = min, q = clamp((x - min)/d + 0.5) in 0..15.
Error quantizeRowQ4_1(const float *x, void *dstv, int64_t n) {
  if (Error e = checkQuantCount(n, "q4_1"))
    return e;
  uint8_t *out = static_cast<uint8_t *>(dstv);
  for (int64_t i = 0; i < n / 32; ++i, x += 32, out += 20) {
    float mn = FLT_MAX, mx = -FLT_MAX;
    for (int j = 0; j < 32; ++j) {
      mn = std::min(mn, x[j]);
      mx = std::max(mx, x[j]);
    }
    const float d = (mx - mn) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeF16(out, d);
    storeF16(out + 2, mn);
    for (int j = 0; j < 16; ++j) {
      auto q = [&](float v) {
        float f = (v - mn) * id + 0.5f;
        int qi = f > 0.0f ? static_cast<int>(std::min(f, 15.0f)) : 0;
        return static_cast<uint8_t>(qi);
      };
      out[4 + j] = static_cast<uint8_t>(q(x[j]) | (q(x[j + 16]) << 4));
    }
  }
  return Error::success();
}

bool canQuantize(GGMLType t) {
  switch (t) {
  case GGMLType::F32:
  case GGMLType::F16:
  case GGMLType::BF16:
  case GGMLType::Q8_0:
  case GGMLType::Q4_0:
  case GGMLType::Q4_1:
    return true;
  default:
    return false;
  }
}

Error quantizeRow(GGMLType t, const float *src, void *dstv, int64_t n) {
  uint8_t *dst = static_cast<uint8_t *>(dstv);
  if (n < 0)
    return makeError("gguf: quantize: negative element count");
  switch (t) {
  case GGMLType::F32:
    if (n)
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
    return Error::success();
  case GGMLType::F16:
    for (int64_t i = 0; i < n; ++i)
      storeF16(dst + 2 * i, src[i]);
    return Error::success();
  case GGMLType::BF16:
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h = fp32ToBf16(src[i]);
      std::memcpy(dst + 2 * i, &h, 2);
    }
    return Error::success();
  case GGMLType::Q8_0: return quantizeRowQ8_0(src, dst, n);
  case GGMLType::Q4_0: return quantizeRowQ4_0(src, dst, n);
  case GGMLType::Q4_1: return quantizeRowQ4_1(src, dst, n);
  default:
    return makeError("gguf: quantize: type %s is not supported",
                     ggmlTypeName(t));
  }
}

} // namespace attnc::gguf
