//===- GpuModel.h - A model's dense layers on the GPU -----------*- C++ -*-===//
//
// `attn-run --device cuda`: the whole forward pass on the GPU. Every matrix
// is dequantized once to f32 in device memory (from the same views the CPU
// matmuls read); the linear layers are cuBLAS SGEMMs (the residual additions
// ride on beta = 1); RMSNorm and SwiGLU are the model operations of the GPU
// kernel library (attn-add-model-ops: MLIR -> PTX, like the attention);
// attention is the spec's GPU append + decode on the DeviceKVCache. Only the
// new tokens' embeddings go to the device and only the asked-for logits come
// back (plus the appends' status words, once per forward). Activations are
// f32: the GPU path has no int8-activation products. W_q|W_k|W_v and
// W_gate|W_up sit back to back in device memory, so a one-token step (decode)
// runs each group as one SGEMM whose output row is q|k|v (gate|up): 4
// products per layer instead of 7.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_MODEL_GPUMODEL_H
#define ATTNC_RUNTIME_MODEL_GPUMODEL_H

#include "model/Model.h"
#include "runtime/gpu/Cublas.h"

namespace attnc::model {

class GpuDense {
public:
  ~GpuDense();
  /// Uploads `m`'s weights. Null, with `error` set, when the library lacks
  /// the model operations or device memory or cuBLAS fails.
  static std::shared_ptr<GpuDense> upload(const Model &m, const GpuKernelLibrary &lib,
                                          gpu::CudaDriver &driver, gpu::Cublas &blas, std::string &error);
  /// forward() of Model.h on the GPU, attention on `cache`. False, with
  /// `error` set, on any failure.
  bool forward(const Model &m, DeviceKVCache &cache, const std::vector<int32_t> &tokens,
               int64_t logitsFrom, std::vector<float> &logits, std::string &error);
  /// Device bytes of the weights.
  size_t weightBytes() const { return weightBytes_; }

private:
  GpuDense(const GpuKernelLibrary &lib, gpu::CudaDriver &driver, gpu::Cublas &blas)
      : lib_(lib), driver_(driver), blas_(blas) {}
  using Ptr = gpu::CudaDriver::Ptr;
  /// A device copy of `count` floats from `host`.
  bool put(const float *host, size_t count, Ptr &out, std::string &error);
  /// Grows activation buffer `b` to `count` floats.
  bool scratch(Ptr &b, size_t &have, size_t count, std::string &error);

  /// wk, wv follow wq and up follows gate in one allocation.
  struct LayerWeights {
    Ptr wq = 0, wk = 0, wv = 0, wo = 0, gate = 0, up = 0, down = 0, attnNorm = 0, ffnNorm = 0;
  };
  GpuKernelLibrary lib_;
  gpu::CudaDriver &driver_;
  gpu::Cublas &blas_;
  std::vector<LayerWeights> layers_;
  Ptr output_ = 0, outputNorm_ = 0;
  std::vector<Ptr> owned_;
  size_t weightBytes_ = 0;
  /// Activations, grown to the largest forward.
  struct Buffer {
    Ptr ptr = 0;
    size_t floats = 0;
  } x_, h_, qkv_, att_, gu_, act_, logits_;
};

} // namespace attnc::model

#endif
