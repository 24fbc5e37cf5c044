//===- attn-run.cpp - Run a llama-family GGUF model on attnc kernels ------===//
//
//   attn-run generate   --model M.gguf [--spec S.attn] (--prompt TEXT | --chat TEXT) [--max-tokens N]
//                       [--temperature T] [--top-k K] [--top-p P] [--seed S] [--threads T]
//                       [--trace] [--cache dense|window:W|sinks:N,W] [--activations int8|f32]
//                       [--samples N] [--device cpu|cuda]
//   attn-run perplexity --model M.gguf [--spec S.attn] --file TEXT [--ctx N] [--stride S]
//                       [--max-chunks K] [--batch B] [--threads T] [--cache ...]
//                       [--activations int8|f32]
//                       [--stream [--tokens N] [--score-from S] [--bins K] [--recompute W]]
//                       [--allow-past-context] [--device cpu|cuda]
//
// The model (Model.h) runs its dense ops on Halide AOT kernels and its
// attention on kernels attnc compiled ahead of time from a spec: --spec picks
// one of the compiled specs by the name in the file (checked against the
// file and the GGUF); by default the first that fits the GGUF. Specs whose
// cache is paged, quantized or a ring attend through their cache kernels
// (KVCache.h; --cache is for the contiguous specs). `generate`
// streams tokens to stdout (greedy unless --temperature > 0, Sampler.h);
// `perplexity` follows llama.cpp's llama-perplexity (Perplexity.h); with
// --stream it runs the whole text as one sequence through the cache policy
// (StreamingLLM's evaluation), or with --recompute W re-runs the last W tokens
// from an empty cache for every token (the sliding window with re-computation
// baseline).
// --activations: int8 (default, as ggml computes with q8_0/q4_1 weights)
// quantizes the activations of the quantized matmuls per 32-block and runs
// them on integer dot products (Model::packWeights); f32 keeps them in f32.
// generate --samples N (paged specs) draws N continuations of one prompt, the
// prompt's KV pages shared by all (Model::forkSequence), with seeds S..S+N-1.
// --device cuda runs the forward pass on the GPU: the KV cache in device
// memory in the spec's layout, the spec's GPU append and decode kernels
// (GpuKVCache.h), the dense layers on cuBLAS with the library's RMSNorm and
// SwiGLU kernels (GpuModel.h), f32 activations.
// Statistics and progress go to stderr.
//
//===----------------------------------------------------------------------===//
#include "dsl/Frontend.h"
#include "dsl/Spec.h"
#include "model/GpuModel.h"
#include "model/Model.h"
#include "model/Perplexity.h"
#include "model/Sampler.h"
#include "tokenizer/ChatTemplate.h"
#include "tokenizer/Tokenizer.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace attnc;
using namespace attnc::model;

namespace {

const char *kUsage =
    "usage: attn-run generate --model M.gguf [--spec S.attn] (--prompt TEXT | --chat TEXT) [--max-tokens N]\n"
    "                [--temperature T] [--top-k K] [--top-p P] [--seed S] [--threads T] [--trace]\n"
    "                [--cache dense|window:W|sinks:N,W] [--activations int8|f32] [--samples N]\n"
    "                [--device cpu|cuda]\n"
    "       attn-run perplexity --model M.gguf [--spec S.attn] --file TEXT [--ctx N] [--stride S]\n"
    "                [--max-chunks K] [--batch B] [--threads T] [--cache dense|window:W|sinks:N,W]\n"
    "                [--activations int8|f32]\n"
    "                [--stream [--tokens N] [--score-from S] [--bins K] [--recompute W]]\n"
    "                [--allow-past-context] [--device cpu|cuda]\n";

int64_t parseInt(const std::string &opt, const std::string &s, int64_t lo, int64_t hi) {
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end || errno || v < lo || v > hi)
    die(opt + " expects an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
        "], got '" + s + "'");
  return v;
}

float parseFloat(const std::string &opt, const std::string &s) {
  errno = 0;
  char *end = nullptr;
  float v = std::strtof(s.c_str(), &end);
  if (s.empty() || *end || errno || !std::isfinite(v))
    die(opt + " expects a number, got '" + s + "'");
  return v;
}

double seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// "peak RSS X MiB, KV cache Y MiB (POLICY or the spec's cache), spec NAME, int8 activations (Z MiB packed
/// weights)" or "..., f32 activations" (RSS includes the touched pages of the mmap'ed weights).
std::string memoryReport(const Model &m) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  int64_t packed = 0;
  for (const kernels::PackedWeight &p : m.packed)
    packed += p.size();
  char acts[96];
  if (packed)
    std::snprintf(acts, sizeof acts, "int8 activations (%.1f MiB packed weights)",
                  packed / (1024.0 * 1024.0));
  else
    std::snprintf(acts, sizeof acts, "f32 activations");
  char buf[256];
  std::snprintf(buf, sizeof buf, "peak RSS %.1f MiB, KV cache %.2f MiB (%s), spec %s, %s",
                ru.ru_maxrss / 1024.0, m.cacheBytes() / (1024.0 * 1024.0),
                m.kv ? m.kv->describe().c_str() : m.cache.str().c_str(),
                m.attn->name, acts);
  return buf;
}

/// The positions the model was trained on, times the spec's RoPE scaling
/// factor when it has one (a factor-2 spec stretches 8192 trained positions
/// over 16384).
int64_t contextLimit(const Model &m) {
  return m.attn->scaling.none() ? m.cfg.contextLength
                                : (int64_t)std::llround(m.cfg.contextLength * m.attn->scaling.factor);
}

/// Refuses a run whose RoPE positions go past contextLimit(), or with
/// --allow-past-context only warns (dense attention beyond the trained
/// window, issue 4).
void checkContext(const Model &m, int64_t maxPos, const std::string &what, bool allowPast) {
  const int64_t limit = contextLimit(m);
  if (maxPos <= limit)
    return;
  std::string msg = what + " " + std::to_string(maxPos) + " exceeds the model's context length " +
                    std::to_string(limit) +
                    (m.attn->scaling.none() ? "" : " (" + std::to_string(m.cfg.contextLength) + " x the spec's " +
                                                       m.attn->scaling.str() + ")");
  if (!allowPast)
    die(msg + " (--allow-past-context runs it anyway)");
  std::fprintf(stderr, "attn-run: warning: %s; running past it (--allow-past-context)\n", msg.c_str());
}

std::string compiledNames() {
  std::string s;
  for (const AttentionKernels &k : compiledSpecs()) s += (s.empty() ? "" : ", ") + std::string(k.name);
  return s;
}

/// Whether the DSL's cache declaration is the compiled spec's layout.
bool sameCache(const Cache &d, const model::CacheLayout &c) {
  using K = model::CacheLayout::Kind;
  using Q = model::CacheLayout::Quant;
  const K kind = d.kind == CacheKind::Paged ? K::Paged
                 : d.kind == CacheKind::Ring ? K::Ring
                                             : K::Contiguous;
  if (kind != c.kind || d.capacity != 0)
    return false;
  if (kind == K::Ring)
    return d.sinks == c.sinks && d.window == c.window;
  const Q quant = d.quant.kind == QuantKind::Int8   ? Q::Int8
                  : d.quant.kind == QuantKind::FP8  ? Q::FP8
                  : d.quant.kind == QuantKind::Int4 ? Q::Int4
                                                    : Q::None;
  if (quant != c.quant || (d.layout == attnc::CacheLayout::HND) != c.headMajor)
    return false;
  if (quant != Q::None) { // each side's granularity and group (Spec.h, quantLayout)
    Spec s;
    s.cache = d;
    const QuantLayout q = quantLayout(s);
    const int64_t group = quant == Q::Int4 || q.anyPerChannel() ? q.keys.group : 0;
    if (q.keys.perChannel != c.keysPerChannel || q.values.perChannel != c.valuesPerChannel ||
        group != c.group)
      return false;
  }
  return kind != K::Paged || d.pageSize == c.pageSize;
}

/// The compiled kernels for `specPath` (parsed with the DSL front end; must
/// name a compiled spec and agree with its shape and RoPE; the mask and dtype
/// are not compared), or by default the first compiled spec that fits the
/// model (SpecMatch.h).
const AttentionKernels &chooseSpec(const std::string &specPath, const gguf::LlamaConfig &cfg) {
  if (specPath.empty()) {
    for (const AttentionKernels &k : compiledSpecs())
      if (k.scaling.none() && mismatch(k, cfg).empty())
        return k;
    die("no spec compiled into attn-run fits the model: " + mismatch(compiledSpecs().front(), cfg) +
        " (compiled: " + compiledNames() + ")");
  }
  std::optional<std::vector<Spec>> specs = loadSpecFile(specPath); // prints its diagnostics
  if (!specs)
    die("cannot use spec file '" + specPath + "'");
  if (specs->size() != 1)
    die("spec file '" + specPath + "' defines " + std::to_string(specs->size()) +
        " attentions; attn-run needs exactly one");
  const Spec &s = specs->front();
  const AttentionKernels *k = nullptr;
  for (const AttentionKernels &c : compiledSpecs())
    if (s.name == c.name)
      k = &c;
  if (!k)
    die("spec '" + s.name + "' (" + specPath + ") is not compiled into attn-run (compiled: " +
        compiledNames() + "); add it to runtime/model/CMakeLists.txt");
  if (s.heads != k->heads || s.kvHeads != k->kvHeads || s.headDim != k->headDim ||
      s.position.kind != PositionKind::RoPE || s.position.theta != k->theta ||
      s.position.rotaryDim != k->headDim)
    die("spec file '" + specPath + "' differs from the compiled spec " + k->name +
        " (shape or RoPE): rebuild attn-run");
  // RoPE scaling: only the static kinds the compiled rows carry, and exactly
  // the compiled parameters (the kernels bake them in).
  const RopeScaling &rs = s.position.scaling;
  RopeScalingInfo fileScaling;
  fileScaling.factor = rs.factor;
  fileScaling.originalContext = rs.originalContext;
  fileScaling.betaFast = rs.betaFast;
  fileScaling.betaSlow = rs.betaSlow;
  fileScaling.attentionFactor = rs.attentionFactor;
  switch (rs.kind) {
  case RopeScalingKind::None: fileScaling = RopeScalingInfo(); break;
  case RopeScalingKind::Linear: fileScaling.kind = RopeScalingInfo::Kind::Linear; break;
  case RopeScalingKind::NTK: fileScaling.kind = RopeScalingInfo::Kind::NTK; break;
  case RopeScalingKind::YaRN: fileScaling.kind = RopeScalingInfo::Kind::YaRN; break;
  default:
    die("spec file '" + specPath + "' uses a RoPE scaling attn-run does not run (only none, " +
        "linear, ntk and yarn are compiled)");
  }
  if (rs.kind != RopeScalingKind::YaRN) {
    fileScaling.originalContext = 0;
    fileScaling.betaFast = 32;
    fileScaling.betaSlow = 1;
    fileScaling.attentionFactor = 1;
  }
  if (!fileScaling.same(k->scaling))
    die("spec file '" + specPath + "' has RoPE scaling " + fileScaling.str() + " but the compiled spec " +
        k->name + " has " + k->scaling.str() + ": rebuild attn-run");
  if (!sameCache(s.cache, k->cache))
    die("spec file '" + specPath + "' declares a different cache than the compiled spec " +
        k->name + " (" + k->cache.str() + "): rebuild attn-run");
  std::string why = mismatch(*k, cfg);
  if (!why.empty())
    die(why);
  return *k;
}

struct Loaded {
  std::unique_ptr<gguf::GGUFFile> file;
  std::optional<tok::Tokenizer> tok;
  Model model;
};

#ifdef ATTNC_HAVE_GPU_KERNELS
#include "attn_model_kernels_gpu.h"
#endif

/// --device cuda: attention on the GPU through the GPU kernel library of the
/// compiled specs (linked in when the build had ptxas; GpuKVCache.h).
bool gUseGpu = false;
gpu::CudaDriver gDriver;
gpu::Cublas gBlas;
model::GpuKernelLibrary gGpuKernels;

void bindGpu(Model &m) {
#ifdef ATTNC_HAVE_GPU_KERNELS
  // The library's buffer struct is GpuBuffer's layout.
  static_assert(sizeof(attn_model_kernels_gpu_buffer) == sizeof(model::GpuBuffer));
  gGpuKernels.decode = (decltype(gGpuKernels.decode))attn_model_kernels_gpu_decode;
  gGpuKernels.append = (decltype(gGpuKernels.append))attn_model_kernels_gpu_append;
  gGpuKernels.error = attn_model_kernels_gpu_error;
  gGpuKernels.loadedArch = attn_model_kernels_gpu_loaded_arch;
  gGpuKernels.rmsnorm = attn_model_kernels_gpu_rmsnorm;
  gGpuKernels.swiglu = attn_model_kernels_gpu_swiglu;
  std::string error;
  if (!gDriver.open(error))
    die("--device cuda: " + error);
  m.gpuKernels = &gGpuKernels;
  m.gpuDriver = &gDriver;
  if (!gBlas.open(error))
    die("--device cuda: " + error);
  m.gpuDense = GpuDense::upload(m, gGpuKernels, gDriver, gBlas, error);
  if (!m.gpuDense)
    die("--device cuda: " + error);
  std::fprintf(stderr,
               "attn-run: on %s: attention (spec %s, GPU cache kernels), dense layers (cuBLAS, f32 weights %.1f "
               "MiB, f32 activations)\n",
               gDriver.deviceName().c_str(), m.attn->name, m.gpuDense->weightBytes() / 1048576.0);
#else
  (void)m;
  die("--device cuda: this attn-run was built without GPU kernels (no ptxas/libdevice from a CUDA toolkit "
      "at build time)");
#endif
}

Loaded load(const std::string &path, const std::string &specPath, int threads, bool int8Activations) {
  Loaded l;
  auto file = gguf::GGUFFile::open(path);
  if (!file) die(file.message());
  l.file = std::move(*file);
  auto cfg = gguf::LlamaConfig::fromGGUF(*l.file);
  if (!cfg) die(cfg.message());
  const AttentionKernels &spec = chooseSpec(specPath, *cfg);
  auto tok = tok::Tokenizer::fromGGUF(*l.file);
  if (!tok) die(tok.message());
  l.tok = std::move(*tok);
  kernels::setNumThreads(threads);
  l.model = Model::load(*l.file, *cfg, spec, threads);
  if (int8Activations && !gUseGpu)
    l.model.packWeights();
  if (gUseGpu)
    bindGpu(l.model);
  return l;
}

/// --trace: the prompt ids, then per step the chosen id, the margin of the
/// best logit over the runner-up and the runner-up's id (for comparisons with
/// llama.cpp, bench/peers/llama_cpp_parity.sh).
void traceStep(int step, int32_t id, const std::vector<float> &logits) {
  int32_t best = argmax(logits.data(), logits.size()), second = best == 0 ? 1 : 0;
  for (int32_t i = 0; i < (int32_t)logits.size(); ++i)
    if (i != best && logits[i] > logits[second])
      second = i;
  std::fprintf(stderr, "trace: step %d token %d margin %.6f second %d\n", step, id,
               logits[best] - logits[second], second);
}

int generate(const std::string &modelPath, const std::string &specPath, CachePolicy cache,
             const std::string &prompt, bool chat, int maxTokens,
             SamplerOptions so, bool seeded, bool trace, int threads, bool int8Activations,
             int samples) {
  if (!seeded)
    so.seed = std::random_device{}();
  Loaded l = load(modelPath, specPath, threads, int8Activations);
  Model &m = l.model;
  m.cache = cache;
  std::string text = prompt;
  if (chat) {
    auto kind = tok::detectChatTemplate(l.tok->chatTemplate());
    if (!kind) die(kind.message());
    text = tok::applyChatTemplate(*kind, {{"user", prompt}}, true);
  }
  std::vector<int32_t> ids;
  for (auto id : l.tok->encode(text, /*addSpecial=*/true, /*parseSpecial=*/true))
    ids.push_back(id);
  if (ids.empty())
    die("the prompt encodes to no tokens");
  // A dense cache holds every position; a sinks/window cache rotates keys at
  // their cache index, which stays below sinks + window + prompt; a ring at
  // positions inside the cache, below sinks + window.
  const int64_t total = (int64_t)ids.size() + maxTokens;
  const bool ring = m.attn->usesCacheKernels() && m.attn->cache.kind == model::CacheLayout::Kind::Ring;
  int64_t maxPos = ring            ? std::min(total, m.attn->cache.sinks + m.attn->cache.window)
                   : cache.dense() ? total
                                   : cache.sinks + cache.window + (int64_t)ids.size();
  if (maxPos > m.cfg.contextLength)
    die("prompt (" + std::to_string(ids.size()) + " tokens) + " +
        (cache.dense() ? "--max-tokens" : "the --cache size") + " exceeds the context length " +
        std::to_string(m.cfg.contextLength));
  const bool paged = m.attn->usesCacheKernels() && m.attn->cache.kind == model::CacheLayout::Kind::Paged;
  if (samples > 1 && !paged)
    die("--samples shares the prompt's KV pages between the samples: it needs a paged spec (e.g. --spec "
        "specs/smollm2_135m_paged.attn); spec " + std::string(m.attn->name) + "'s cache is " +
        (m.attn->usesCacheKernels() ? m.attn->cache.str() : "contiguous"));
  // With --samples N the pool holds the prompt once plus each sample's own
  // pages (its copy of the partly filled last prompt page and what it adds).
  const int64_t pageSize = paged ? m.attn->cache.pageSize : 1;
  m.reserveCache(samples > 1 ? (int64_t)ids.size() + samples * (maxTokens + pageSize) : total, samples);

  if (trace) {
    std::fprintf(stderr, "trace: prompt");
    for (int32_t id : ids) std::fprintf(stderr, " %d", id);
    std::fprintf(stderr, "\n");
  }
  auto t0 = std::chrono::steady_clock::now();
  const std::vector<float> promptLogits = forward(m, ids, 0);
  auto t1 = std::chrono::steady_clock::now();
  // --samples: every sample continues its own copy of the prompt's cache
  // (forked: the full pages are shared), with seed + s.
  for (int s = 1; s < samples; ++s)
    m.forkSequence(s);
  int generated = 0;
  for (int s = 0; s < samples; ++s) {
    m.selectSequence(s);
    SamplerOptions sso = so;
    sso.seed = so.seed + s;
    Sampler sampler(sso);
    if (samples > 1)
      std::printf("%s--- sample %d (seed %llu) ---\n", s ? "\n" : "", s,
                  (unsigned long long)sso.seed);
    std::vector<float> logits = promptLogits;
    int64_t pos = ids.size();
    for (int step = 0; step < maxTokens; ++step, ++generated) {
      int32_t next = sampler.sample(logits.data(), logits.size());
      if (trace)
        traceStep(step, next, logits);
      if (l.tok->isEndOfGeneration(next))
        break;
      std::fputs(l.tok->piece(next).c_str(), stdout);
      std::fflush(stdout);
      logits = forward(m, {next}, pos++);
    }
  }
  auto t2 = std::chrono::steady_clock::now();
  double prefill = seconds(t0, t1), decode = seconds(t1, t2);
  std::string how = so.temperature == 0.0f
                        ? std::string("greedy")
                        : "temperature " + std::to_string(so.temperature).substr(0, 5) + " top-k " +
                              std::to_string(so.topK) + " top-p " +
                              std::to_string(so.topP).substr(0, 5) + " seed " +
                              std::to_string(so.seed);
  std::fprintf(stderr, "\nattn-run: prompt %zu tokens in %.2f s (%.1f tok/s), generated %d tokens in %.2f s "
                       "(%.1f tok/s), %d threads, %s, %s\n",
               ids.size(), prefill, ids.size() / prefill, generated, decode,
               generated ? generated / decode : 0.0, threads, how.c_str(), memoryReport(m).c_str());
  if (samples > 1) {
    const int64_t promptPages = (int64_t)ids.size() / pageSize;
    std::fprintf(stderr, "attn-run: %d samples share the prompt's %lld full KV pages: %lld pages in use "
                         "(%lld without sharing)\n",
                 samples, (long long)promptPages, (long long)m.kv->pagesInUse(),
                 (long long)(m.kv->pagesInUse() + (samples - 1) * promptPages));
  }
  return 0;
}

std::string readText(const std::string &textPath) {
  std::ifstream in(textPath, std::ios::binary);
  if (!in)
    die("cannot open '" + textPath + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Options of `perplexity --stream`.
struct StreamOptions {
  bool stream = false;
  int64_t tokens = 0;    ///< evaluate the first N tokens (0: all)
  int64_t scoreFrom = 1; ///< score tokens S.. (token t predicted by position t - 1)
  int64_t bins = 8;      ///< equal spans of the scored tokens, one PPL each
  int64_t recompute = 0; ///< W > 0: sliding window with re-computation over W tokens
};

/// The whole text (or its first --tokens) as one sequence, fed in batches
/// through the cache policy, every token from --score-from on scored once;
/// or, with --recompute W, every scored token predicted from the W tokens
/// before it, run from an empty cache at positions 0..W-1 (StreamingLLM's
/// "sliding window with re-computation", O(W^2) per token).
int streamPerplexity(Loaded &l, CachePolicy cache, const std::string &text, int64_t batchSize,
                     const StreamOptions &so, bool allowPast, int threads) {
  Model &m = l.model;
  m.cache = cache;
  const bool ring = m.attn->usesCacheKernels() && m.attn->cache.kind == model::CacheLayout::Kind::Ring;
  std::vector<int32_t> tokens;
  for (auto id : l.tok->encode(text, /*addSpecial=*/true, /*parseSpecial=*/false))
    tokens.push_back(id);
  if (so.tokens > (int64_t)tokens.size())
    die("--tokens " + std::to_string(so.tokens) + " exceeds the text's " +
        std::to_string(tokens.size()) + " tokens");
  if (so.tokens)
    tokens.resize(so.tokens);
  const int64_t n = tokens.size();
  if (so.scoreFrom >= n)
    die("--score-from " + std::to_string(so.scoreFrom) + " leaves no token to score in " +
        std::to_string(n) + " tokens");
  const int64_t scored = n - so.scoreFrom;
  if (so.bins > scored)
    die("--bins " + std::to_string(so.bins) + " exceeds the " + std::to_string(scored) +
        " scored tokens");
  // Batches of 64 (a sinks/window cache evicts between them, so they stay
  // small); --recompute runs each window in one forward.
  if (batchSize == 0)
    batchSize = so.recompute ? so.recompute : 64;
  if (so.recompute) {
    if (!cache.dense() || m.attn->usesCacheKernels())
      die("--recompute runs a dense window from an empty cache; it takes neither --cache " +
          cache.str() + " nor a spec with its own cache (" + m.attn->name + ")");
    checkContext(m, so.recompute, "--recompute", allowPast);
    m.reserveCache(so.recompute);
  } else {
    const int64_t maxPos = ring            ? std::min(n, m.attn->cache.sinks + m.attn->cache.window)
                           : cache.dense() ? n
                                           : std::min(n, cache.sinks + cache.window + batchSize);
    checkContext(m, maxPos, cache.dense() ? "--stream over" : "--cache size + --batch", allowPast);
    m.reserveCache(n);
  }
  std::fprintf(stderr, "attn-run: stream of %lld tokens, scoring %lld from %lld, %s, batch %lld, %d threads\n",
               (long long)n, (long long)scored, (long long)so.scoreFrom,
               so.recompute ? ("recompute " + std::to_string(so.recompute)).c_str()
                            : ("cache " + (m.kv ? m.kv->describe() : cache.str())).c_str(),
               (long long)batchSize, threads);
  // Per-bin statistics: bin b covers the scored tokens [edge(b), edge(b + 1)).
  auto edge = [&](int64_t b) { return so.scoreFrom + scored * b / so.bins; };
  std::vector<NllStats> bins(so.bins);
  NllStats stats;
  int64_t bin = 0;
  auto add = [&](int64_t t, double nll) { // token t scored
    while (t >= edge(bin + 1)) ++bin;
    bins[bin].add(nll);
    stats.add(nll);
  };
  int lastPct = -1;
  double spanSeconds = 0; // forwards of the batches with scored rows (all of --recompute's)
  int64_t spanTokens = 0;
  auto t0 = std::chrono::steady_clock::now();
  auto progress = [&](int64_t done, int64_t of) {
    int pct = int(100 * done / of);
    if (pct == lastPct && done != of)
      return;
    lastPct = pct;
    double el = seconds(t0, std::chrono::steady_clock::now());
    std::fprintf(stderr, "\r[%lld/%lld] %3d%% PPL %.4f  (%.1f s, ETA %.0f s)   ", (long long)done,
                 (long long)of, pct, stats.count() ? stats.ppl() : 0.0, el,
                 el / std::max<double>(done, 1) * (of - done));
  };
  if (so.recompute) {
    const int64_t W = so.recompute;
    for (int64_t t = so.scoreFrom; t < n; ++t) {
      const int64_t b = std::max<int64_t>(0, t - W);
      std::vector<int32_t> win(tokens.begin() + b, tokens.begin() + t);
      m.clearCache();
      std::vector<float> logits;
      for (int64_t c0 = 0; c0 < (int64_t)win.size(); c0 += batchSize) {
        const int64_t c1 = std::min<int64_t>(win.size(), c0 + batchSize);
        logits = forward(m, std::vector<int32_t>(win.begin() + c0, win.begin() + c1), c0);
      }
      add(t, negLogLikelihood(logits.data(), m.vocab(), tokens[t]));
      progress(t - so.scoreFrom + 1, scored);
      spanTokens += 1;
    }
  } else {
    m.clearCache();
    for (int64_t b0 = 0; b0 < n - 1; b0 += batchSize) {
      const int64_t b1 = std::min(n - 1, b0 + batchSize); // the last token predicts nothing
      // Logits for the rows that predict scored tokens (at least the last row).
      const int64_t from = std::min(std::max(so.scoreFrom - 1, b0), b1 - 1);
      auto f0 = std::chrono::steady_clock::now();
      std::vector<float> logits =
          forward(m, std::vector<int32_t>(tokens.begin() + b0, tokens.begin() + b1), b0, from - b0);
      if (b1 > so.scoreFrom - 1) { // a batch with scored rows
        spanSeconds += seconds(f0, std::chrono::steady_clock::now());
        spanTokens += b1 - b0;
      }
      for (int64_t j = std::max(so.scoreFrom - 1, from); j < b1; ++j)
        add(j + 1, negLogLikelihood(logits.data() + (j - from) * m.vocab(), m.vocab(), tokens[j + 1]));
      progress(b1, n - 1);
    }
  }
  const double total = seconds(t0, std::chrono::steady_clock::now());
  if (so.recompute)
    spanSeconds = total;
  std::fprintf(stderr, "\n");
  for (int64_t b = 0; b < so.bins; ++b)
    std::printf("bin %lld %lld PPL %.4f\n", (long long)edge(b), (long long)edge(b + 1), bins[b].ppl());
  const double mib = 1024.0 * 1024.0;
  // ms/token: per token run (per scored token for --recompute); the span:
  // per token of the batches that hold scored rows (with --score-from S, the
  // steady state after S tokens).
  std::printf("stream %lld tokens, scored %lld, %.3f ms/token, scored span %.3f ms/token, %s, "
              "KV cache %.2f MiB, peak cache %.2f MiB, %d threads\n",
              (long long)n, (long long)stats.count(),
              1000.0 * total / (so.recompute ? scored : n - 1), 1000.0 * spanSeconds / spanTokens,
              so.recompute ? ("recompute " + std::to_string(so.recompute)).c_str()
                           : (m.kv ? m.kv->describe() : cache.str()).c_str(),
              m.cacheBytes() / mib, m.peakCacheBytes() / mib, threads);
  std::fprintf(stderr, "attn-run: scored %lld tokens in %.1f s, %s\n", (long long)stats.count(), total,
               memoryReport(m).c_str());
  std::printf("PPL = %.4f +/- %.5f\n", stats.ppl(), stats.pplError());
  return 0;
}

int perplexity(const std::string &modelPath, const std::string &specPath, CachePolicy cache,
               const std::string &textPath, int64_t ctx, int64_t stride, int64_t maxChunks,
               int64_t batchSize, int threads, const StreamOptions &so, bool allowPast,
               bool int8Activations) {
  const std::string text = readText(textPath);
  if (so.stream) {
    Loaded l = load(modelPath, specPath, threads, int8Activations);
    return streamPerplexity(l, cache, text, batchSize, so, allowPast, threads);
  }
  Loaded l = load(modelPath, specPath, threads, int8Activations);
  Model &m = l.model;
  m.cache = cache;
  // Dense: one forward per window (llama.cpp's default batch is the whole
  // chunk too); a sinks/window cache evicts between batches, so they are
  // small; a ring attends token by token anyway, and small batches keep the
  // logits of a long window out of memory.
  const bool ring = m.attn->usesCacheKernels() && m.attn->cache.kind == model::CacheLayout::Kind::Ring;
  if (batchSize == 0)
    batchSize = cache.dense() && !ring ? ctx : std::min<int64_t>(ctx, 64);
  int64_t maxPos = ring            ? std::min(ctx, m.attn->cache.sinks + m.attn->cache.window)
                   : cache.dense() ? ctx
                                   : std::min(ctx, cache.sinks + cache.window + batchSize);
  checkContext(m, maxPos, cache.dense() ? "--ctx" : "--cache size + --batch", allowPast);
  m.reserveCache(ctx);
  // As llama.cpp: BOS (when the model adds it), no special-token parsing.
  std::vector<int32_t> tokens;
  for (auto id : l.tok->encode(text, /*addSpecial=*/true, /*parseSpecial=*/false))
    tokens.push_back(id);
  std::string err;
  std::vector<EvalWindow> windows = evalWindows(tokens.size(), ctx, stride, maxChunks, err);
  if (!err.empty())
    die(err);
  std::fprintf(stderr, "attn-run: %zu tokens, %zu windows of %lld tokens (%s), cache %s, batch %lld, %d threads\n",
               tokens.size(), windows.size(), (long long)ctx,
               stride ? ("stride " + std::to_string(stride)).c_str() : "non-overlapping",
               m.kv ? m.kv->describe().c_str() : cache.str().c_str(), (long long)batchSize, threads);
  NllStats stats;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t w = 0; w < windows.size(); ++w) {
    const EvalWindow &win = windows[w];
    std::vector<int32_t> chunk(tokens.begin() + win.start, tokens.begin() + win.start + ctx);
    if (l.tok->addBos())
      chunk[0] = l.tok->bos();
    m.clearCache();
    for (int64_t b0 = 0; b0 < ctx; b0 += batchSize) {
      const int64_t b1 = std::min(ctx, b0 + batchSize);
      // Logits only for the scored rows of this batch (at least its last row).
      const int64_t from = std::min(std::max(win.firstScored, b0), b1 - 1);
      std::vector<float> logits =
          forward(m, std::vector<int32_t>(chunk.begin() + b0, chunk.begin() + b1), b0, from - b0);
      for (int64_t j = std::max(win.firstScored, from); j < std::min(b1, ctx - 1); ++j)
        stats.add(negLogLikelihood(logits.data() + (j - from) * m.vocab(), m.vocab(), chunk[j + 1]));
      // Progress after every batch (one long window is many batches).
      double el = seconds(t0, std::chrono::steady_clock::now());
      double done = (w + double(b1) / ctx) / windows.size();
      std::fprintf(stderr, "\r[%zu/%zu] %3.0f%% PPL %.4f  (%.1f s, ETA %.0f s)   ", w + 1,
                   windows.size(), 100 * done, stats.count() ? stats.ppl() : 0.0, el,
                   el / done * (1 - done));
    }
  }
  double total = seconds(t0, std::chrono::steady_clock::now());
  std::fprintf(stderr, "\nattn-run: scored %lld tokens in %.1f s (%.1f tok/s evaluated), %s\n",
               (long long)stats.count(), total, windows.size() * ctx / total,
               memoryReport(m).c_str());
  std::printf("PPL = %.4f +/- %.5f\n", stats.ppl(), stats.pplError());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::string cmd = argc >= 2 ? argv[1] : "";
  if (cmd != "generate" && cmd != "perplexity") {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string modelPath, specPath, prompt, textPath;
  bool chat = false, seeded = false, trace = false, int8Activations = true, activationsGiven = false;
  int samples = 1;
  int maxTokens = 64, threads = std::max(1u, std::thread::hardware_concurrency());
  int64_t ctx = 512, stride = 0, maxChunks = 0, batchSize = 0;
  CachePolicy cache;
  SamplerOptions so;
  StreamOptions so2;
  std::string streamOnly, windowOnly; // the last option given that needs --stream / the windowed method
  bool allowPast = false;
  const int64_t intMax = std::numeric_limits<int32_t>::max();
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        die("missing value after " + a);
      return argv[++i];
    };
    // Options of the other command are refused rather than ignored.
    bool gen = cmd == "generate";
    if (a == "--model") modelPath = value();
    else if (a == "--spec") specPath = value();
    else if (a == "--cache") {
      std::string e;
      cache = parseCachePolicy(value(), e);
      if (!e.empty()) die(e);
    }
    else if (a == "--threads") threads = parseInt(a, value(), 1, 1024);
    else if (a == "--device") {
      std::string v = value();
      if (v != "cpu" && v != "cuda")
        die("--device expects cpu or cuda, got '" + v + "'");
      gUseGpu = v == "cuda";
    }
    else if (a == "--activations") {
      std::string v = value();
      if (v != "int8" && v != "f32")
        die("--activations expects int8 or f32, got '" + v + "'");
      int8Activations = v == "int8";
      activationsGiven = true;
    }
    else if (gen && a == "--prompt") prompt = value();
    else if (gen && a == "--chat") { prompt = value(); chat = true; }
    else if (gen && a == "--max-tokens") maxTokens = parseInt(a, value(), 0, intMax);
    else if (gen && a == "--temperature") so.temperature = parseFloat(a, value());
    else if (gen && a == "--top-k") so.topK = parseInt(a, value(), 0, intMax);
    else if (gen && a == "--top-p") so.topP = parseFloat(a, value());
    else if (gen && a == "--seed") { so.seed = parseInt(a, value(), 0, std::numeric_limits<int64_t>::max()); seeded = true; }
    else if (gen && a == "--trace") trace = true;
    else if (gen && a == "--samples") samples = parseInt(a, value(), 1, 64);
    else if (!gen && a == "--file") textPath = value();
    else if (!gen && a == "--ctx") { ctx = parseInt(a, value(), 4, intMax); windowOnly = a; }
    else if (!gen && a == "--stride") { stride = parseInt(a, value(), 1, intMax); windowOnly = a; }
    else if (!gen && a == "--max-chunks") { maxChunks = parseInt(a, value(), 1, intMax); windowOnly = a; }
    else if (!gen && a == "--batch") batchSize = parseInt(a, value(), 1, intMax);
    else if (!gen && a == "--stream") so2.stream = true;
    else if (!gen && a == "--tokens") { so2.tokens = parseInt(a, value(), 2, intMax); streamOnly = a; }
    else if (!gen && a == "--score-from") { so2.scoreFrom = parseInt(a, value(), 1, intMax); streamOnly = a; }
    else if (!gen && a == "--bins") { so2.bins = parseInt(a, value(), 1, 4096); streamOnly = a; }
    else if (!gen && a == "--recompute") { so2.recompute = parseInt(a, value(), 1, intMax); streamOnly = a; }
    else if (!gen && a == "--allow-past-context") allowPast = true;
    else die("unknown option '" + a + "' for " + cmd);
  }
  // The GPU's dense layers are cuBLAS SGEMMs on f32 activations; an explicit
  // int8 request is refused rather than silently computed differently.
  if (gUseGpu && activationsGiven && int8Activations)
    die("--device cuda runs the dense layers on f32 activations (cuBLAS SGEMM); --activations int8 is CPU only");
  if (cmd == "generate") {
    if (modelPath.empty() || prompt.empty())
      die("--model and --prompt (or --chat) are required");
    std::string bad = validate(so);
    if (!bad.empty()) die(bad);
    return generate(modelPath, specPath, cache, prompt, chat, maxTokens, so, seeded, trace, threads,
                    int8Activations, samples);
  }
  if (modelPath.empty() || textPath.empty())
    die("--model and --file are required");
  if (!so2.stream && !streamOnly.empty())
    die(streamOnly + " needs --stream");
  if (so2.stream && !windowOnly.empty())
    die(windowOnly + " is for the windowed method; --stream runs the text as one sequence (--tokens N "
        "limits it)");
  return perplexity(modelPath, specPath, cache, textPath, ctx, stride, maxChunks, batchSize, threads, so2,
                    allowPast, int8Activations);
}
