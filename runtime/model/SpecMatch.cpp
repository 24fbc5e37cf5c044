//===- SpecMatch.cpp - Does a compiled attention spec fit a model? --------===//
#include "model/SpecMatch.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attnc::model {

std::string CacheLayout::str() const {
  std::string s;
  switch (kind) {
  case Kind::Contiguous: s = "contiguous"; break;
  case Kind::Paged: s = "paged(" + std::to_string(pageSize) + ")"; break;
  case Kind::Ring:
    return "ring(" + std::to_string(sinks) + "+" + std::to_string(window) + ")";
  }
  s += headMajor ? " hnd" : " nhd";
  if (quant == Quant::Int8) s += " int8";
  if (quant == Quant::FP8) s += " fp8";
  if (quant == Quant::Int4)
    s += " int4(" + std::to_string(group) + ", keys " +
         (keysPerChannel ? "per channel" : "per token") + ", values " +
         (valuesPerChannel ? "per channel" : "per token") + ")";
  else if (anyPerChannel())
    s += " per channel";
  return s;
}

std::string RopeScalingInfo::str() const {
  auto num = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return std::string(b);
  };
  switch (kind) {
  case Kind::None: return "none";
  case Kind::Linear: return "linear(factor " + num(factor) + ")";
  case Kind::NTK: return "ntk(factor " + num(factor) + ")";
  case Kind::YaRN:
    return "yarn(factor " + num(factor) + ", original_context " + std::to_string(originalContext) +
           ", beta_fast " + num(betaFast) + ", beta_slow " + num(betaSlow) + ", attention_factor " +
           num(attentionFactor) + ")";
  }
  return "?";
}

bool RopeScalingInfo::same(const RopeScalingInfo &o) const {
  auto eq = [](double a, double b) { return std::fabs(a - b) <= 1e-6 * std::max(std::fabs(a), std::fabs(b)); };
  if (kind != o.kind)
    return false;
  if (kind == Kind::None)
    return true;
  if (!eq(factor, o.factor))
    return false;
  return kind != Kind::YaRN || (originalContext == o.originalContext && eq(betaFast, o.betaFast) &&
                                eq(betaSlow, o.betaSlow) && eq(attentionFactor, o.attentionFactor));
}

std::string mismatch(const AttentionKernels &k, const gguf::LlamaConfig &cfg) {
  if ((int)cfg.nHeads != k.heads || (int)cfg.nKVHeads != k.kvHeads || (int)cfg.headDim != k.headDim)
    return "the model's attention shape (" + std::to_string(cfg.nHeads) + " heads, " +
           std::to_string(cfg.nKVHeads) + " kv heads, head_dim " + std::to_string(cfg.headDim) +
           ") differs from the kernels' spec " + k.name + " (" + std::to_string(k.heads) + ", " +
           std::to_string(k.kvHeads) + ", " + std::to_string(k.headDim) + ")";
  // The compiled specs rotate every dimension, without scaling.
  if (cfg.ropeDimensionCount != 0 && cfg.ropeDimensionCount != cfg.headDim)
    return "the model rotates " + std::to_string(cfg.ropeDimensionCount) + " of " +
           std::to_string(cfg.headDim) + " head dimensions; the kernels' spec " + k.name +
           " rotates all of them";
  if (cfg.ropeScalingType != "none" && cfg.ropeScalingFactor != 1.0f)
    return "the model uses rope scaling '" + cfg.ropeScalingType + "' (factor " +
           std::to_string(cfg.ropeScalingFactor) + "), the kernels' spec " + k.name + " none";
  if (std::fabs(cfg.ropeFreqBase - k.theta) > 1e-3 * k.theta)
    return "the model's rope.freq_base (" + std::to_string(cfg.ropeFreqBase) +
           ") differs from the theta of the kernels' spec " + k.name + " (" +
           std::to_string(k.theta) + ")";
  return "";
}

} // namespace attnc::model
