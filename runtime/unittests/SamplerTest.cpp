//===- SamplerTest.cpp - Distribution properties of model/Sampler ---------===//
#include "model/Sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace attnc::model;

namespace {

/// Logits whose softmax (T = 1) is exactly `probs` up to rounding.
std::vector<float> logitsOf(const std::vector<double> &probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return l;
}

std::vector<float> pseudoRandomLogits(size_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<float> l(n);
  for (auto &x : l) x = static_cast<float>(static_cast<double>(g() >> 11) * 0x1.0p-53 * 10.0 - 5.0);
  return l;
}

TEST(Sampler, ValidateRejectsBadValues) {
  EXPECT_EQ(validate({}), "");
  EXPECT_NE(validate({-0.5f, 0, 1.0f, 0}), "");
  EXPECT_NE(validate({NAN, 0, 1.0f, 0}), "");
  EXPECT_NE(validate({1.0f, -1, 1.0f, 0}), "");
  EXPECT_NE(validate({1.0f, 0, 0.0f, 0}), "");
  EXPECT_NE(validate({1.0f, 0, 1.5f, 0}), "");
}

TEST(Sampler, GreedyIsArgmaxLowestIdOnTie) {
  std::vector<float> l = {1.0f, 3.0f, 3.0f, -2.0f};
  Sampler s({});
  EXPECT_EQ(s.sample(l.data(), l.size()), 1);
  EXPECT_EQ(argmax(l.data(), l.size()), 1);
}

TEST(Sampler, TopK1IsGreedy) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto l = pseudoRandomLogits(1000, seed);
    Sampler s({1.5f, 1, 1.0f, seed});
    for (int draw = 0; draw < 20; ++draw)
      ASSERT_EQ(s.sample(l.data(), l.size()), argmax(l.data(), l.size())) << "seed " << seed;
  }
}

TEST(Sampler, TopKKeepsTheKLargest) {
  auto l = logitsOf({0.1, 0.4, 0.2, 0.3});
  auto c = Sampler({1.0f, 2, 1.0f, 0}).candidates(l.data(), l.size());
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].first, 1);
  EXPECT_EQ(c[1].first, 3);
  EXPECT_NEAR(c[0].second, 0.4 / 0.7, 1e-6);
  EXPECT_NEAR(c[1].second, 0.3 / 0.7, 1e-6);
}

TEST(Sampler, TopPKeepsTheSmallestPrefixReachingP) {
  auto l = logitsOf({0.05, 0.5, 0.15, 0.3}); // sorted: 1 (.5), 3 (.3), 2 (.15), 0 (.05)
  auto kept = [&](float p) { return Sampler({1.0f, 0, p, 0}).candidates(l.data(), l.size()); };
  EXPECT_EQ(kept(0.4f).size(), 1u);  // .5 already reaches .4
  EXPECT_EQ(kept(0.6f).size(), 2u);  // .5 does not, .8 does
  EXPECT_EQ(kept(0.75f).size(), 2u); // .8 >= .75
  EXPECT_EQ(kept(0.85f).size(), 3u); // .95 >= .85
  EXPECT_EQ(kept(0.99f).size(), 4u);
  EXPECT_EQ(kept(1.0f).size(), 4u);
  auto c = kept(0.75f);
  EXPECT_EQ(c[0].first, 1);
  EXPECT_EQ(c[1].first, 3);
  EXPECT_NEAR(c[0].second + c[1].second, 1.0, 1e-6);
  EXPECT_NEAR(c[0].second, 0.5 / 0.8, 1e-5);
  // Draws never leave the kept set.
  Sampler s({1.0f, 0, 0.75f, 7});
  for (int i = 0; i < 2000; ++i) {
    int32_t t = s.sample(l.data(), l.size());
    ASSERT_TRUE(t == 1 || t == 3) << t;
  }
}

TEST(Sampler, DrawFrequenciesMatchTheDistribution) {
  std::vector<double> probs = {0.1, 0.2, 0.3, 0.4};
  auto l = logitsOf(probs);
  Sampler s({1.0f, 0, 1.0f, 42});
  const int n = 40000;
  std::vector<int> count(4);
  for (int i = 0; i < n; ++i) ++count[s.sample(l.data(), l.size())];
  for (int t = 0; t < 4; ++t) // 5 standard deviations of a binomial count
    EXPECT_NEAR(count[t], n * probs[t], 5 * std::sqrt(n * probs[t] * (1 - probs[t]))) << t;
}

TEST(Sampler, SameSeedSameTokens) {
  auto l = pseudoRandomLogits(500, 3);
  auto draws = [&](uint64_t seed) {
    Sampler s({0.8f, 40, 0.95f, seed});
    std::vector<int32_t> out;
    for (int i = 0; i < 200; ++i) out.push_back(s.sample(l.data(), l.size()));
    return out;
  };
  EXPECT_EQ(draws(1234), draws(1234));
  EXPECT_NE(draws(1234), draws(1235));
}

TEST(Sampler, LowTemperatureApproachesGreedy) {
  auto l = pseudoRandomLogits(300, 11);
  int32_t best = argmax(l.data(), l.size());
  l[best] += 0.05f; // a known margin over the runner-up: exp(-0.05 / 0.001) ~ 2e-22
  // The probability of the argmax grows toward 1 as T falls.
  double prev = 0.0;
  for (float t : {2.0f, 1.0f, 0.5f, 0.1f, 0.01f, 0.001f}) {
    auto c = Sampler({t, 0, 1.0f, 0}).candidates(l.data(), l.size());
    ASSERT_EQ(c[0].first, best);
    EXPECT_GE(c[0].second, prev) << "T " << t;
    prev = c[0].second;
  }
  EXPECT_GT(prev, 0.999);
  Sampler s({0.001f, 0, 1.0f, 5});
  for (int i = 0; i < 500; ++i) ASSERT_EQ(s.sample(l.data(), l.size()), best);
}

} // namespace
