//===- TestModels.h - Fabricated llama models for the model tests -*- C++ -*-===//
//
// The GGUF keys of a llama model with SmolLM2-135M's attention (9 heads, 3 KV
// heads, head_dim 64, theta 100000, eps 1e-5, 8192 positions) and a
// placeholder SentencePiece vocabulary of `vocab` tokens, for the model tests
// that fabricate their weights (ModelCacheTest, ModelReferenceTest), and a
// helper that runs tokens through a model in chunks.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_MODEL_TESTMODELS_H
#define ATTNC_RUNTIME_MODEL_TESTMODELS_H

#include "gguf/GGUFWriter.h"
#include "model/Model.h"

#include <algorithm>

#include <cstdint>
#include <string>
#include <vector>

namespace attnc::model::test {

inline void addSmolLM2AttentionMetadata(gguf::GGUFWriter &w, const std::string &name, int layers,
                                        int64_t embd, int64_t ff, int64_t vocab) {
  w.add("general.architecture", gguf::MetaValue::string("llama"));
  w.add("general.name", gguf::MetaValue::string(name));
  w.add("llama.block_count", gguf::MetaValue::u32(layers));
  w.add("llama.context_length", gguf::MetaValue::u32(8192));
  w.add("llama.embedding_length", gguf::MetaValue::u32(embd));
  w.add("llama.feed_forward_length", gguf::MetaValue::u32(ff));
  w.add("llama.attention.head_count", gguf::MetaValue::u32(9));
  w.add("llama.attention.head_count_kv", gguf::MetaValue::u32(3));
  w.add("llama.attention.layer_norm_rms_epsilon", gguf::MetaValue::f32(1e-5f));
  w.add("llama.rope.freq_base", gguf::MetaValue::f32(100000.0f));
  w.add("llama.rope.dimension_count", gguf::MetaValue::u32(64));
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};
  while ((int64_t)tokens.size() < vocab) {
    tokens.push_back("tok" + std::to_string(tokens.size()));
    scores.push_back(-(float)tokens.size());
    types.push_back(1);
  }
  w.add("tokenizer.ggml.model", gguf::MetaValue::string("llama"));
  w.add("tokenizer.ggml.tokens", gguf::MetaValue::stringArray(tokens));
  w.add("tokenizer.ggml.scores", gguf::MetaValue::f32Array(scores));
  w.add("tokenizer.ggml.token_type", gguf::MetaValue::i32Array(types));
}

/// Logits of every token of `ids` (positions start..), run through `m` in
/// forwards of the given sizes (cycled).
inline std::vector<float> runInChunks(Model &m, const std::vector<int32_t> &ids,
                                      const std::vector<int64_t> &chunks, int64_t start = 0) {
  std::vector<float> all;
  size_t c = 0;
  for (int64_t at = 0; at < (int64_t)ids.size(); ++c) {
    int64_t n = std::min<int64_t>(chunks[c % chunks.size()], ids.size() - at);
    std::vector<float> l =
        forward(m, std::vector<int32_t>(ids.begin() + at, ids.begin() + at + n), start + at, 0);
    all.insert(all.end(), l.begin(), l.end());
    at += n;
  }
  return all;
}

} // namespace attnc::model::test

#endif
