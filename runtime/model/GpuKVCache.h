//===- GpuKVCache.h - The KV cache in a spec's layout, on the GPU -*- C++ -*-===//
//
// `attn-run --device cuda`: the model's KV cache lives in device memory in
// the spec's layout (the same buffers as KVCache.cpp's, docs/kernels.md
// "Cache buffers"), and attention runs through the spec's GPU cache kernels
// from the GPU kernel library (attnc build --gpu-arch; LIB_gpu_append and
// LIB_gpu_decode): per layer, the new tokens' K/V and queries go to the
// device, append writes them (RoPE on write, quantization), the split-KV
// decode attends every query row over the cache and the output comes back.
// The page table of a paged spec is kept on the host (PageAllocator) and
// copied to the device after it changes. With the dense layers on the GPU
// too (GpuModel.h), the activations never leave the device.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_MODEL_GPUKVCACHE_H
#define ATTNC_RUNTIME_MODEL_GPUKVCACHE_H

#include "model/KVCache.h"
#include "runtime/gpu/CudaDriver.h"

namespace attnc::model {

/// A device buffer as the GPU kernel library takes it (LIB_gpu_buffer).
struct GpuBuffer {
  void *data;
  int64_t rank;
  int64_t sizes[4];
};

/// The by-name entry points of a GPU kernel library.
struct GpuKernelLibrary {
  int (*decode)(const char *spec, const GpuBuffer *b, int64_t num, void *stream) = nullptr;
  int (*append)(const char *spec, const GpuBuffer *b, int64_t num, int64_t seq, int64_t len,
                int32_t *status, void *stream) = nullptr;
  const char *(*error)() = nullptr;
  int (*loadedArch)() = nullptr;
  /// The model operations (attn-add-model-ops) on device pointers: for the
  /// dense layers on the GPU (GpuModel.h).
  int (*rmsnorm)(const float *x, const float *w, float *out, int64_t rows, int64_t dim, float eps,
                 void *stream) = nullptr;
  int (*swiglu)(const float *gate, const float *up, float *out, int64_t count, void *stream) = nullptr;
};

/// A KV cache in device memory: attend() takes and returns host arrays;
/// attendOnDevice() takes device pointers (the GPU forward's activations)
/// and only enqueues the decode (on the legacy default stream, as every
/// other GPU step): nothing is copied to the host but the append status.
class DeviceKVCache : public LayoutKVCache {
public:
  using LayoutKVCache::LayoutKVCache;
  /// attend() on device arrays q [n][heads][D], k, v [n][kv_heads][D] (un-
  /// rotated), out [n][heads][D]. Enqueues only: the appends' status words
  /// stay on the device until checkAppends().
  virtual bool attendOnDevice(int layer, const float *q, const float *k, const float *v, int64_t n,
                              float *out, std::string &error) = 0;
  /// Waits for the enqueued work and reports the first append the kernels
  /// refused since the last check (one synchronization per forward pass
  /// instead of one per layer; the host's reserve() already keeps appends
  /// within capacity and pages, so a refusal is a consistency error).
  virtual bool checkAppends(std::string &error) = 0;
};

/// A KV cache of `layers` layers in device memory, for `capacity` tokens
/// (a ring ignores it) and `sequences` sequences (paged only). Null, with
/// `error` set, on bad sizes, a spec without cache kernels, or a driver or
/// device-memory failure.
std::unique_ptr<DeviceKVCache> makeGpuKVCache(const AttentionKernels &a, const GpuKernelLibrary &lib,
                                        gpu::CudaDriver &driver, int layers, int64_t capacity,
                                        std::string &error, int64_t sequences = 1);

} // namespace attnc::model

#endif
