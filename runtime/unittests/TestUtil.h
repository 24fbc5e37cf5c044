//===- TestUtil.h - Helpers for the GGUF unit tests ------------*- C++ -*-===//
#ifndef ATTNC_RUNTIME_UNITTESTS_TESTUTIL_H
#define ATTNC_RUNTIME_UNITTESTS_TESTUTIL_H

#include "gguf/GGUFFile.h"
#include "gguf/GGUFWriter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace attnc::gguf::test {

/// Deterministic pseudo-random numbers (LCG), independent of the platform.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 6364136223846793005ull + 1) {}
  uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(s >> 33);
  }
  uint8_t byte() { return static_cast<uint8_t>(next() & 0xff); }
  /// Uniform in [lo, hi).
  float uniform(float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>(next() & 0xffffff) /
                    static_cast<float>(0x1000000);
  }
};

/// Parses `bytes` from an exactly-sized heap copy (so that sanitizers catch
/// any read past the end).
inline Expected<std::unique_ptr<GGUFFile>>
parseCopy(const std::vector<uint8_t> &bytes) {
  return GGUFFile::fromOwnedBuffer(bytes);
}

template <typename T>
inline void patch(std::vector<uint8_t> &b, uint64_t at, T v) {
  ASSERT_LE(at + sizeof(T), b.size());
  std::memcpy(b.data() + at, &v, sizeof(T));
}

/// A small but complete model: a few kvs of several types (including arrays)
/// and three tensors (f32, q8_0, q4_0). The last tensor's byte size is a
/// multiple of 32, so the file has no trailing padding.
inline std::vector<uint8_t> smallModel(GGUFLayout *layout = nullptr,
                                       uint32_t version = 3) {
  GGUFWriter w(version);
  w.addString("general.architecture", "llama");
  w.addU32("llama.block_count", 1);
  w.addF32("llama.rope.freq_base", 10000.0f);
  w.add("tokenizer.ggml.tokens", MetaValue::stringArray({"a", "bc", "def"}));
  w.add("test.i32s", MetaValue::i32Array({1, -2, 3}));
  std::vector<float> a(8), b(64), c(64);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<float>(i) * 0.5f;
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = std::sin(static_cast<float>(i));
  for (size_t i = 0; i < c.size(); ++i)
    c[i] = std::cos(static_cast<float>(i));
  EXPECT_FALSE(w.addTensorF32("a", {8}, a));
  EXPECT_FALSE(w.addTensorF32("b", {32, 2}, b, GGMLType::Q8_0));
  // q4_0: 2 blocks * 18 bytes = 36 bytes: pad the row to 4 blocks (72) and
  // use 4 rows so the size (288) is a multiple of 32.
  std::vector<float> d(128 * 4);
  for (size_t i = 0; i < d.size(); ++i)
    d[i] = std::sin(0.1f * static_cast<float>(i));
  EXPECT_FALSE(w.addTensorF32("c", {128, 4}, d, GGMLType::Q4_0));
  auto bytes = w.serialize(layout);
  EXPECT_TRUE(bytes.ok()) << bytes.message();
  return bytes.ok() ? bytes.take() : std::vector<uint8_t>();
}

inline bool startsWith(const std::string &s, const std::string &p) {
  return s.rfind(p, 0) == 0;
}

} // namespace attnc::gguf::test

#endif // ATTNC_RUNTIME_UNITTESTS_TESTUTIL_H
