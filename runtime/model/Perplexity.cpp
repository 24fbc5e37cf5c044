//===- Perplexity.cpp - Evaluation windows and NLL statistics -------------===//
#include "model/Perplexity.h"

#include <algorithm>
#include <cmath>

namespace attnc::model {

std::vector<EvalWindow> evalWindows(int64_t nTokens, int64_t nCtx, int64_t stride,
                                    int64_t maxChunks, std::string &error) {
  std::vector<EvalWindow> w;
  error.clear();
  if (nCtx < 4) {
    error = "--ctx must be at least 4";
    return w;
  }
  if (stride < 0 || stride > nCtx / 2) {
    error = "--stride must be in [1, ctx/2] = [1, " + std::to_string(nCtx / 2) + "]";
    return w;
  }
  // As llama.cpp: two windows' worth, so that every estimate has context.
  if (nTokens < 2 * nCtx) {
    error = "the text tokenizes to " + std::to_string(nTokens) + " tokens; a context of " +
            std::to_string(nCtx) + " needs at least " + std::to_string(2 * nCtx);
    return w;
  }
  const int64_t half = nCtx / 2, step = stride ? stride : nCtx;
  for (int64_t start = 0; start + nCtx <= nTokens; start += step) {
    if (maxChunks > 0 && (int64_t)w.size() == maxChunks)
      break;
    w.push_back({start, (start == 0 || !stride) ? half : nCtx - 1 - stride});
  }
  return w;
}

double negLogLikelihood(const float *logits, int64_t n, int32_t target) {
  double maxL = *std::max_element(logits, logits + n), sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(double(logits[i]) - maxL);
  return std::log(sum) + maxL - logits[target];
}

double NllStats::ppl() const { return std::exp(meanNll()); }

double NllStats::pplError() const {
  if (count_ < 2)
    return 0.0;
  double mean = meanNll(), var = sum2_ / count_ - mean * mean;
  return var > 0 ? ppl() * std::sqrt(var / (count_ - 1)) : 0.0;
}

} // namespace attnc::model
