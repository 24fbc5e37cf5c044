//===- ModelReferenceTest.cpp - The model against a float64 forward pass ---===//
//
// Fabricated 2-layer llama models with SmolLM2-135M's attention (9 heads, 3 KV
// heads, head_dim 64, theta 100000, adjacent RoPE pairs: the smollm2_135m
// spec) and weights in every type attn-run reads, run by Model (Halide dense
// ops, the attention kernels attnc generated, single-token steps on the
// decode kernels) and by a float64 forward pass written here from the llama
// formulas, sharing nothing with the runtime but the GGUF reader and
// dequantizeRow (the weights' values). Tolerances, as max |logit - ref| /
// max |ref| over all positions:
//  * f32 activations: 1e-4 (f32 arithmetic over sums of <= 576 terms and two
//    layers; measured ~1e-6);
//  * int8 activations (the default of attn-run): 3e-2. Each matmul input is
//    rounded to a step of amax/127 per 32-block (relative error up to 0.4% of
//    the block's largest value per element), 7 matmuls per layer; measured
//    4e-3 (q4_1) to 1.4e-2 (requantized Q4_K);
//  * weights requantized at load to Q8_0 (the K-quants, 256-element blocks)
//    move each weight by at most half a q8 step of its 32-block's max
//    (0.4%): 1e-2 with f32 activations too (measured 3e-3 for Q4_K, 1.2e-3
//    for Q6_K). Q4_0 -> Q4_1 and f16/bf16 -> f32 are exact.
//
//===----------------------------------------------------------------------===//
#include "attn_model_kernels.h"
#include "gguf/GGUFWriter.h"
#include "gguf/Quants.h"
#include "model/Model.h"
#include "model/TestModels.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>

using namespace attnc;
using namespace attnc::model;
using gguf::GGMLType;

namespace {

constexpr int64_t kEmbd = 576, kHeads = 9, kKVHeads = 3, kHeadDim = 64, kFF = 256, kVocab = 96;
constexpr int kLayers = 2;
constexpr double kTheta = 100000.0, kEps = 1e-5;

/// The weight type of each matrix group; K-quants only where k % 256 == 0
/// (ffn_down: k = kFF).
struct Types {
  const char *label;
  GGMLType embed, attn, gateUp, down, output; ///< output F32 + tied: no output.weight
  bool tied = false;
  /// Some matrix is requantized at load (K-quants -> Q8_0): its rounding is
  /// part of the difference from the reference even with f32 activations.
  bool requantized() const {
    for (GGMLType t : {embed, attn, gateUp, down, output})
      if (t == GGMLType::Q4_K || t == GGMLType::Q6_K)
        return true;
    return false;
  }
};

std::vector<float> randomValues(std::mt19937 &rng, int64_t n, float scale, float offset = 0) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v) x = offset + scale * u(rng);
  return v;
}

/// Random K-quant blocks (one per 256 elements) with sane f16 scales.
std::vector<uint8_t> randomKQuant(std::mt19937 &rng, GGMLType t, int64_t n) {
  const size_t block = t == GGMLType::Q4_K ? 144 : 210;
  std::vector<uint8_t> b(n / 256 * block);
  for (uint8_t &x : b) x = uint8_t(rng());
  for (size_t o = 0; o < b.size(); o += block) {
    auto put = [&](size_t at, float f) {
      uint16_t h = gguf::fp32ToFp16(f);
      std::memcpy(&b[o + at], &h, 2);
    };
    if (t == GGMLType::Q4_K) { // x = d * sc * q - dmin * m, sc, m < 64, q < 16
      put(0, 1e-4f * (1 + (rng() % 100) / 100.0f));
      put(2, 2e-4f * (1 + (rng() % 100) / 100.0f));
    } else { // Q6_K: x = d * sc * (q - 32), sc int8
      put(208, 1e-5f * (1 + (rng() % 100) / 100.0f));
    }
  }
  return b;
}

std::string writeModel(const Types &ty, uint32_t seed) {
  gguf::GGUFWriter w;
  test::addSmolLM2AttentionMetadata(w, std::string("attnc-reference-") + ty.label, kLayers, kEmbd, kFF, kVocab);
  std::mt19937 rng(seed);
  auto add = [&](const std::string &name, std::vector<int64_t> ne, GGMLType t, float scale,
                 float offset = 0) {
    const int64_t n = ne[0] * (ne.size() > 1 ? ne[1] : 1);
    gguf::Error e;
    if (t == GGMLType::Q4_K || t == GGMLType::Q6_K) {
      std::vector<uint8_t> raw = randomKQuant(rng, t, n);
      e = w.addTensor(name, t, ne, raw.data(), raw.size());
    } else {
      e = w.addTensorF32(name, ne, randomValues(rng, n, scale, offset), t);
    }
    ASSERT_FALSE(e.isFailure()) << name << ": " << e.message();
  };
  const int64_t kv = kKVHeads * kHeadDim;
  add("token_embd.weight", {kEmbd, kVocab}, ty.embed, 1.0f);
  add("output_norm.weight", {kEmbd}, GGMLType::F32, 0.2f, 1.0f);
  if (!ty.tied)
    add("output.weight", {kEmbd, kVocab}, ty.output, 0.1f);
  for (int l = 0; l < kLayers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    add(p + "attn_norm.weight", {kEmbd}, GGMLType::F32, 0.2f, 1.0f);
    add(p + "attn_q.weight", {kEmbd, kEmbd}, ty.attn, 0.06f);
    add(p + "attn_k.weight", {kEmbd, kv}, ty.attn, 0.06f);
    add(p + "attn_v.weight", {kEmbd, kv}, ty.attn, 0.2f);
    add(p + "attn_output.weight", {kEmbd, kEmbd}, ty.attn, 0.05f);
    add(p + "ffn_norm.weight", {kEmbd}, GGMLType::F32, 0.2f, 1.0f);
    add(p + "ffn_gate.weight", {kEmbd, kFF}, ty.gateUp, 0.08f);
    add(p + "ffn_up.weight", {kEmbd, kFF}, ty.gateUp, 0.08f);
    add(p + "ffn_down.weight", {kFF, kEmbd}, ty.down, 0.08f);
  }
  char tmpl[] = "/tmp/attnc-model-reference-test-XXXXXX";
  int fd = mkstemp(tmpl);
  EXPECT_GE(fd, 0);
  close(fd);
  gguf::Error e = w.writeFile(tmpl);
  EXPECT_FALSE(e.isFailure()) << e.message();
  return tmpl;
}

//===----------------------------------------------------------------------===//
// The float64 reference forward pass.
//===----------------------------------------------------------------------===//

/// A [rows][cols] matrix of the tensor's dequantized values.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<double> v;
  std::vector<double> apply(const std::vector<double> &x) const {
    std::vector<double> y(rows, 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        y[r] += v[r * cols + c] * x[c];
    return y;
  }
};

Matrix load(const gguf::GGUFFile &f, const std::string &name) {
  const gguf::GGUFTensorInfo *t = f.findTensor(name);
  EXPECT_NE(t, nullptr) << name;
  Matrix m;
  m.cols = t->ne[0];
  m.rows = t->nRows();
  std::vector<float> row(m.cols);
  for (int64_t r = 0; r < m.rows; ++r) {
    EXPECT_FALSE(gguf::dequantizeRow(t->type, t->data + r * t->rowBytes(), row.data(), m.cols));
    m.v.insert(m.v.end(), row.begin(), row.end());
  }
  return m;
}

std::vector<double> rmsnorm(const std::vector<double> &x, const Matrix &w) {
  double ss = 0;
  for (double e : x) ss += e * e;
  const double s = 1.0 / std::sqrt(ss / x.size() + kEps);
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * s * w.v[i];
  return y;
}

/// Adjacent pairs (2i, 2i + 1) of every head rotated by pos * theta^(-2i/D).
void rope(std::vector<double> &x, int64_t heads, int64_t pos) {
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < kHeadDim / 2; ++i) {
      const double a = pos * std::pow(kTheta, -2.0 * i / kHeadDim);
      double &x0 = x[h * kHeadDim + 2 * i], &x1 = x[h * kHeadDim + 2 * i + 1];
      const double r0 = x0 * std::cos(a) - x1 * std::sin(a), r1 = x0 * std::sin(a) + x1 * std::cos(a);
      x0 = r0;
      x1 = r1;
    }
}

/// Logits [n][vocab] of tokens at positions 0..n-1 (causal attention).
std::vector<double> referenceLogits(const gguf::GGUFFile &f, const std::vector<int32_t> &ids) {
  const int64_t n = ids.size();
  Matrix embed = load(f, "token_embd.weight");
  std::vector<std::vector<double>> x(n);
  for (int64_t i = 0; i < n; ++i)
    x[i].assign(embed.v.begin() + ids[i] * kEmbd, embed.v.begin() + (ids[i] + 1) * kEmbd);
  for (int l = 0; l < kLayers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    Matrix an = load(f, p + "attn_norm.weight"), wq = load(f, p + "attn_q.weight"),
           wk = load(f, p + "attn_k.weight"), wv = load(f, p + "attn_v.weight"),
           wo = load(f, p + "attn_output.weight"), fn = load(f, p + "ffn_norm.weight"),
           wg = load(f, p + "ffn_gate.weight"), wu = load(f, p + "ffn_up.weight"),
           wd = load(f, p + "ffn_down.weight");
    std::vector<std::vector<double>> q(n), k(n), v(n);
    for (int64_t i = 0; i < n; ++i) {
      std::vector<double> h = rmsnorm(x[i], an);
      q[i] = wq.apply(h);
      k[i] = wk.apply(h);
      v[i] = wv.apply(h);
      rope(q[i], kHeads, i);
      rope(k[i], kKVHeads, i);
    }
    for (int64_t i = 0; i < n; ++i) {
      std::vector<double> att(kHeads * kHeadDim, 0.0);
      for (int64_t h = 0; h < kHeads; ++h) {
        const int64_t g = h / (kHeads / kKVHeads);
        std::vector<double> s(i + 1);
        double mx = -1e300;
        for (int64_t j = 0; j <= i; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < kHeadDim; ++d)
            dot += q[i][h * kHeadDim + d] * k[j][g * kHeadDim + d];
          s[j] = dot / std::sqrt((double)kHeadDim);
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (double &e : s) sum += (e = std::exp(e - mx));
        for (int64_t j = 0; j <= i; ++j)
          for (int64_t d = 0; d < kHeadDim; ++d)
            att[h * kHeadDim + d] += s[j] / sum * v[j][g * kHeadDim + d];
      }
      std::vector<double> o = wo.apply(att);
      for (int64_t e = 0; e < kEmbd; ++e) x[i][e] += o[e];
      std::vector<double> h = rmsnorm(x[i], fn), gate = wg.apply(h), up = wu.apply(h);
      for (int64_t e = 0; e < kFF; ++e) gate[e] = gate[e] / (1 + std::exp(-gate[e])) * up[e];
      std::vector<double> dn = wd.apply(gate);
      for (int64_t e = 0; e < kEmbd; ++e) x[i][e] += dn[e];
    }
  }
  Matrix on = load(f, "output_norm.weight");
  Matrix out = load(f, f.findTensor("output.weight") ? "output.weight" : "token_embd.weight");
  std::vector<double> logits;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> y = out.apply(rmsnorm(x[i], on));
    logits.insert(logits.end(), y.begin(), y.end());
  }
  return logits;
}

const AttentionKernels &denseSpec() {
  for (const AttentionKernels &k : compiledSpecs())
    if (std::string(k.name) == "smollm2_135m")
      return k;
  ADD_FAILURE() << "smollm2_135m not compiled in";
  return compiledSpecs().front();
}

/// Model logits of every token, run in forwards of the given sizes (cycled).
std::vector<float> modelLogits(const gguf::GGUFFile &f, const std::vector<int32_t> &ids,
                               const std::vector<int64_t> &chunks, bool int8) {
  auto cfg = gguf::LlamaConfig::fromGGUF(f);
  EXPECT_TRUE((bool)cfg) << cfg.message();
  Model m = Model::load(f, *cfg, denseSpec(), 2);
  if (int8)
    m.packWeights();
  m.reserveCache(ids.size());
  return test::runInChunks(m, ids, chunks);
}

double relDiff(const std::vector<float> &got, const std::vector<double> &ref) {
  EXPECT_EQ(got.size(), ref.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < std::min(got.size(), ref.size()); ++i) {
    num = std::max(num, std::fabs(got[i] - ref[i]));
    den = std::max(den, std::fabs(ref[i]));
  }
  return num / den;
}

class ModelReference : public ::testing::TestWithParam<Types> {};

TEST_P(ModelReference, LogitsMatchFloat64) {
  const Types &ty = GetParam();
  std::string path = writeModel(ty, 1234);
  auto f = gguf::GGUFFile::open(path);
  ASSERT_TRUE((bool)f) << f.message();
  std::vector<int32_t> ids(37);
  std::mt19937 rng(99);
  for (int32_t &t : ids) t = 3 + rng() % (kVocab - 3);
  std::vector<double> ref = referenceLogits(**f, ids);
  // One prefill chunk; then chunks with single-token steps (decode kernels).
  const double f32 = relDiff(modelLogits(**f, ids, {37}, false), ref);
  const double f32Steps = relDiff(modelLogits(**f, ids, {20, 1, 1, 15}, false), ref);
  const double int8 = relDiff(modelLogits(**f, ids, {37}, true), ref);
  const double int8Steps = relDiff(modelLogits(**f, ids, {1}, true), ref);
  std::printf("%s: f32 %.3g, f32 steps %.3g, int8 %.3g, int8 steps %.3g\n", ty.label, f32, f32Steps,
              int8, int8Steps);
  const double f32Tol = ty.requantized() ? 1e-2 : 1e-4;
  EXPECT_LT(f32, f32Tol);
  EXPECT_LT(f32Steps, f32Tol);
  EXPECT_LT(int8, 3e-2);
  EXPECT_LT(int8Steps, 3e-2);
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    WeightTypes, ModelReference,
    ::testing::Values(
        Types{"f32", GGMLType::F32, GGMLType::F32, GGMLType::F32, GGMLType::F32, GGMLType::F32},
        // SmolLM2-135M-Instruct's file: q8_0 embedding (tied output), q4_1 layers.
        Types{"smollm2_q4_1", GGMLType::Q8_0, GGMLType::Q4_1, GGMLType::Q4_1, GGMLType::Q4_1,
              GGMLType::F32, true},
        Types{"q8_0", GGMLType::Q8_0, GGMLType::Q8_0, GGMLType::Q8_0, GGMLType::Q8_0, GGMLType::Q8_0},
        // Converted at load: q4_0 -> q4_1 exactly, f16/bf16 -> f32, K-quants -> q8_0.
        Types{"q4_0_f16", GGMLType::F16, GGMLType::Q4_0, GGMLType::F16, GGMLType::Q4_0, GGMLType::BF16},
        Types{"q4_k", GGMLType::BF16, GGMLType::Q4_0, GGMLType::Q8_0, GGMLType::Q4_K,
              GGMLType::Q8_0},
        Types{"q6_k", GGMLType::Q4_1, GGMLType::Q8_0, GGMLType::F16, GGMLType::Q6_K,
              GGMLType::Q4_0}),
    [](const ::testing::TestParamInfo<Types> &i) { return std::string(i.param.label); });

} // namespace
