//===- LlamaConfig.cpp - llama-family hyper-parameters from GGUF ----------===//
#include "gguf/LlamaConfig.h"
#include "gguf/GGUFFile.h"

#include <cinttypes>

namespace attnc::gguf {

namespace {
class Reader {
public:
  Reader(const GGUFFile &f, std::string prefix)
      : f_(f), prefix_(std::move(prefix)) {}

  std::string key(const char *suffix) const { return prefix_ + suffix; }

  /// Required unsigned 32-bit value (any integer type, range checked).
  Error u32(const char *suffix, uint32_t &out, bool required = true,
            bool nonZero = true) {
    std::string k = key(suffix);
    const GGUFKV *kv = f_.findKV(k);
    if (!kv) {
      if (required)
        return makeError("gguf: llama config: missing required key '%s'",
                         k.c_str());
      return Error::success();
    }
    if (kv->value.isArray())
      return makeError("gguf: llama config: '%s' is an array (per-layer "
                       "values are not supported)",
                       k.c_str());
    auto v = f_.getUInt(k);
    if (!v)
      return Error::failure("gguf: llama config: " + v.message().substr(6));
    if (*v > UINT32_MAX || (nonZero && *v == 0))
      return makeError("gguf: llama config: '%s' has invalid value %" PRIu64,
                       k.c_str(), *v);
    out = static_cast<uint32_t>(*v);
    return Error::success();
  }

  Error f32(const char *suffix, float &out, bool required) {
    std::string k = key(suffix);
    if (!f_.hasKey(k)) {
      if (required)
        return makeError("gguf: llama config: missing required key '%s'",
                         k.c_str());
      return Error::success();
    }
    auto v = f_.getFloat(k);
    if (!v)
      return Error::failure("gguf: llama config: " + v.message().substr(6));
    out = static_cast<float>(*v);
    return Error::success();
  }

private:
  const GGUFFile &f_;
  std::string prefix_;
};
} // namespace

Expected<LlamaConfig> LlamaConfig::fromGGUF(const GGUFFile &file) {
  LlamaConfig c;
  auto arch = file.getString("general.architecture");
  if (!arch)
    return Error::failure("gguf: llama config: " + arch.message().substr(6));
  c.architecture = std::string(*arch);
  if (c.architecture.empty())
    return makeError("gguf: llama config: general.architecture is empty");
  Reader r(file, c.architecture + ".");

  if (Error e = r.u32("block_count", c.nLayers)) return e;
  if (Error e = r.u32("context_length", c.contextLength)) return e;
  if (Error e = r.u32("embedding_length", c.embeddingLength)) return e;
  if (Error e = r.u32("feed_forward_length", c.feedForwardLength)) return e;
  if (Error e = r.u32("attention.head_count", c.nHeads)) return e;
  c.nKVHeads = c.nHeads;
  if (Error e = r.u32("attention.head_count_kv", c.nKVHeads, false)) return e;
  if (Error e = r.f32("attention.layer_norm_rms_epsilon", c.rmsNormEps, true))
    return e;
  if (Error e = r.f32("rope.freq_base", c.ropeFreqBase, false)) return e;

  if (c.embeddingLength % c.nHeads != 0)
    return makeError("gguf: llama config: embedding_length %u is not a "
                     "multiple of head_count %u",
                     c.embeddingLength, c.nHeads);
  c.headDim = c.embeddingLength / c.nHeads;
  if (c.nHeads % c.nKVHeads != 0)
    return makeError("gguf: llama config: head_count %u is not a multiple of "
                     "head_count_kv %u",
                     c.nHeads, c.nKVHeads);
  c.ropeDimensionCount = c.headDim;
  if (Error e = r.u32("rope.dimension_count", c.ropeDimensionCount, false))
    return e;
  if (c.ropeDimensionCount > c.headDim || c.ropeDimensionCount % 2 != 0)
    return makeError("gguf: llama config: rope.dimension_count %u must be "
                     "even and at most the head size %u",
                     c.ropeDimensionCount, c.headDim);
  if (!(c.rmsNormEps > 0.0f) || !(c.ropeFreqBase > 0.0f))
    return makeError("gguf: llama config: layer_norm_rms_epsilon (%g) and "
                     "rope.freq_base (%g) must be positive",
                     static_cast<double>(c.rmsNormEps),
                     static_cast<double>(c.ropeFreqBase));

  // RoPE scaling (optional). Older files use rope.scale_linear.
  std::string scalingKey = r.key("rope.scaling.type");
  if (file.hasKey(scalingKey)) {
    auto t = file.getString(scalingKey);
    if (!t)
      return Error::failure("gguf: llama config: " + t.message().substr(6));
    c.ropeScalingType = std::string(*t);
  }
  if (file.hasKey(r.key("rope.scaling.factor"))) {
    if (Error e = r.f32("rope.scaling.factor", c.ropeScalingFactor, false))
      return e;
  } else if (file.hasKey(r.key("rope.scale_linear"))) {
    if (Error e = r.f32("rope.scale_linear", c.ropeScalingFactor, false))
      return e;
    if (!file.hasKey(scalingKey))
      c.ropeScalingType = "linear";
  }
  if (c.ropeScalingFactor == 0.0f) // ggml treats 0 as "no scaling"
    c.ropeScalingFactor = 1.0f;
  if (!(c.ropeScalingFactor > 0.0f))
    return makeError("gguf: llama config: rope.scaling.factor %g must be "
                     "positive",
                     static_cast<double>(c.ropeScalingFactor));
  if (Error e = r.u32("rope.scaling.original_context_length",
                      c.ropeScalingOrigContext, false, false))
    return e;

  // Vocabulary size.
  if (file.hasKey(r.key("vocab_size"))) {
    if (Error e = r.u32("vocab_size", c.vocabSize)) return e;
  } else if (file.hasKey("tokenizer.ggml.tokens")) {
    auto toks = file.getArray("tokenizer.ggml.tokens");
    if (!toks)
      return Error::failure("gguf: llama config: " + toks.message().substr(6));
    if ((*toks)->count == 0 || (*toks)->count > UINT32_MAX)
      return makeError("gguf: llama config: tokenizer.ggml.tokens has %" PRIu64
                       " entries",
                       (*toks)->count);
    c.vocabSize = static_cast<uint32_t>((*toks)->count);
  } else {
    return makeError("gguf: llama config: missing vocabulary size (neither "
                     "'%s' nor 'tokenizer.ggml.tokens' is present)",
                     r.key("vocab_size").c_str());
  }
  return c;
}

std::string LlamaConfig::toString() const {
  std::string s;
  s += formatString("architecture: %s\n", architecture.c_str());
  s += formatString("n_layers: %u\n", nLayers);
  s += formatString("context_length: %u\n", contextLength);
  s += formatString("embedding_length: %u\n", embeddingLength);
  s += formatString("feed_forward_length: %u\n", feedForwardLength);
  s += formatString("n_heads: %u\n", nHeads);
  s += formatString("n_kv_heads: %u\n", nKVHeads);
  s += formatString("head_dim: %u\n", headDim);
  s += formatString("rms_norm_eps: %g\n", static_cast<double>(rmsNormEps));
  s += formatString("rope_freq_base: %g\n", static_cast<double>(ropeFreqBase));
  s += formatString("rope_dimension_count: %u\n", ropeDimensionCount);
  s += formatString("rope_scaling_type: %s\n", ropeScalingType.c_str());
  s += formatString("rope_scaling_factor: %g\n",
                    static_cast<double>(ropeScalingFactor));
  s += formatString("rope_scaling_original_context_length: %u\n",
                    ropeScalingOrigContext);
  s += formatString("vocab_size: %u\n", vocabSize);
  return s;
}

} // namespace attnc::gguf
