//===- PerplexityTest.cpp - model/Perplexity windows and statistics -------===//
#include "model/Perplexity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace attnc::model;

namespace {

TEST(Perplexity, DefaultChunksAreLlamaCpps) {
  std::string err;
  auto w = evalWindows(1300, 512, 0, 0, err);
  ASSERT_EQ(err, "");
  ASSERT_EQ(w.size(), 2u); // 1300 / 512; the tail is not evaluated
  EXPECT_EQ(w[0].start, 0);
  EXPECT_EQ(w[1].start, 512);
  EXPECT_EQ(w[0].firstScored, 256);
  EXPECT_EQ(w[1].firstScored, 256);
  EXPECT_EQ(evalWindows(5000, 512, 0, 3, err).size(), 3u);
}

TEST(Perplexity, StrideScoresEveryTokenOnce) {
  for (int64_t stride : {1, 7, 64, 128}) {
    const int64_t n = 700, ctx = 256;
    std::string err;
    auto w = evalWindows(n, ctx, stride, 0, err);
    ASSERT_EQ(err, "");
    std::vector<int> scored(n);
    for (const auto &win : w)
      for (int64_t j = win.firstScored; j < ctx - 1; ++j) ++scored[win.start + j + 1];
    int64_t expectLast = w.back().start + ctx - 1;
    for (int64_t t = 0; t < n; ++t)
      ASSERT_EQ(scored[t], (t > ctx / 2 && t <= expectLast) ? 1 : 0) << "stride " << stride << " token " << t;
    EXPECT_GT(expectLast, n - 1 - stride); // the windows reach the end of the text
  }
}

TEST(Perplexity, BadArgumentsAreErrors) {
  std::string err;
  EXPECT_TRUE(evalWindows(1000, 512, 0, 0, err).empty());
  EXPECT_NE(err.find("needs at least 1024"), std::string::npos) << err;
  EXPECT_TRUE(evalWindows(5000, 512, 257, 0, err).empty());
  EXPECT_NE(err.find("--stride"), std::string::npos) << err;
  EXPECT_TRUE(evalWindows(5000, 2, 0, 0, err).empty());
  EXPECT_NE(err.find("--ctx"), std::string::npos) << err;
}

TEST(Perplexity, NllAndStats) {
  std::vector<float> uniform(100, 3.0f);
  EXPECT_NEAR(negLogLikelihood(uniform.data(), 100, 42), std::log(100.0), 1e-9);
  std::vector<float> l = {0.0f, std::log(3.0f)}; // p = 1/4, 3/4
  EXPECT_NEAR(negLogLikelihood(l.data(), 2, 0), std::log(4.0), 1e-6);
  NllStats s;
  for (int i = 0; i < 10; ++i) s.add(2.0);
  EXPECT_NEAR(s.ppl(), std::exp(2.0), 1e-9);
  EXPECT_EQ(s.pplError(), 0.0);
  NllStats t;
  t.add(1.0);
  t.add(3.0); // mean 2, population variance 1, standard error sqrt(1 / 1)
  EXPECT_NEAR(t.pplError(), std::exp(2.0) * 1.0, 1e-9);
}

} // namespace
