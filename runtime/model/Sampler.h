//===- Sampler.h - Next-token sampling (temperature, top-k, top-p) -*- C++ -*-===//
//
// Plain C++17 (no kernels, no LLVM), so the unit tests build everywhere.
// Order: temperature, then top-k, then top-p (nucleus) on the tempered
// distribution, then one draw. Temperature 0 is greedy (argmax, lowest id on
// a tie) and ignores top-k/top-p. The random source is a seeded
// std::mt19937_64 (specified by the standard) turned into [0, 1) by hand, so
// a seed gives the same tokens on every platform.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_MODEL_SAMPLER_H
#define ATTNC_RUNTIME_MODEL_SAMPLER_H

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace attnc::model {

struct SamplerOptions {
  float temperature = 0.0f; ///< 0: greedy
  int topK = 0;             ///< 0: no top-k
  float topP = 1.0f;        ///< 1: no top-p
  uint64_t seed = 0;
};

/// Empty when `o` is valid, else a message naming the bad option.
std::string validate(const SamplerOptions &o);

/// Index of the largest logit (the lowest index among equal ones).
int32_t argmax(const float *logits, size_t n);

class Sampler {
public:
  /// `o` must be valid (see validate()).
  explicit Sampler(const SamplerOptions &o);

  /// The distribution a draw uses: (token, probability) sorted by decreasing
  /// probability (ties: lower id first), after temperature, top-k and top-p,
  /// renormalized. Greedy: the argmax with probability 1.
  std::vector<std::pair<int32_t, float>> candidates(const float *logits, size_t n) const;

  /// Draws the next token (advances the random state unless greedy).
  int32_t sample(const float *logits, size_t n);

private:
  SamplerOptions opts_;
  std::mt19937_64 rng_;
};

} // namespace attnc::model

#endif
