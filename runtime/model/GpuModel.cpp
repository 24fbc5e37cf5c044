//===- GpuModel.cpp - A model's dense layers on the GPU -------------------===//
#include "model/GpuModel.h"

#include "gguf/Quants.h"

namespace attnc::model {

GpuDense::~GpuDense() {
  for (Ptr p : owned_)
    driver_.free(p);
  for (Buffer *b : {&x_, &h_, &qkv_, &att_, &gu_, &act_, &logits_})
    driver_.free(b->ptr);
}

bool GpuDense::put(const float *host, size_t count, Ptr &out, std::string &error) {
  if (driver_.alloc(out, count * 4, error))
    return false;
  owned_.push_back(out);
  weightBytes_ += count * 4;
  return driver_.toDevice(out, host, count * 4, error) == 0;
}

bool GpuDense::scratch(Ptr &b, size_t &have, size_t count, std::string &error) {
  if (have >= count)
    return true;
  driver_.free(b);
  b = 0;
  have = 0;
  if (driver_.alloc(b, count * 4, error))
    return false;
  have = count;
  return true;
}

std::shared_ptr<GpuDense> GpuDense::upload(const Model &m, const GpuKernelLibrary &lib, gpu::CudaDriver &driver,
                                           gpu::Cublas &blas, std::string &error) {
  if (!lib.rmsnorm || !lib.swiglu || !lib.error) {
    error = "the GPU kernel library has no model operations (rmsnorm, swiglu)";
    return nullptr;
  }
  std::shared_ptr<GpuDense> d(new GpuDense(lib, driver, blas));
  std::vector<float> host;
  // Matrices with the same column count as f32 [rows][cols], back to back
  // in one allocation, dequantized row by row from the views the CPU matmuls
  // read (so both devices multiply the same numbers).
  auto matrices = [&](std::initializer_list<std::pair<const kernels::WeightView *, Ptr *>> ws, const char *what) {
    host.clear();
    for (auto [w, out] : ws) {
      const size_t at = host.size();
      host.resize(at + w->rows * w->cols);
      const int64_t rowBytes = kernels::weightRowBytes(w->type, w->cols);
      for (int64_t r = 0; r < w->rows; ++r) {
        gguf::Error e = gguf::dequantizeRow(w->type, static_cast<const uint8_t *>(w->data) + r * rowBytes,
                                            host.data() + at + r * w->cols, w->cols);
        if (e.isFailure()) {
          error = std::string(what) + ": " + e.message();
          return false;
        }
      }
    }
    Ptr base = 0;
    if (!d->put(host.data(), host.size(), base, error)) {
      error = std::string("uploading ") + what + ": " + error;
      return false;
    }
    size_t at = 0;
    for (auto [w, out] : ws) {
      *out = base + at * 4;
      at += w->rows * w->cols;
    }
    return true;
  };
  auto matrix = [&](const kernels::WeightView &w, const char *what, Ptr &out) {
    return matrices({{&w, &out}}, what);
  };
  const int64_t dim = m.cfg.embeddingLength;
  auto vector = [&](const float *v, const char *what, Ptr &out) {
    if (!d->put(v, dim, out, error)) {
      error = std::string("uploading ") + what + ": " + error;
      return false;
    }
    return true;
  };
  for (const Layer &l : m.layers) {
    LayerWeights w;
    if (!matrices({{&l.wq, &w.wq}, {&l.wk, &w.wk}, {&l.wv, &w.wv}}, "attn_q/k/v") ||
        !matrix(l.wo, "attn_output", w.wo) || !matrices({{&l.gate, &w.gate}, {&l.up, &w.up}}, "ffn_gate/up") ||
        !matrix(l.down, "ffn_down", w.down) ||
        !vector(l.attnNorm, "attn_norm", w.attnNorm) || !vector(l.ffnNorm, "ffn_norm", w.ffnNorm))
      return nullptr;
    d->layers_.push_back(w);
  }
  if (!matrix(m.output, "output", d->output_) || !vector(m.outputNorm, "output_norm", d->outputNorm_))
    return nullptr;
  return d;
}

bool GpuDense::forward(const Model &m, DeviceKVCache &cache, const std::vector<int32_t> &tokens,
                       int64_t logitsFrom, std::vector<float> &logits, std::string &error) {
  const AttentionKernels &a = *m.attn;
  const int64_t n = tokens.size(), dim = m.cfg.embeddingLength, ffn = m.cfg.feedForwardLength;
  const int64_t qRow = a.heads * a.headDim, kvRow = a.kvHeads * a.headDim, rows = n - logitsFrom,
                vocab = m.vocab();
  const float eps = m.cfg.rmsNormEps;
  for (auto [b, floats] : {std::pair{&x_, n * dim}, {&h_, n * dim}, {&qkv_, n * (qRow + 2 * kvRow)},
                           {&att_, n * qRow}, {&gu_, n * 2 * ffn}, {&act_, n * ffn}, {&logits_, rows * vocab}})
    if (!scratch(b->ptr, b->floats, floats, error))
      return false;
  auto f = [](Ptr p, int64_t offset = 0) { return (float *)(uintptr_t)p + offset; };
  // q [n][qRow], k, v [n][kvRow] and gate, up [n][ffn] back to back: for one
  // token that is the output row of the fused products.
  const Ptr q = qkv_.ptr, k = q + n * qRow * 4, v = k + n * kvRow * 4, g = gu_.ptr, u = g + n * ffn * 4;
  const bool fused = n == 1;
  // The embeddings of the new tokens, on the host (a row each).
  std::vector<float> x(n * dim);
  for (int64_t i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= m.embed->nRows()) {
      error = "token id " + std::to_string(tokens[i]) + " out of the vocabulary";
      return false;
    }
    gguf::Error e = gguf::dequantizeRow(m.embed->type, m.embed->data + tokens[i] * m.embed->rowBytes(),
                                        x.data() + i * dim, dim);
    if (e.isFailure()) {
      error = "embedding: " + e.message();
      return false;
    }
  }
  if (driver_.toDevice(x_.ptr, x.data(), x.size() * 4, error))
    return false;
  auto op = [&](int status, const char *what) {
    if (status)
      error = std::string(what) + ": " + lib_.error();
    return status == 0;
  };
  auto linear = [&](Ptr in, int64_t inDim, Ptr w, int64_t outDim, Ptr out, bool accumulate, int64_t count) {
    return blas_.linear(f(in), count, f(w), inDim, outDim, f(out), accumulate, error) == 0;
  };
  for (size_t li = 0; li < layers_.size(); ++li) {
    const LayerWeights &w = layers_[li];
    auto qkv = [&] {
      return fused ? linear(h_.ptr, dim, w.wq, qRow + 2 * kvRow, q, false, 1)
                   : linear(h_.ptr, dim, w.wq, qRow, q, false, n) && linear(h_.ptr, dim, w.wk, kvRow, k, false, n) &&
                         linear(h_.ptr, dim, w.wv, kvRow, v, false, n);
    };
    auto gateUp = [&] {
      return fused ? linear(h_.ptr, dim, w.gate, 2 * ffn, g, false, 1)
                   : linear(h_.ptr, dim, w.gate, ffn, g, false, n) && linear(h_.ptr, dim, w.up, ffn, u, false, n);
    };
    if (!op(lib_.rmsnorm(f(x_.ptr), f(w.attnNorm), f(h_.ptr), n, dim, eps, nullptr), "attn_norm") || !qkv() ||
        !cache.attendOnDevice((int)li, f(q), f(k), f(v), n, f(att_.ptr), error) ||
        !linear(att_.ptr, qRow, w.wo, dim, x_.ptr, true, n) ||
        !op(lib_.rmsnorm(f(x_.ptr), f(w.ffnNorm), f(h_.ptr), n, dim, eps, nullptr), "ffn_norm") || !gateUp() ||
        !op(lib_.swiglu(f(g), f(u), f(act_.ptr), n * ffn, nullptr), "swiglu") ||
        !linear(act_.ptr, ffn, w.down, dim, x_.ptr, true, n))
      return false;
  }
  // The head runs only on the rows asked for.
  if (!op(lib_.rmsnorm(f(x_.ptr, logitsFrom * dim), f(outputNorm_), f(h_.ptr), rows, dim, eps, nullptr),
          "output_norm") ||
      !linear(h_.ptr, dim, output_, vocab, logits_.ptr, false, rows))
    return false;
  logits.resize(rows * vocab);
  return driver_.toHost(logits.data(), logits_.ptr, logits.size() * 4, error) == 0 && cache.checkAppends(error);
}

} // namespace attnc::model
