//===- LlamaConfig.h - llama-family hyper-parameters from GGUF -*- C++ -*-===//
#ifndef ATTNC_RUNTIME_GGUF_LLAMACONFIG_H
#define ATTNC_RUNTIME_GGUF_LLAMACONFIG_H

#include "gguf/Error.h"

#include <cstdint>
#include <string>

namespace attnc::gguf {

class GGUFFile;

/// Hyper-parameters of a llama-family model, read from the `{arch}.*` keys.
struct LlamaConfig {
  std::string architecture;      ///< general.architecture, e.g. "llama"
  uint32_t nLayers = 0;          ///< {arch}.block_count
  uint32_t contextLength = 0;    ///< {arch}.context_length
  uint32_t embeddingLength = 0;  ///< {arch}.embedding_length
  uint32_t feedForwardLength = 0;///< {arch}.feed_forward_length
  uint32_t nHeads = 0;           ///< {arch}.attention.head_count
  uint32_t nKVHeads = 0;         ///< {arch}.attention.head_count_kv (default nHeads)
  uint32_t headDim = 0;          ///< embeddingLength / nHeads
  float rmsNormEps = 0;          ///< {arch}.attention.layer_norm_rms_epsilon
  float ropeFreqBase = 10000.0f; ///< {arch}.rope.freq_base
  uint32_t ropeDimensionCount = 0; ///< {arch}.rope.dimension_count (default headDim)
  std::string ropeScalingType = "none"; ///< {arch}.rope.scaling.type
  float ropeScalingFactor = 1.0f;       ///< {arch}.rope.scaling.factor
  uint32_t ropeScalingOrigContext = 0;  ///< {arch}.rope.scaling.original_context_length
  uint32_t vocabSize = 0; ///< {arch}.vocab_size or len(tokenizer.ggml.tokens)

  /// Reads and validates the configuration. Missing required keys
  /// (block_count, context_length, embedding_length, feed_forward_length,
  /// attention.head_count, attention.layer_norm_rms_epsilon, and a vocab
  /// size) and inconsistent values are errors.
  static Expected<LlamaConfig> fromGGUF(const GGUFFile &file);

  /// Multi-line "key: value" rendering.
  std::string toString() const;
};

} // namespace attnc::gguf

#endif // ATTNC_RUNTIME_GGUF_LLAMACONFIG_H
