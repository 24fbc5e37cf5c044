//===- Model.h - A llama-family GGUF model on attnc kernels ----*- C++ -*-===//
//
// Weights are views into the mmap'ed GGUF file (keep it alive). The dense ops
// are the Halide AOT kernels (runtime/kernels); attention runs through the
// kernels attnc compiled ahead of time from a spec (AttentionKernels). The
// KV cache is contiguous, token-major (the spec's layout); `prepare` rotates
// each new key once, at its position, when it is written (the spec's RoPE
// applies on write and has no length-dependent scaling). Specs whose cache is
// paged, quantized or a ring run attention through their cache kernels
// instead, on a KVCache in the spec's layout (KVCache.h).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_MODEL_MODEL_H
#define ATTNC_RUNTIME_MODEL_MODEL_H

#include "gguf/GGUFFile.h"
#include "gguf/LlamaConfig.h"
#include "kernels/DenseOps.h"
#include "model/GpuKVCache.h"
#include "model/KVCache.h"
#include "model/SpecMatch.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attnc::model {

class GpuDense;

/// Prints "attn-run: error: MSG" and exits with status 1.
[[noreturn]] void die(const std::string &msg);

/// The specs compiled into attn-run (attn_model_kernels.h).
const std::vector<AttentionKernels> &compiledSpecs();

/// Which keys the cache keeps. dense: all. Otherwise StreamingLLM: the first
/// `sinks` tokens and the last `window`; the cache keeps keys un-rotated and
/// every forward rotates them at their position *inside the cache* (so
/// positions stay below sinks + window + batch), through `prepare` with
/// explicit positions. Eviction runs after each forward, so the queries of
/// one batch of n tokens see up to sinks + window + n - 1 keys.
struct CachePolicy {
  int64_t sinks = 0, window = 0; ///< window 0: dense
  bool dense() const { return window == 0; }
  std::string str() const;
};

/// Parses dense | window:W | sinks:N,W; sets `error` on bad input.
CachePolicy parseCachePolicy(const std::string &s, std::string &error);

struct Layer {
  kernels::WeightView wq, wk, wv, wo, gate, up, down;
  const float *attnNorm = nullptr, *ffnNorm = nullptr;
  /// [tokens][kv_heads][head_dim]. Dense: kf holds keys rotated when written.
  /// Otherwise kraw holds them un-rotated and kf is the per-forward rotation.
  std::vector<float> kf, kraw, v;
};

struct Model {
  gguf::LlamaConfig cfg;
  const AttentionKernels *attn = nullptr;
  const gguf::GGUFTensorInfo *embed = nullptr;
  kernels::WeightView output;
  const float *outputNorm = nullptr;
  std::vector<Layer> layers;
  int threads = 2;
  CachePolicy cache;
  /// The spec's own cache, when attention runs on its cache kernels
  /// (attn->usesCacheKernels()); made by reserveCache().
  std::unique_ptr<KVCache> kv;
  /// attn-run --device cuda: attention runs on the GPU, through the spec's
  /// GPU cache kernels on a GpuKVCache (every spec, its cache in the spec's
  /// layout); set before reserveCache(). Null: on the CPU.
  const GpuKernelLibrary *gpuKernels = nullptr;
  gpu::CudaDriver *gpuDriver = nullptr;
  /// With gpuKernels: the dense layers on the GPU too (weights in device
  /// memory, cuBLAS; GpuModel.h), so forward() runs wholly on the device.
  std::shared_ptr<GpuDense> gpuDense;
  bool onCache() const { return attn->usesCacheKernels() || gpuKernels; }
  int64_t seen = 0; ///< tokens run since the cache was cleared (the next position)
  /// Matrices converted at load to a type the matmuls read (Model.cpp
  /// convertForMatmul: Q4_0 -> Q4_1, f16/bf16 -> f32, K-quants -> Q8_0).
  std::vector<std::vector<uint8_t>> convertedWeights;
  /// The repacked matrices of packWeights (the views' `packed` point here).
  std::vector<kernels::PackedWeight> packed;
  /// Single-token steps on the contiguous cache attend through the spec's
  /// decode kernels (the prefill kernel's 16-query tiles would be 1/16 used):
  /// their buffers.
  DecodeScratch decodeScratch;
  size_t peakBytes = 0; ///< the most cacheBytes() held after a forward's appends (before eviction)

  /// Binds the tensors of `file` (dies with a clear message on a missing or
  /// mis-shaped tensor). `attn` must fit `cfg` (see mismatch()).
  static Model load(const gguf::GGUFFile &file, const gguf::LlamaConfig &cfg,
                    const AttentionKernels &attn, int threads);

  /// Repacks every matrix that can be (kernels::packable: q8_0 / q4_1 with
  /// rows % 16 == 0) so its matmuls quantize the activations to int8, as
  /// ggml computes (DenseOps.h); the others stay on the f32 path. Without
  /// it every matmul runs on f32 activations. Returns the bytes packed.
  int64_t packWeights();

  int64_t vocab() const { return output.rows; }
  /// Sizes the spec's KV cache for `capacity` tokens (a ring ignores it);
  /// a no-op for the prefill path. Dies with a clear message on bad input.
  /// `sequences` > 1 (paged specs): the page pool of `capacity` tokens is
  /// shared by that many sequences (forkSequence shares a prompt's pages).
  void reserveCache(int64_t capacity, int64_t sequences = 1);
  /// Continues sequence `seq` of the cache (the next forward appends to it).
  /// Dies with a clear message when the cache has no such sequence.
  void selectSequence(int64_t seq);
  /// Starts the empty sequence `to` as a copy of the current one, its full
  /// pages shared (paged specs; dies with a clear message otherwise).
  void forkSequence(int64_t to);
  /// Tokens held in the KV cache.
  int64_t cached() const;
  /// Empties the KV cache (keeps its memory).
  void clearCache();
  /// Bytes of the cached keys (with the rotation scratch of a sinks/window
  /// cache) and values, all layers; for a KVCache every buffer it holds
  /// (codes, scales, positions, page table).
  size_t cacheBytes() const;
  /// The most cacheBytes() held since load (clearCache keeps it): a
  /// sinks/window cache peaks at sinks + window + batch tokens, a dense one
  /// at the whole sequence.
  size_t peakCacheBytes() const { return std::max(peakBytes, cacheBytes()); }
};

/// Runs `tokens` at positions start.. (start == seen) through the model,
/// appending their keys and values to the cache. Returns the logits of the
/// tokens logitsFrom..n-1 ([n - logitsFrom][vocab]); by default of the last.
std::vector<float> forward(Model &m, const std::vector<int32_t> &tokens, int64_t start,
                           int64_t logitsFrom = -1);

} // namespace attnc::model

#endif
