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

/// The KV-cache layout a spec declares (docs/semantics.md §8).
struct CacheLayout {
  enum class Kind { Contiguous, Paged, Ring } kind = Kind::Contiguous;
  enum class Quant { None, Int8, FP8, Int4 } quant = Quant::None;
  /// Each side of a quantized cache: per channel (one scale, and for int4
  /// one minimum, per token group of `group`, KV head and channel; the
  /// incomplete group stays in a residual), else per token (int8/fp8: one
  /// scale per token and KV head; int4: per channel group of `group`).
  bool keysPerChannel = false, valuesPerChannel = false;
  int64_t group = 0;          ///< int4, or the token group of a per-channel side (32 for int8/fp8)
  bool headMajor = false;     ///< hnd: [..][kv_heads][slots][D]; else nhd [..][slots][kv_heads][D]
  int64_t pageSize = 0;       ///< paged
  int64_t sinks = 0, window = 0; ///< ring: sinks + window slots
  /// The plain contiguous f32 token-major cache that the prefill path keeps.
  bool plain() const { return kind == Kind::Contiguous && quant == Quant::None && !headMajor; }
  bool anyPerChannel() const { return keysPerChannel || valuesPerChannel; }
  /// "contiguous nhd", "paged(16) nhd int8", "ring(4+1020)",
  /// "paged(32) nhd int4(32, keys per channel, values per token)".
  std::string str() const;
};

/// One layer's cache storage, in the spec's layout, as the cache kernels see
/// it (owned by the KVCache). rows: sequences (contiguous, ring) or physical
/// pages (paged); slots: capacity, page size or sinks + window.
struct CacheStorage {
  void *k = nullptr, *v = nullptr; ///< float, or int8 codes / fp8 bit patterns / int4 pairs when quantized
  int64_t *pos = nullptr;          ///< [rows][slots]
  /// Quantized only: [rows] + kScaleDims (docs/kernels.md, "Cache buffers"):
  /// per token [slots][kv_heads] (int8, fp8; the last dim 0) or
  /// [slots][kv_heads][ceil(D / group)] (int4); per channel [slots / group][kv_heads][D].
  float *kScale = nullptr, *vScale = nullptr;
  int64_t kScaleDims[3] = {0, 0, 0}, vScaleDims[3] = {0, 0, 0};
  float *kMin = nullptr, *vMin = nullptr;     ///< int4: shaped as the scales
  float *kResid = nullptr, *vResid = nullptr; ///< a per-channel side: [seqs][group][kv_heads][D]
  int64_t *seqLen = nullptr;                  ///< any per-channel side: [seqs] tokens appended
  int64_t group = 0;                          ///< the residual's token group
  int32_t *pageTable = nullptr;    ///< [seqs][maxPages], paged only; unused entries -1
  int64_t rows = 0, slots = 0, seqs = 0, maxPages = 0;
  bool headMajor = false;          ///< hnd: [rows][kv_heads][slots][D]
};

/// A spec's cache kernels (docs/kernels.md, "Decode and append") behind one
/// signature for every layout; null when the spec has none. K/V/Q are
/// un-rotated: append and decode apply the spec's RoPE.
struct CacheKernels {
  /// Writes n tokens (k, v [n][kv_heads][D], positions pos) of sequence seq
  /// after its first len; returns the kernel's status (0 ok, 1 capacity, 2
  /// page missing, 3 no such sequence, 4 len inside a quantized token group).
  int32_t (*append)(const float *k, const float *v, const int64_t *pos, int64_t n,
                    const CacheStorage &c, int64_t seq, int64_t len) = nullptr;
  /// Work items [begin, end) of [0, rows * blocks * splits): query row b
  /// (q [rows][heads][D] at qPos[b]) reads sequence qSeq[b] over its first
  /// lens[b] tokens (several rows of one sequence: a prefill chunk).
  void (*decodeSplit)(const float *q, const int64_t *qPos, const int64_t *qSeq, int64_t rows,
                      const CacheStorage &c, const int64_t *lens, float *partOut,
                      float *partLse, int64_t splits, int64_t begin, int64_t end) = nullptr;
  /// Work items [begin, end) of [0, rows * heads): out [rows][heads][D].
  void (*decodeMerge)(const float *partOut, const float *partLse, int64_t rows, int64_t splits,
                      float *out, int64_t begin, int64_t end) = nullptr;
  /// A decode_split work item covers this many KV heads (the header's
  /// NAME_decode_heads_per_block: one, or all of them for a ring rotated at read).
  int64_t headsPerBlock = 0;
};

/// The static RoPE scaling a compiled spec's kernels apply (docs/semantics.md
/// §5.3-5.4): none, linear (positions / factor), NTK (base * factor^(d/(d-2)))
/// or YaRN (NTK-by-parts over originalContext, cos/sin times attentionFactor).
struct RopeScalingInfo {
  enum class Kind { None, Linear, NTK, YaRN } kind = Kind::None;
  double factor = 1.0;
  int64_t originalContext = 0;                ///< YaRN
  double betaFast = 32.0, betaSlow = 1.0;     ///< YaRN
  double attentionFactor = 1.0;               ///< YaRN
  bool none() const { return kind == Kind::None; }
  /// "none", "linear(factor 2)", "ntk(factor 2)",
  /// "yarn(factor 2, original_context 8192, beta_fast 32, beta_slow 1, attention_factor 1.0693)".
  std::string str() const;
  /// Same kind and parameters (to 1e-6 relative).
  bool same(const RopeScalingInfo &o) const;
};

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
  CacheLayout cache;
  CacheKernels cacheKernels; ///< append null: no cache kernels
  RopeScalingInfo scaling;   ///< RoPE scaling of the spec (none for the GGUF's own RoPE)
  bool hasCacheKernels() const { return cacheKernels.append != nullptr; }
  /// Attention runs through the cache kernels (KVCache) rather than the
  /// prefill kernels over the plain contiguous cache.
  bool usesCacheKernels() const { return hasCacheKernels() && !cache.plain(); }
};

/// Empty when `k` fits the model (attention shape, RoPE over all head
/// dimensions without scaling in the GGUF, theta), else why not. The spec's
/// own scaling (k.scaling) is not compared: a scaled spec applies it on
/// purpose to an unscaled model (context extension without fine-tuning).
std::string mismatch(const AttentionKernels &k, const gguf::LlamaConfig &cfg);

} // namespace attnc::model

#endif
