//===- SpecMatchTest.cpp - model/SpecMatch checks -------------------------===//
#include "model/SpecMatch.h"

#include <gtest/gtest.h>

using namespace attnc;
using namespace attnc::model;

namespace {

const AttentionKernels kSmol = {"smollm2_135m", 9, 3, 64, 100000.0, nullptr, nullptr, {}, {}};

gguf::LlamaConfig smolConfig() {
  gguf::LlamaConfig c;
  c.nHeads = 9;
  c.nKVHeads = 3;
  c.headDim = 64;
  c.ropeFreqBase = 100000.0f;
  c.ropeDimensionCount = 64;
  return c;
}

TEST(SpecMatch, FitsAndRefuses) {
  EXPECT_EQ(mismatch(kSmol, smolConfig()), "");
  auto c = smolConfig();
  c.ropeDimensionCount = 0; // absent: all dimensions
  EXPECT_EQ(mismatch(kSmol, c), "");

  c = smolConfig();
  c.nKVHeads = 9;
  EXPECT_NE(mismatch(kSmol, c).find("attention shape (9 heads, 9 kv heads, head_dim 64)"), std::string::npos)
      << mismatch(kSmol, c);
  c = smolConfig();
  c.ropeDimensionCount = 32;
  EXPECT_NE(mismatch(kSmol, c).find("rotates 32 of 64 head dimensions"), std::string::npos)
      << mismatch(kSmol, c);
  c = smolConfig();
  c.ropeScalingType = "linear";
  c.ropeScalingFactor = 2.0f;
  EXPECT_NE(mismatch(kSmol, c).find("rope scaling 'linear'"), std::string::npos) << mismatch(kSmol, c);
  c.ropeScalingFactor = 1.0f; // a factor of 1 scales nothing
  EXPECT_EQ(mismatch(kSmol, c), "");
  c = smolConfig();
  c.ropeFreqBase = 10000.0f;
  EXPECT_NE(mismatch(kSmol, c).find("rope.freq_base"), std::string::npos) << mismatch(kSmol, c);
}

} // namespace
