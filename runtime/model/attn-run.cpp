//===- attn-run.cpp - Run a llama-family GGUF model on attnc kernels ------===//
//
//   attn-run generate --model M.gguf (--prompt TEXT | --chat TEXT)
//                     [--max-tokens N] [--threads T]
//
// Greedy generation with the model's own tokenizer and chat template. The
// attention of every layer runs through the kernels attnc generated from
// specs/smollm2_135m.attn (prepare + rows, split across threads); the dense
// ops (RMSNorm, Q4_1/Q8_0 matmuls, SwiGLU) are Halide AOT kernels. The KV
// cache is contiguous, token-major (the spec's layout); `prepare` rotates each
// new key once, at its position, when it is written (the spec's RoPE applies
// on write and has no length-dependent scaling).
//
// First form: one sequence, the prompt processed in one batch, then one
// token per step; sampling, perplexity, paged/ring/quantized caches and a
// spec chosen from the file are open work.
//
//===----------------------------------------------------------------------===//
#include "attn_model_kernels.h"
#include "gguf/GGUFFile.h"
#include "gguf/LlamaConfig.h"
#include "gguf/Quants.h"
#include "kernels/DenseOps.h"
#include "tokenizer/ChatTemplate.h"
#include "tokenizer/Tokenizer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace attnc;

namespace {

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "attn-run: error: %s\n", msg.c_str());
  std::exit(1);
}

void check(const gguf::Error &e, const char *what) {
  if (e.isFailure())
    die(std::string(what) + ": " + e.message());
}

constexpr int H = smollm2_135m_heads, HKV = smollm2_135m_kv_heads, D = smollm2_135m_head_dim;

struct Layer {
  kernels::WeightView wq, wk, wv, wo, gate, up, down;
  const float *attnNorm = nullptr, *ffnNorm = nullptr;
  std::vector<float> kf, v; // cache [tokens][HKV][D]; keys rotated when written
};

struct Model {
  gguf::LlamaConfig cfg;
  const gguf::GGUFTensorInfo *embed = nullptr;
  kernels::WeightView output;
  const float *outputNorm = nullptr;
  std::vector<Layer> layers;
  int threads = 2;
};

const gguf::GGUFTensorInfo &tensor(const gguf::GGUFFile &f, const std::string &name) {
  const gguf::GGUFTensorInfo *t = f.findTensor(name);
  if (!t)
    die("the model has no tensor '" + name + "'");
  return *t;
}

kernels::WeightView weight(const gguf::GGUFFile &f, const std::string &name, int64_t rows,
                           int64_t cols) {
  const gguf::GGUFTensorInfo &t = tensor(f, name);
  if (t.ne[0] != cols || t.nRows() != rows)
    die("tensor '" + name + "' has shape " + t.shapeString() + ", expected [" +
        std::to_string(cols) + ", " + std::to_string(rows) + "]");
  return {t.type, t.data, rows, cols};
}

const float *f32Vector(const gguf::GGUFFile &f, const std::string &name, int64_t n) {
  const gguf::GGUFTensorInfo &t = tensor(f, name);
  if (t.type != gguf::GGMLType::F32 || t.nElements != n)
    die("tensor '" + name + "' must be f32 with " + std::to_string(n) + " elements");
  return reinterpret_cast<const float *>(t.data);
}

/// Attention of `n` new tokens (positions start..start+n-1) whose keys and
/// values `k`, `v` are appended to the cache first.
void attention(Model &m, Layer &layer, const float *q, const float *k, const float *v, int64_t n,
               int64_t start, float *out) {
  int64_t lk = start + n;
  std::vector<int64_t> qPos(n), kPos(lk);
  for (int64_t i = 0; i < n; ++i) qPos[i] = start + i;
  for (int64_t j = 0; j < lk; ++j) kPos[j] = j;
  std::vector<float> qf(n * H * D);
  layer.kf.resize(lk * HKV * D);
  layer.v.insert(layer.v.end(), v, v + n * HKV * D);
  // Rotates the new queries and the new keys (straight into the cache).
  smollm2_135m_prefill_prepare(q, n, k, n, qPos.data(), kPos.data() + start, qf.data(),
                               layer.kf.data() + start * HKV * D);
  int64_t work = n * H;
  int threads = std::max<int64_t>(1, std::min<int64_t>(m.threads, work));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      smollm2_135m_prefill_rows(qf.data(), n, layer.kf.data(), lk, layer.v.data(), qPos.data(),
                                kPos.data(), 0, out, work * t / threads,
                                work * (t + 1) / threads);
    });
  for (auto &p : pool) p.join();
}

/// Runs `tokens` at positions start.. through the model; returns the logits
/// of the last one.
std::vector<float> forward(Model &m, const std::vector<int32_t> &tokens, int64_t start) {
  const int64_t n = tokens.size(), dim = m.cfg.embeddingLength, ffn = m.cfg.feedForwardLength;
  const float eps = m.cfg.rmsNormEps;
  std::vector<float> x(n * dim), h(n * dim), q(n * H * D), k(n * HKV * D), v(n * HKV * D),
      att(n * H * D), proj(n * dim), g(n * ffn), u(n * ffn), a(n * ffn);
  for (int64_t i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= m.embed->nRows())
      die("token id " + std::to_string(tokens[i]) + " out of the vocabulary");
    check(gguf::dequantizeRow(m.embed->type, m.embed->data + tokens[i] * m.embed->rowBytes(),
                              x.data() + i * dim, dim),
          "embedding");
  }
  for (Layer &layer : m.layers) {
    check(kernels::rmsnorm(x.data(), layer.attnNorm, h.data(), n, dim, eps), "rmsnorm");
    check(kernels::matmul(h.data(), n, layer.wq, q.data()), "wq");
    check(kernels::matmul(h.data(), n, layer.wk, k.data()), "wk");
    check(kernels::matmul(h.data(), n, layer.wv, v.data()), "wv");
    attention(m, layer, q.data(), k.data(), v.data(), n, start, att.data());
    check(kernels::matmul(att.data(), n, layer.wo, proj.data()), "wo");
    for (int64_t e = 0; e < n * dim; ++e) x[e] += proj[e];
    check(kernels::rmsnorm(x.data(), layer.ffnNorm, h.data(), n, dim, eps), "rmsnorm");
    check(kernels::matmul(h.data(), n, layer.gate, g.data()), "ffn_gate");
    check(kernels::matmul(h.data(), n, layer.up, u.data()), "ffn_up");
    check(kernels::swiglu(g.data(), u.data(), a.data(), n * ffn), "swiglu");
    check(kernels::matmul(a.data(), n, layer.down, proj.data()), "ffn_down");
    for (int64_t e = 0; e < n * dim; ++e) x[e] += proj[e];
  }
  std::vector<float> last(dim), logits(m.output.rows);
  check(kernels::rmsnorm(x.data() + (n - 1) * dim, m.outputNorm, last.data(), 1, dim, eps), "norm");
  check(kernels::matmul(last.data(), 1, m.output, logits.data()), "output");
  return logits;
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || std::strcmp(argv[1], "generate") != 0) {
    std::fprintf(stderr, "usage: attn-run generate --model M.gguf (--prompt TEXT | --chat TEXT) "
                         "[--max-tokens N] [--threads T]\n");
    return 2;
  }
  std::string modelPath, prompt;
  bool chat = false;
  int maxTokens = 64, threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--model") modelPath = value();
    else if (a == "--prompt") prompt = value();
    else if (a == "--chat") { prompt = value(); chat = true; }
    else if (a == "--max-tokens") maxTokens = std::atoi(value().c_str());
    else if (a == "--threads") threads = std::atoi(value().c_str());
    else die("unknown option '" + a + "'");
  }
  if (modelPath.empty() || prompt.empty())
    die("--model and --prompt (or --chat) are required");

  auto file = gguf::GGUFFile::open(modelPath);
  if (!file) die(file.message());
  auto cfg = gguf::LlamaConfig::fromGGUF(**file);
  if (!cfg) die(cfg.message());
  if ((int)cfg->nHeads != H || (int)cfg->nKVHeads != HKV || (int)cfg->headDim != D)
    die("the model's attention shape (" + std::to_string(cfg->nHeads) + " heads, " +
        std::to_string(cfg->nKVHeads) + " kv heads, head_dim " + std::to_string(cfg->headDim) +
        ") differs from the kernels' spec smollm2_135m (9, 3, 64)");
  if (std::fabs(cfg->ropeFreqBase - 100000.0f) > 1e-3f)
    die("the model's rope.freq_base differs from the spec's theta (100000)");
  auto tok = tok::Tokenizer::fromGGUF(**file);
  if (!tok) die(tok.message());

  Model m;
  m.cfg = *cfg;
  m.threads = threads;
  kernels::setNumThreads(threads);
  const int64_t dim = cfg->embeddingLength, ffn = cfg->feedForwardLength;
  m.embed = &tensor(**file, "token_embd.weight");
  m.outputNorm = f32Vector(**file, "output_norm.weight", dim);
  m.output = (*file)->findTensor("output.weight")
                 ? weight(**file, "output.weight", m.embed->nRows(), dim)
                 : kernels::WeightView{m.embed->type, m.embed->data, m.embed->nRows(), dim};
  for (uint32_t l = 0; l < cfg->nLayers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    Layer layer;
    layer.wq = weight(**file, p + "attn_q.weight", H * D, dim);
    layer.wk = weight(**file, p + "attn_k.weight", HKV * D, dim);
    layer.wv = weight(**file, p + "attn_v.weight", HKV * D, dim);
    layer.wo = weight(**file, p + "attn_output.weight", dim, H * D);
    layer.gate = weight(**file, p + "ffn_gate.weight", ffn, dim);
    layer.up = weight(**file, p + "ffn_up.weight", ffn, dim);
    layer.down = weight(**file, p + "ffn_down.weight", dim, ffn);
    layer.attnNorm = f32Vector(**file, p + "attn_norm.weight", dim);
    layer.ffnNorm = f32Vector(**file, p + "ffn_norm.weight", dim);
    m.layers.push_back(std::move(layer));
  }

  std::string text = prompt;
  if (chat) {
    auto kind = tok::detectChatTemplate(tok->chatTemplate());
    if (!kind) die(kind.message());
    text = tok::applyChatTemplate(*kind, {{"user", prompt}}, true);
  }
  std::vector<int32_t> ids;
  for (auto id : tok->encode(text, /*addSpecial=*/true, /*parseSpecial=*/true))
    ids.push_back(id);
  if (ids.empty())
    die("the prompt encodes to no tokens");
  if ((int64_t)ids.size() + maxTokens > cfg->contextLength)
    die("prompt (" + std::to_string(ids.size()) + " tokens) + --max-tokens exceeds the context length " +
        std::to_string(cfg->contextLength));

  auto t0 = std::chrono::steady_clock::now();
  std::vector<float> logits = forward(m, ids, 0);
  auto t1 = std::chrono::steady_clock::now();
  int64_t pos = ids.size();
  int generated = 0;
  for (; generated < maxTokens; ++generated) {
    int32_t next = std::max_element(logits.begin(), logits.end()) - logits.begin();
    if (tok->isEndOfGeneration(next))
      break;
    std::fputs(tok->piece(next).c_str(), stdout);
    std::fflush(stdout);
    logits = forward(m, {next}, pos++);
  }
  auto t2 = std::chrono::steady_clock::now();
  double prefill = std::chrono::duration<double>(t1 - t0).count();
  double decode = std::chrono::duration<double>(t2 - t1).count();
  std::fprintf(stderr, "\nattn-run: prompt %zu tokens in %.2f s (%.1f tok/s), generated %d tokens in %.2f s "
                       "(%.1f tok/s), %d threads\n",
               ids.size(), prefill, ids.size() / prefill, generated, decode,
               generated ? generated / decode : 0.0, threads);
  return 0;
}
