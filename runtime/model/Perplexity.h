//===- Perplexity.h - Evaluation windows and NLL statistics ----*- C++ -*-===//
//
// The method of llama.cpp's llama-perplexity (re-implemented, not copied), so
// numbers are comparable: the tokenized text (with BOS when the model adds
// one) is cut into non-overlapping chunks of n_ctx tokens, each evaluated from
// an empty cache with its first token replaced by BOS (when the model adds
// BOS), and only the predictions of the second half are scored: position j
// predicts token j + 1 for j in [n_ctx/2, n_ctx - 1). The error is the
// standard error of the mean NLL, times the PPL.
//
// With a stride S (1 <= S <= n_ctx/2), windows of n_ctx tokens start every S
// tokens; the first scores its second half as above and every later one the
// S tokens after the previous window's end, so each scored token is scored
// once, with at least n_ctx - S tokens of context.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_MODEL_PERPLEXITY_H
#define ATTNC_RUNTIME_MODEL_PERPLEXITY_H

#include <cstdint>
#include <string>
#include <vector>

namespace attnc::model {

struct EvalWindow {
  int64_t start;       ///< first token of the window in the text
  int64_t firstScored; ///< window positions firstScored..nCtx-2 predict their next token
};

/// The windows for `nTokens` tokens, at most `maxChunks` (0: all). Sets
/// `error` (and returns none) when the text is too short or an argument bad.
std::vector<EvalWindow> evalWindows(int64_t nTokens, int64_t nCtx, int64_t stride,
                                    int64_t maxChunks, std::string &error);

/// -log softmax(logits)[target], in double.
double negLogLikelihood(const float *logits, int64_t n, int32_t target);

/// Running mean of the NLLs and its standard error.
class NllStats {
public:
  void add(double nll) {
    sum_ += nll;
    sum2_ += nll * nll;
    ++count_;
  }
  int64_t count() const { return count_; }
  double meanNll() const { return count_ ? sum_ / count_ : 0.0; }
  double ppl() const;
  /// Standard error of the PPL: ppl * sqrt(var(nll) / (count - 1)).
  double pplError() const;

private:
  double sum_ = 0.0, sum2_ = 0.0;
  int64_t count_ = 0;
};

} // namespace attnc::model

#endif
