//===- ModelCacheTest.cpp - Every cache layout runs in the model ----------===//
//
// A fabricated 2-layer llama model with SmolLM2-135M's attention (9 heads,
// 3 KV heads, head_dim 64, theta 100000) runs through every compiled
// SmolLM2 spec: the paged spec (on the cache kernels, KVCache) must give the
// dense spec's logits (prefill kernels) to 1e-4, the int8/fp8 caches stay
// within their quantization error, and the ring (StreamingLLM, constant
// memory) equals the sinks spec's prefill path on sequences past 1024 tokens.
// Small weights keep the softmax away from saturation, so attention errors
// reach the logits.
//
//===----------------------------------------------------------------------===//
#include "attn_model_kernels.h"
#include "gguf/GGUFWriter.h"
#include "model/KVCache.h"
#include "model/Model.h"
#include "model/TestModels.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

using namespace attnc;
using namespace attnc::model;

namespace {

constexpr int64_t kEmbd = 576, kKVHeads = 3, kHeadDim = 64, kFF = 128, kVocab = 64;
constexpr int kLayers = 2;

std::vector<float> weights(int64_t n, float seed, float scale) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = scale * std::sin(0.37f * (float)i + seed) * std::cos(0.011f * (float)i * seed);
  return v;
}

/// Writes the fabricated model to a temporary file (removed at exit).
std::string writeModel() {
  static std::string path;
  if (!path.empty())
    return path;
  gguf::GGUFWriter w;
  test::addSmolLM2AttentionMetadata(w, "attnc-smollm2-attention", kLayers, kEmbd, kFF, kVocab);
  struct T {
    std::string name;
    std::vector<int64_t> ne;
    float scale;
  };
  const int64_t kv = kKVHeads * kHeadDim;
  std::vector<T> ts = {{"token_embd.weight", {kEmbd, kVocab}, 1.0f},
                       {"output_norm.weight", {kEmbd}, 0.0f},
                       {"output.weight", {kEmbd, kVocab}, 0.1f}};
  for (int l = 0; l < kLayers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    ts.push_back({p + "attn_norm.weight", {kEmbd}, 0.0f});
    ts.push_back({p + "attn_q.weight", {kEmbd, kEmbd}, 0.06f});
    ts.push_back({p + "attn_k.weight", {kEmbd, kv}, 0.06f});
    ts.push_back({p + "attn_v.weight", {kEmbd, kv}, 0.2f});
    ts.push_back({p + "attn_output.weight", {kEmbd, kEmbd}, 0.05f});
    ts.push_back({p + "ffn_norm.weight", {kEmbd}, 0.0f});
    ts.push_back({p + "ffn_gate.weight", {kEmbd, kFF}, 0.05f});
    ts.push_back({p + "ffn_up.weight", {kEmbd, kFF}, 0.05f});
    ts.push_back({p + "ffn_down.weight", {kFF, kEmbd}, 0.05f});
  }
  float seed = 0;
  for (const T &t : ts) {
    int64_t n = 1;
    for (int64_t d : t.ne) n *= d;
    std::vector<float> v = t.scale == 0.0f ? std::vector<float>(n, 1.0f) : weights(n, seed += 1.0f, t.scale);
    gguf::Error e = w.addTensorF32(t.name, t.ne, v, gguf::GGMLType::F32);
    EXPECT_FALSE(e.isFailure()) << e.message();
  }
  char tmpl[] = "/tmp/attnc-model-cache-test-XXXXXX";
  int fd = mkstemp(tmpl);
  EXPECT_GE(fd, 0);
  close(fd);
  gguf::Error e = w.writeFile(tmpl);
  EXPECT_FALSE(e.isFailure()) << e.message();
  path = tmpl;
  std::atexit([] { std::remove(path.c_str()); });
  return path;
}

const AttentionKernels &spec(const std::string &name) {
  for (const AttentionKernels &k : compiledSpecs())
    if (name == k.name)
      return k;
  ADD_FAILURE() << "spec " << name << " not compiled in";
  return compiledSpecs().front();
}

struct Runner {
  std::unique_ptr<gguf::GGUFFile> file;
  Model model;
  Runner(const std::string &specName, int64_t capacity, CachePolicy policy = {}, int threads = 2,
         int64_t sequences = 1) {
    auto f = gguf::GGUFFile::open(writeModel());
    EXPECT_TRUE((bool)f) << f.message();
    file = std::move(*f);
    auto cfg = gguf::LlamaConfig::fromGGUF(*file);
    EXPECT_TRUE((bool)cfg) << cfg.message();
    const AttentionKernels &a = spec(specName);
    EXPECT_EQ(mismatch(a, *cfg), "");
    model = Model::load(*file, *cfg, a, threads);
    model.cache = policy;
    model.reserveCache(capacity, sequences);
  }
  /// Logits of every token, run in forwards of the given sizes (cycled).
  std::vector<float> run(const std::vector<int32_t> &ids, const std::vector<int64_t> &chunks) {
    return test::runInChunks(model, ids, chunks);
  }
};

std::vector<int32_t> tokens(int64_t n) {
  std::vector<int32_t> t(n);
  uint64_t s = 12345;
  for (int64_t i = 0; i < n; ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    t[i] = 3 + (int32_t)((s >> 33) % (kVocab - 3));
  }
  return t;
}

/// max |a - b| / max |b|, over rows [from, rows).
double relDiff(const std::vector<float> &a, const std::vector<float> &b, int64_t fromRow = 0) {
  EXPECT_EQ(a.size(), b.size());
  double num = 0, den = 0;
  for (size_t i = fromRow * kVocab; i < std::min(a.size(), b.size()); ++i) {
    num = std::max(num, (double)std::fabs(a[i] - b[i]));
    den = std::max(den, (double)std::fabs(b[i]));
  }
  return num / den;
}

// Chunks: a prefill, single-token decode steps, then ragged chunks crossing pages.
const std::vector<int64_t> kChunks = {100, 1, 1, 1, 37, 1, 16, 5};

TEST(ModelCache, PagedMatchesDense) {
  std::vector<int32_t> ids = tokens(300);
  std::vector<float> dense = Runner("smollm2_135m", 300).run(ids, kChunks);
  Runner paged("smollm2_135m_paged", 300);
  ASSERT_TRUE(paged.model.kv);
  std::vector<float> got = paged.run(ids, kChunks);
  EXPECT_LT(relDiff(got, dense), 1e-4);
  // The cache reports its real bytes: 19 pages of 16 tokens, K and V f32,
  // positions, and the page table.
  const size_t perLayer = 19 * 16 * (2 * kKVHeads * kHeadDim * 4 + 8);
  EXPECT_EQ(paged.model.cacheBytes(), kLayers * perLayer + 19 * 4);
  // After clear, the pages are reused: one prefill of all 300 tokens (one
  // multi-query decode over the cache) gives the same logits.
  paged.model.clearCache();
  EXPECT_LT(relDiff(paged.run(ids, {300}), dense), 1e-4);
}

// Single-token steps on the contiguous cache run the spec's decode kernels
// (Model.cpp attention), chunks the prefill kernel: the same logits. The
// sinks spec's mask (4 sinks + 1020 recent) is exercised past its window.
TEST(ModelCache, DenseDecodeStepsMatchPrefill) {
  std::vector<int32_t> ids = tokens(300);
  std::vector<float> prefill = Runner("smollm2_135m", 300).run(ids, {300});
  EXPECT_LT(relDiff(Runner("smollm2_135m", 300).run(ids, {1}), prefill), 1e-4);
  EXPECT_LT(relDiff(Runner("smollm2_135m", 300).run(ids, kChunks), prefill), 1e-4);
  std::vector<int32_t> long_ = tokens(1100);
  std::vector<float> sinksPrefill = Runner("smollm2_135m_sinks", 1100).run(long_, {1100});
  EXPECT_LT(relDiff(Runner("smollm2_135m_sinks", 1100).run(long_, {1050, 1}), sinksPrefill, 1024), 1e-4);
  // The RoPE-scaled specs: the decode kernels rotate with the same scaling
  // (YaRN: and its attention factor) as prepare.
  for (const char *scaled : {"smollm2_135m_linear2", "smollm2_135m_ntk2", "smollm2_135m_yarn2"}) {
    std::vector<float> p = Runner(scaled, 300).run(ids, {300});
    EXPECT_LT(relDiff(Runner(scaled, 300).run(ids, {1}), p), 1e-4) << scaled;
    EXPECT_GT(relDiff(p, prefill), 2e-4) << scaled << " should differ from unscaled RoPE";
  }
  // A planted difference shows: the dense spec's logits past the window differ.
  EXPECT_GT(relDiff(Runner("smollm2_135m", 1100).run(long_, {1050, 1}), sinksPrefill, 1050), 1e-3);
}

// Three sequences continue one 37-token prompt (two full pages of 16 and a
// partial one) on a paged cache: each gives the logits of running prompt +
// continuation alone, and the two full pages are stored once.
TEST(ModelCache, PagedSequencesShareAPromptPrefix) {
  std::vector<int32_t> all = tokens(37 + 3 * 20);
  std::vector<int32_t> prompt(all.begin(), all.begin() + 37);
  Runner paged("smollm2_135m_paged", 16 * 8, {}, 2, /*sequences=*/3);
  paged.run(prompt, {37});
  paged.model.forkSequence(1);
  paged.model.forkSequence(2);
  const std::vector<int64_t> steps = {1, 7, 1, 11};
  for (int s = 0; s < 3; ++s) {
    std::vector<int32_t> cont(all.begin() + 37 + 20 * s, all.begin() + 37 + 20 * (s + 1));
    paged.model.selectSequence(s);
    std::vector<float> got = test::runInChunks(paged.model, cont, steps, 37);
    std::vector<int32_t> alone = prompt;
    alone.insert(alone.end(), cont.begin(), cont.end());
    std::vector<float> ref = Runner("smollm2_135m", 57).run(alone, {57});
    ref.erase(ref.begin(), ref.begin() + 37 * kVocab);
    EXPECT_LT(relDiff(got, ref), 1e-4) << "sequence " << s;
  }
  // 57 tokens each: 2 shared full pages + 2 own pages per sequence.
  EXPECT_EQ(paged.model.kv->pagesInUse(), 2 + 3 * 2);
  paged.model.clearCache();
  EXPECT_EQ(paged.model.kv->pagesInUse(), 0);
  // Only paged caches hold several sequences.
  std::string error;
  EXPECT_EQ(makeKVCache(spec("smollm2_135m_int8"), kLayers, 64, 1, error, 2), nullptr);
  EXPECT_NE(error.find("only paged caches hold more"), std::string::npos) << error;
  auto one = makeKVCache(spec("smollm2_135m_int8"), kLayers, 64, 1, error);
  ASSERT_TRUE(one);
  EXPECT_FALSE(one->fork(1, error));
  EXPECT_NE(error.find("only paged KV caches share a prefix"), std::string::npos) << error;
  EXPECT_FALSE(paged.model.kv->select(3, error));
  EXPECT_NE(error.find("no sequence 3 (it holds 3)"), std::string::npos) << error;
}

// Prefix sharing on the KIVI cache: a 45-token prompt is one quantized key
// group (a full, shared page) and 13 tokens in the residual, which each
// forked sequence must get its own copy of (with seq_len). Each sequence
// then matches the same tokens run alone in the same chunks, whose groups
// complete at the same calls (so the same codes).
TEST(ModelCache, KiviSequencesShareAPromptPrefix) {
  const int64_t promptLen = 45;
  std::vector<int32_t> all = tokens(promptLen + 3 * 30);
  std::vector<int32_t> prompt(all.begin(), all.begin() + promptLen);
  Runner kivi("smollm2_135m_kivi", 32 * 8, {}, 2, /*sequences=*/3);
  kivi.run(prompt, {promptLen});
  kivi.model.forkSequence(1);
  kivi.model.forkSequence(2);
  const std::vector<int64_t> steps = {1, 9, 1, 19};
  for (int s = 2; s >= 0; --s) { // the last fork first: its residual must not be the others'
    std::vector<int32_t> cont(all.begin() + promptLen + 30 * s, all.begin() + promptLen + 30 * (s + 1));
    kivi.model.selectSequence(s);
    std::vector<float> got = test::runInChunks(kivi.model, cont, steps, promptLen);
    Runner alone("smollm2_135m_kivi", 32 * 3);
    alone.run(prompt, {promptLen});
    std::vector<float> ref = test::runInChunks(alone.model, cont, steps, promptLen);
    EXPECT_LT(relDiff(got, ref), 1e-4) << "sequence " << s;
  }
  // 75 tokens each: the shared first page + 2 own pages per sequence.
  EXPECT_EQ(kivi.model.kv->pagesInUse(), 1 + 3 * 2);
}

TEST(ModelCache, PagedMatchesDenseAfterClear) {
  std::vector<int32_t> ids = tokens(120);
  Runner paged("smollm2_135m_paged", 120);
  std::vector<float> a = paged.run(ids, {120});
  paged.model.clearCache();
  std::vector<float> b = paged.run(ids, {7, 1, 50});
  EXPECT_LT(relDiff(b, a), 1e-4);
}

// Per-token absmax quantization: int8 codes round to 1/254 of a token's
// largest |x| (relative error <= 0.4% of the row's max per element); e4m3
// keeps 3 mantissa bits (<= 6.25% per element). Averaged over 64-dim dot
// products and softmax-weighted sums, the logits move far less; the bounds
// are ~4x the measured differences (int8 7.3e-4, fp8 3.3e-3 on this model)
// and much more than 1e-4, so a broken dequantization shows as O(1).
TEST(ModelCache, QuantizedStayClose) {
  std::vector<int32_t> ids = tokens(200);
  std::vector<float> dense = Runner("smollm2_135m", 200).run(ids, kChunks);
  Runner int8("smollm2_135m_int8", 200), fp8("smollm2_135m_fp8", 200);
  double dInt8 = relDiff(int8.run(ids, kChunks), dense);
  double dFp8 = relDiff(fp8.run(ids, kChunks), dense);
  EXPECT_LT(dInt8, 3e-3);
  EXPECT_LT(dFp8, 1.5e-2);
  EXPECT_GT(dInt8, 0.0); // the codes are really int8
  // int8 codes and f32 scales: a quarter of the f32 cache, plus scales.
  const size_t perToken = 2 * kKVHeads * kHeadDim + 2 * kKVHeads * 4 + 8;
  EXPECT_EQ(int8.model.cacheBytes(), kLayers * 200 * perToken);
}

// Token-group quantization (KIVI int4 keys per channel / values per token,
// paged; int8 per channel on both sides, contiguous): a group of 32 tokens is
// quantized when its last token arrives, the group being filled is read from
// the f32 residual. int4 rounds to 1/30 of a group's range (asymmetric, 15
// steps): ~8x int8's 1/254 of the absmax, so its bound is looser. Bounds are
// ~3x the measured differences (KIVI 1.2e-2; int8 per channel 1.8e-3, more
// than per token's 7.3e-4: these weights have no outlier channels, so a
// channel's scale over 32 tokens is coarser than a token's own); a
// dequantization or residual error shows as O(1).
TEST(ModelCache, GroupQuantizedStayClose) {
  std::vector<int32_t> ids = tokens(200);
  std::vector<float> dense = Runner("smollm2_135m", 200).run(ids, kChunks);
  Runner kivi("smollm2_135m_kivi", 200), int8pc("smollm2_135m_int8_channel", 200);
  const double dKivi = relDiff(kivi.run(ids, kChunks), dense);
  const double dInt8 = relDiff(int8pc.run(ids, kChunks), dense);
  EXPECT_LT(dKivi, 4e-2);
  EXPECT_LT(dInt8, 5e-3);
  EXPECT_GT(dInt8, 1e-5); // the complete groups are really quantized
  EXPECT_GT(dKivi, dInt8); // ...to 4 bits
}

// StreamingLLM: the ring (4 sinks + 1020 window, positions inside the cache)
// against the sinks spec's prefill path with keys re-rotated at their cache
// index, one token per forward. The old path evicts after each forward, so a
// token appended to sinks:4,W sees up to W + 1 window keys at indices 4..W+4;
// the ring's query sits at the newest window slot, position 1023. The two
// agree exactly for W = 1019 (4 + 1019 cached, then the new token at index
// 1023); sinks:4,1020 puts the new token at 1024, one further from the sinks
// (measured: 5.8e-7 against sinks:4,1019, 3.0e-6 against sinks:4,1020, 8.2e-3
// against the dense cache, rows >= 1024). The reference re-rotates every
// cached key per token, the bulk of this test's ~8 s.
TEST(ModelCache, RingMatchesSinksPastTheWindow) {
  const int64_t n = 1100;
  std::vector<int32_t> ids = tokens(n);
  CachePolicy sinks;
  sinks.sinks = 4;
  sinks.window = 1019;
  std::vector<float> ref = Runner("smollm2_135m_sinks", n, sinks).run(ids, {1});
  Runner ring("smollm2_135m_ring", n);
  std::vector<float> got = ring.run(ids, {300, 1, 1, 64});
  EXPECT_LT(relDiff(got, ref), 1e-4);
  // Past the window (rows >= 1024) too, where the ring has wrapped.
  EXPECT_LT(relDiff(got, ref, 1024), 1e-4);
  // Constant memory: 1024 slots whatever the length.
  EXPECT_EQ(ring.model.cacheBytes(), (size_t)kLayers * 1024 * (2 * kKVHeads * kHeadDim * 4 + 8));
  EXPECT_EQ(ring.model.cached(), 1024);
  // Before the window fills, the ring is the dense cache.
  std::vector<float> dense = Runner("smollm2_135m", n).run(ids, {1000});
  std::vector<float> head(got.begin(), got.begin() + 1000 * kVocab);
  std::vector<float> denseHead(dense.begin(), dense.begin() + 1000 * kVocab);
  EXPECT_LT(relDiff(head, denseHead), 1e-4);
  // ...and after it, it is not (the test can tell them apart).
  EXPECT_GT(relDiff(got, dense, 1024), 1e-3);
}

TEST(ModelCache, KernelsDescribeTheirCache) {
  EXPECT_EQ(spec("smollm2_135m_fp8").cache.str(), "paged(16) nhd fp8");
  EXPECT_EQ(spec("smollm2_135m_int8").cache.str(), "contiguous nhd int8");
  EXPECT_EQ(spec("smollm2_135m_ring").cache.str(), "ring(4+1020)");
  EXPECT_EQ(spec("smollm2_135m_kivi").cache.str(),
            "paged(32) nhd int4(32, keys per channel, values per token)");
  EXPECT_EQ(spec("smollm2_135m_int8_channel").cache.str(), "contiguous nhd int8 per channel");
  // decode_split items: the KV heads the kernel says (the header's enum).
  EXPECT_EQ(spec("smollm2_135m_paged").cacheKernels.headsPerBlock, smollm2_135m_paged_decode_heads_per_block);
  EXPECT_EQ(spec("smollm2_135m_ring").cacheKernels.headsPerBlock, smollm2_135m_ring_decode_heads_per_block);
  EXPECT_FALSE(spec("smollm2_135m").usesCacheKernels()); // the prefill path
  EXPECT_TRUE(spec("smollm2_135m").hasCacheKernels());
}

TEST(ModelCache, ErrorsAreClear) {
  std::string error;
  const AttentionKernels &paged = spec("smollm2_135m_paged");
  std::unique_ptr<KVCache> kv = makeKVCache(paged, 2, 20, 2, error);
  ASSERT_TRUE(kv) << error;
  EXPECT_EQ(kv->capacity(), 32); // two pages of 16
  EXPECT_TRUE(kv->reserve(30, error));
  kv->commit(30);
  EXPECT_FALSE(kv->reserve(3, error));
  EXPECT_NE(error.find("holds 32 tokens; 30 cached + 3 new do not fit"), std::string::npos) << error;
  EXPECT_FALSE(makeKVCache(paged, 2, 0, 2, error));
  EXPECT_NE(error.find("capacity of 0 tokens is out of range"), std::string::npos) << error;
  EXPECT_FALSE(makeKVCache(spec("smollm2_135m"), 0, 10, 2, error));
}

} // namespace
