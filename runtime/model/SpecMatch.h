//===- SpecMatch.h - Does a compiled attention spec fit a model? -*- C++ -*-===//
//
// Plain C++ (no kernels), so the checks are unit-tested without them.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_MODEL_SPECMATCH_H
#define ATTNC_RUNTIME_MODEL_SPECMATCH_H

#include "gguf/LlamaConfig.h"

#include <cstdint>
#include <string>

namespace attnc::model {

/// One spec compiled into attn-run's kernel library (attn_model_kernels.h).
struct AttentionKernels {
  const char *name;
  int heads, kvHeads, headDim;
  double theta;
  void (*prepare)(const float *q, int64_t lq, const float *k, int64_t lk, const int64_t *qPos,
                  const int64_t *kPos, float *qf, float *kf);
  void (*rows)(const float *qf, int64_t lq, const float *kf, int64_t lk, const float *v,
               const int64_t *qPos, const int64_t *kPos, int64_t batch, float *out, int64_t begin,
               int64_t end);
};

/// Empty when `k` fits the model (attention shape, RoPE over all head
/// dimensions without scaling, theta), else why not.
std::string mismatch(const AttentionKernels &k, const gguf::LlamaConfig &cfg);

} // namespace attnc::model

#endif
