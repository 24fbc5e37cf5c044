//===- gguf-make-test-model.cpp - Fabricate a tiny llama GGUF file --------===//
//
// Writes a small, deterministic llama-architecture GGUF file (2 layers,
// embedding 64, 4 heads / 2 kv heads, vocab 32) whose tensors use several
// ggml types (f32, f16, bf16, q8_0, q4_0, q4_1), for tests of the GGUF
// reader and gguf-dump. Options produce corrupt variants:
//
//   gguf-make-test-model [options] OUT.gguf
//     --version=N          GGUF version to write (default 3)
//     --tiny               a ~2 KiB variant (1 layer, embedding 32, vocab 4),
//                          e.g. as a fuzzing seed
//     --smollm2-shape      a runnable model with SmolLM2-135M's attention (9
//                          heads, 3 kv heads, head_dim 64, theta 100000, no
//                          RoPE scaling) that attn-run's compiled specs fit:
//                          2 layers, feed-forward 64, q8_0/f32 tensors with
//                          pseudo-random weights, a 32-piece SentencePiece-style
//                          vocabulary (a-z, '▁', '.', ',') and a context length
//                          of 64, so runs past it are cheap (~1 MiB)
//     --smollm2-full       the same with all of SmolLM2-135M's shape: 30
//                          layers, feed-forward 1536, a vocabulary of 49152
//                          (the 32 pieces, then unused fillers), context 8192
//                          (~145 MiB): its dense layers' work for benchmarks
//                          and GPU checks where the real file cannot travel
//     --omit=KEY           leave metadata KEY out
//     --truncate=N         keep only the first N bytes
//     --corrupt=KIND       bad-magic | bad-version | version1 | big-endian |
//                          huge-tensor-count | huge-kv-count | long-key |
//                          bad-value-type | deep-array | bad-alignment |
//                          bad-type | too-many-dims | dims-overflow |
//                          misaligned | past-eof | duplicate-tensor
//
//===----------------------------------------------------------------------===//
#include "gguf/GGUFWriter.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

using namespace attnc::gguf;

namespace {
std::vector<float> weights(int64_t n, float seed, float scale = 0.5f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] =
        scale * std::sin(0.37f * static_cast<float>(i) + seed);
  return v;
}

template <typename T> void patch(std::vector<uint8_t> &b, uint64_t at, T v) {
  if (at + sizeof(T) <= b.size())
    std::memcpy(b.data() + at, &v, sizeof(T));
}

int fail(const std::string &msg) {
  std::fprintf(stderr, "gguf-make-test-model: %s\n", msg.c_str());
  return 1;
}

/// Deterministic pseudo-random weights in [-scale, scale] (xorshift; unlike
/// weights() not low-rank, so attention depends on which keys it sees).
std::vector<float> noise(int64_t n, uint64_t seed, float scale) {
  std::vector<float> v(static_cast<size_t>(n));
  uint64_t x = 0x9E3779B97F4A7C15ull * (seed + 1);
  for (float &f : v) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    f = scale * (static_cast<float>(x >> 40) / static_cast<float>(1 << 23) - 1.0f);
  }
  return v;
}

/// --smollm2-shape and --smollm2-full (see the header).
int makeSmolLM2Shape(const std::string &out, bool full) {
  const int64_t nEmbd = 576, nFF = full ? 1536 : 64, nLayers = full ? 30 : 2, nHeads = 9, nKVHeads = 3,
                headDim = 64;
  const int64_t kvDim = nKVHeads * headDim;
  GGUFWriter w(3);
  w.add("general.architecture", MetaValue::string("llama"));
  w.add("general.name", MetaValue::string(full ? "attnc-smollm2-full" : "attnc-smollm2-shape"));
  w.add("general.alignment", MetaValue::u32(32));
  w.add("llama.block_count", MetaValue::u32(nLayers));
  w.add("llama.context_length", MetaValue::u32(full ? 8192 : 64));
  w.add("llama.embedding_length", MetaValue::u32(nEmbd));
  w.add("llama.feed_forward_length", MetaValue::u32(nFF));
  w.add("llama.attention.head_count", MetaValue::u32(nHeads));
  w.add("llama.attention.head_count_kv", MetaValue::u32(nKVHeads));
  w.add("llama.attention.layer_norm_rms_epsilon", MetaValue::f32(1e-5f));
  w.add("llama.rope.freq_base", MetaValue::f32(100000.0f));
  w.add("llama.rope.dimension_count", MetaValue::u32(headDim));
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", "\xe2\x96\x81", ".", ","};
  for (char c = 'a'; c <= 'z'; ++c)
    tokens.push_back(std::string(1, c));
  std::vector<int32_t> types(tokens.size(), 1);
  // Fillers up to SmolLM2's vocabulary: unused (type 5), never matched by text.
  while (full && tokens.size() < 49152) {
    tokens.push_back("<unused_" + std::to_string(tokens.size()) + ">");
    types.push_back(5);
  }
  std::vector<float> scores(tokens.size(), 0.0f);
  types[0] = 2;
  types[1] = types[2] = 3;
  w.add("tokenizer.ggml.model", MetaValue::string("llama"));
  w.add("tokenizer.ggml.tokens", MetaValue::stringArray(tokens));
  w.add("tokenizer.ggml.scores", MetaValue::f32Array(scores));
  w.add("tokenizer.ggml.token_type", MetaValue::i32Array(types));
  w.add("tokenizer.ggml.bos_token_id", MetaValue::u32(1));
  w.add("tokenizer.ggml.eos_token_id", MetaValue::u32(2));
  w.add("tokenizer.ggml.add_bos_token", MetaValue::boolean(true));
  const int64_t nVocab = static_cast<int64_t>(tokens.size());
  struct T {
    std::string name;
    std::vector<int64_t> ne;
    GGMLType type;
    float scale;
  };
  std::vector<T> ts = {{"token_embd.weight", {nEmbd, nVocab}, GGMLType::Q8_0, 0.1f},
                       {"output_norm.weight", {nEmbd}, GGMLType::F32, 0.0f}};
  for (int l = 0; l < nLayers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    ts.push_back({p + "attn_norm.weight", {nEmbd}, GGMLType::F32, 0.0f});
    ts.push_back({p + "attn_q.weight", {nEmbd, nEmbd}, GGMLType::Q8_0, 0.15f});
    ts.push_back({p + "attn_k.weight", {nEmbd, kvDim}, GGMLType::Q8_0, 0.15f});
    ts.push_back({p + "attn_v.weight", {nEmbd, kvDim}, GGMLType::Q8_0, 0.1f});
    ts.push_back({p + "attn_output.weight", {nEmbd, nEmbd}, GGMLType::Q8_0, 0.05f});
    ts.push_back({p + "ffn_norm.weight", {nEmbd}, GGMLType::F32, 0.0f});
    ts.push_back({p + "ffn_gate.weight", {nEmbd, nFF}, GGMLType::Q8_0, 0.1f});
    ts.push_back({p + "ffn_up.weight", {nEmbd, nFF}, GGMLType::Q8_0, 0.1f});
    ts.push_back({p + "ffn_down.weight", {nFF, nEmbd}, GGMLType::Q8_0, 0.1f});
  }
  uint64_t seed = 0;
  for (const T &t : ts) {
    int64_t n = 1;
    for (int64_t d : t.ne)
      n *= d;
    std::vector<float> v = t.scale == 0.0f ? std::vector<float>(static_cast<size_t>(n), 1.0f)
                                           : noise(n, ++seed, t.scale);
    if (Error e = w.addTensorF32(t.name, t.ne, v, t.type))
      return fail(e.message());
  }
  auto bytesOr = w.serialize(nullptr);
  if (!bytesOr)
    return fail(bytesOr.message());
  std::vector<uint8_t> b = bytesOr.take();
  std::FILE *f = std::fopen(out.c_str(), "wb");
  if (!f)
    return fail("cannot create '" + out + "'");
  bool ok = std::fwrite(b.data(), 1, b.size(), f) == b.size();
  ok = std::fclose(f) == 0 && ok;
  return ok ? 0 : fail("cannot write '" + out + "'");
}
} // namespace

int main(int argc, char **argv) {
  std::string out, corrupt;
  uint32_t version = 3;
  long long truncate = -1;
  bool tiny = false, smollm2 = false, smollm2Full = false;
  std::set<std::string> omit;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--version=", 0) == 0)
      version = static_cast<uint32_t>(std::strtoul(a.c_str() + 10, nullptr, 10));
    else if (a == "--tiny")
      tiny = true;
    else if (a == "--smollm2-shape")
      smollm2 = true;
    else if (a == "--smollm2-full")
      smollm2 = smollm2Full = true;
    else if (a.rfind("--omit=", 0) == 0)
      omit.insert(a.substr(7));
    else if (a.rfind("--truncate=", 0) == 0)
      truncate = std::strtoll(a.c_str() + 11, nullptr, 10);
    else if (a.rfind("--corrupt=", 0) == 0)
      corrupt = a.substr(10);
    else if (a.size() > 1 && a[0] == '-')
      return fail("unknown option '" + a + "'");
    else
      out = a;
  }
  if (out.empty())
    return fail("usage: gguf-make-test-model [--version=N] [--omit=KEY] "
                "[--truncate=N] [--corrupt=KIND] OUT.gguf");
  if (smollm2)
    return makeSmolLM2Shape(out, smollm2Full);

  const int64_t nEmbd = tiny ? 32 : 64, nFF = tiny ? 32 : 128;
  const int64_t nVocab = tiny ? 4 : 32, nLayers = tiny ? 1 : 2;
  const int64_t nHeads = tiny ? 2 : 4, nKVHeads = tiny ? 1 : 2;
  const int64_t headDim = nEmbd / nHeads;
  const int64_t kvDim = nKVHeads * headDim;

  GGUFWriter w(version);
  auto add = [&](const std::string &k, MetaValue v) {
    if (!omit.count(k))
      w.add(k, std::move(v));
  };
  add("general.architecture", MetaValue::string("llama"));
  add("general.name", MetaValue::string("attnc-tiny-llama"));
  add("general.file_type", MetaValue::u32(7));
  add("general.alignment", MetaValue::u32(32));
  add("llama.block_count", MetaValue::u32(nLayers));
  add("llama.context_length", MetaValue::u32(128));
  add("llama.embedding_length", MetaValue::u32(nEmbd));
  add("llama.feed_forward_length", MetaValue::u32(nFF));
  add("llama.attention.head_count", MetaValue::u32(nHeads));
  add("llama.attention.head_count_kv", MetaValue::u32(nKVHeads));
  add("llama.attention.layer_norm_rms_epsilon", MetaValue::f32(1e-5f));
  add("llama.rope.freq_base", MetaValue::f32(10000.0f));
  add("llama.rope.dimension_count", MetaValue::u32(headDim));
  add("llama.rope.scaling.type", MetaValue::string("linear"));
  add("llama.rope.scaling.factor", MetaValue::f32(2.0f));
  add("llama.rope.scaling.original_context_length", MetaValue::u32(64));
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};
  while (tokens.size() < static_cast<size_t>(nVocab)) {
    tokens.push_back("tok" + std::to_string(tokens.size()));
    scores.push_back(-static_cast<float>(tokens.size()));
    types.push_back(1);
  }
  add("tokenizer.ggml.model", MetaValue::string("llama"));
  add("tokenizer.ggml.tokens", MetaValue::stringArray(tokens));
  add("tokenizer.ggml.scores", MetaValue::f32Array(scores));
  add("tokenizer.ggml.token_type", MetaValue::i32Array(types));
  add("tokenizer.ggml.bos_token_id", MetaValue::u32(1));
  add("tokenizer.ggml.add_bos_token", MetaValue::boolean(true));
  if (corrupt == "deep-array") {
    MetaValue v = MetaValue::array(GGUFValueType::U8, {MetaValue::u8(1)});
    for (int i = 0; i < 12; ++i)
      v = MetaValue::array(GGUFValueType::Array, {v});
    add("test.deep", v);
  }

  struct T {
    std::string name;
    std::vector<int64_t> ne;
    GGMLType type;
  };
  std::vector<T> ts = {{"token_embd.weight", {nEmbd, nVocab}, GGMLType::Q8_0},
                       {"output_norm.weight", {nEmbd}, GGMLType::F32},
                       {"output.weight", {nEmbd, nVocab}, GGMLType::Q4_1}};
  if (tiny) // one tensor per remaining type, no per-layer weights
    ts = {{"token_embd.weight", {nEmbd, nVocab}, GGMLType::Q4_0},
          {"output_norm.weight", {nEmbd}, GGMLType::F32},
          {"blk.0.attn_q.weight", {nEmbd, 1}, GGMLType::Q8_0},
          {"blk.0.attn_k.weight", {nEmbd, 1}, GGMLType::Q4_1},
          {"blk.0.attn_v.weight", {8, 1}, GGMLType::F16},
          {"blk.0.ffn_up.weight", {8}, GGMLType::BF16}};
  for (int l = 0; l < (tiny ? 0 : nLayers); ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    ts.push_back({p + "attn_norm.weight", {nEmbd}, GGMLType::F32});
    ts.push_back({p + "attn_q.weight", {nEmbd, nEmbd}, GGMLType::Q4_0});
    ts.push_back({p + "attn_k.weight", {nEmbd, kvDim}, GGMLType::Q4_1});
    ts.push_back({p + "attn_v.weight", {nEmbd, kvDim}, GGMLType::Q8_0});
    ts.push_back({p + "attn_output.weight", {nEmbd, nEmbd}, GGMLType::F16});
    ts.push_back({p + "ffn_norm.weight", {nEmbd}, GGMLType::F32});
    ts.push_back({p + "ffn_gate.weight", {nEmbd, nFF}, GGMLType::BF16});
    ts.push_back({p + "ffn_up.weight", {nEmbd, nFF}, GGMLType::Q4_0});
    ts.push_back({p + "ffn_down.weight", {nFF, nEmbd}, GGMLType::Q8_0});
  }
  float seed = 0;
  for (const T &t : ts) {
    int64_t n = 1;
    for (int64_t d : t.ne)
      n *= d;
    std::vector<float> v = t.name.find("norm") != std::string::npos
                               ? std::vector<float>(static_cast<size_t>(n), 1.0f)
                               : weights(n, seed += 1.0f);
    if (Error e = w.addTensorF32(t.name, t.ne, v, t.type))
      return fail(e.message());
  }

  GGUFLayout layout;
  auto bytesOr = w.serialize(&layout);
  if (!bytesOr)
    return fail(bytesOr.message());
  std::vector<uint8_t> b = bytesOr.take();
  const auto &t0 = layout.tensors.at(0);
  const auto &t1 = layout.tensors.at(1);
  const auto &tl = layout.tensors.back();

  if (corrupt.empty() || corrupt == "deep-array") {
  } else if (corrupt == "bad-magic") {
    std::memcpy(b.data(), "GGML", 4);
  } else if (corrupt == "bad-version") {
    patch<uint32_t>(b, 4, 7);
  } else if (corrupt == "version1") {
    patch<uint32_t>(b, 4, 1);
  } else if (corrupt == "big-endian") {
    patch<uint32_t>(b, 4, 0x03000000u);
  } else if (corrupt == "huge-tensor-count") {
    patch<uint64_t>(b, layout.tensorCountOffset, 1ull << 40);
  } else if (corrupt == "huge-kv-count") {
    patch<uint64_t>(b, layout.kvCountOffset, 1ull << 40);
  } else if (corrupt == "long-key") {
    patch<uint64_t>(b, layout.kvOffsets.at(0), 1ull << 40);
  } else if (corrupt == "bad-value-type") {
    // general.architecture's type field: after its u64 length and the key.
    patch<uint32_t>(b, layout.kvOffsets.at(0) + 8 + 20, 99);
  } else if (corrupt == "bad-alignment") {
    // general.alignment is kv #3: length, key (17), type, value.
    patch<uint32_t>(b, layout.kvOffsets.at(3) + 8 + 17 + 4, 48);
  } else if (corrupt == "bad-type") {
    patch<uint32_t>(b, t0.typeOffset, 77);
  } else if (corrupt == "too-many-dims") {
    patch<uint32_t>(b, t0.nDimsOffset, 5);
  } else if (corrupt == "dims-overflow") {
    patch<uint64_t>(b, t0.dimsOffset + 8, 1ull << 62);
  } else if (corrupt == "misaligned") {
    uint64_t off;
    std::memcpy(&off, b.data() + t1.offsetOffset, 8);
    patch<uint64_t>(b, t1.offsetOffset, off + 4);
  } else if (corrupt == "past-eof") {
    uint64_t off;
    std::memcpy(&off, b.data() + tl.offsetOffset, 8);
    patch<uint64_t>(b, tl.offsetOffset, off + 4096);
  } else if (corrupt == "duplicate-tensor") {
    // Rename blk.0.attn_k.weight (tensor 5) to the same-length name of
    // tensor 4.
    std::memcpy(b.data() + layout.tensors.at(5).infoOffset + 8,
                "blk.0.attn_q.weight", 19);
  } else {
    return fail("unknown corruption '" + corrupt + "'");
  }
  if (truncate >= 0 && static_cast<uint64_t>(truncate) < b.size())
    b.resize(static_cast<size_t>(truncate));

  std::FILE *f = std::fopen(out.c_str(), "wb");
  if (!f)
    return fail("cannot create '" + out + "'");
  bool ok = b.empty() || std::fwrite(b.data(), 1, b.size(), f) == b.size();
  ok = std::fclose(f) == 0 && ok;
  return ok ? 0 : fail("cannot write '" + out + "'");
}
