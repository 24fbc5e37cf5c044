//===- Sampler.cpp - Next-token sampling ----------------------------------===//
#include "model/Sampler.h"

#include <algorithm>
#include <cmath>

namespace attnc::model {

std::string validate(const SamplerOptions &o) {
  if (!std::isfinite(o.temperature) || o.temperature < 0.0f)
    return "--temperature must be a finite number >= 0";
  if (o.topK < 0)
    return "--top-k must be >= 0 (0 disables it)";
  if (!std::isfinite(o.topP) || o.topP <= 0.0f || o.topP > 1.0f)
    return "--top-p must be in (0, 1]";
  return "";
}

int32_t argmax(const float *logits, size_t n) {
  return static_cast<int32_t>(std::max_element(logits, logits + n) - logits);
}

Sampler::Sampler(const SamplerOptions &o) : opts_(o), rng_(o.seed) {}

std::vector<std::pair<int32_t, float>> Sampler::candidates(const float *logits, size_t n) const {
  if (opts_.temperature == 0.0f || n == 0)
    return {{argmax(logits, n), 1.0f}};
  std::vector<std::pair<int32_t, float>> c(n);
  for (size_t i = 0; i < n; ++i) c[i] = {static_cast<int32_t>(i), logits[i]};
  auto byLogit = [](const auto &a, const auto &b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  };
  size_t keep = opts_.topK > 0 ? std::min<size_t>(opts_.topK, n) : n;
  std::partial_sort(c.begin(), c.begin() + keep, c.end(), byLogit);
  c.resize(keep);
  // Softmax of logit / T in double, max subtracted (c[0] is the max).
  double maxL = c[0].second, sum = 0.0;
  std::vector<double> p(keep);
  for (size_t i = 0; i < keep; ++i) sum += p[i] = std::exp((c[i].second - maxL) / opts_.temperature);
  // Top-p: the smallest prefix whose probability reaches P (at least one).
  size_t cut = keep;
  if (opts_.topP < 1.0f) {
    double acc = 0.0;
    for (size_t i = 0; i < keep; ++i) {
      acc += p[i] / sum;
      if (acc >= opts_.topP) { cut = i + 1; break; }
    }
  }
  double kept = 0.0;
  for (size_t i = 0; i < cut; ++i) kept += p[i];
  c.resize(cut);
  for (size_t i = 0; i < cut; ++i) c[i].second = static_cast<float>(p[i] / kept);
  return c;
}

int32_t Sampler::sample(const float *logits, size_t n) {
  if (opts_.temperature == 0.0f)
    return argmax(logits, n);
  auto c = candidates(logits, n);
  // 53 random bits -> uniform double in [0, 1).
  double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53, acc = 0.0;
  for (const auto &[id, prob] : c)
    if ((acc += prob) > u)
      return id;
  return c.back().first; // rounding left u above the last partial sum
}

} // namespace attnc::model
