//===- SpecMatchTest.cpp - model/SpecMatch checks -------------------------===//
#include "model/SpecMatch.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace attnc;
using namespace attnc::model;

namespace {

const AttentionKernels kSmol = {"smollm2_135m", 9, 3, 64, 100000.0, nullptr, nullptr, {}, {}, {}};

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

namespace {
RopeScalingInfo scaling(RopeScalingInfo::Kind kind, double factor) {
  RopeScalingInfo r;
  r.kind = kind;
  r.factor = factor;
  return r;
}
} // namespace

// attn-run accepts a --spec file's RoPE scaling only when it is the compiled
// row's: same kind, same factor, and for YaRN the same parameters.
TEST(SpecMatch, RopeScalingSame) {
  using K = RopeScalingInfo::Kind;
  EXPECT_TRUE(RopeScalingInfo().same(RopeScalingInfo()));
  EXPECT_TRUE(scaling(K::Linear, 2).same(scaling(K::Linear, 2)));
  EXPECT_FALSE(scaling(K::Linear, 2).same(scaling(K::Linear, 4)));
  EXPECT_FALSE(scaling(K::Linear, 2).same(scaling(K::NTK, 2)));
  EXPECT_FALSE(scaling(K::Linear, 2).same(RopeScalingInfo()));
  RopeScalingInfo y = scaling(K::YaRN, 2), z;
  y.originalContext = 8192;
  y.attentionFactor = 0.1 * std::log(2.0) + 1;
  z = y;
  EXPECT_TRUE(y.same(z));
  z.betaFast = 16;
  EXPECT_FALSE(y.same(z));
  z = y;
  z.originalContext = 4096;
  EXPECT_FALSE(y.same(z));
  z = y;
  z.attentionFactor = 1;
  EXPECT_FALSE(y.same(z));
  EXPECT_EQ(y.str(), "yarn(factor 2, original_context 8192, beta_fast 32, beta_slow 1, attention_factor 1.06931)");
  EXPECT_EQ(scaling(K::NTK, 2).str(), "ntk(factor 2)");
  EXPECT_EQ(RopeScalingInfo().str(), "none");
}
