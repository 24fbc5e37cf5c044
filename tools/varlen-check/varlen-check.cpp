//===- varlen-check.cpp - ragged-batch prefill against the reference -----===//
//
// attnc-varlen-check SPECS_DIR [--bug offset]
//
// Packs several sequences of ragged lengths (no queries, Lq != Lk, one past
// a self-extend window so its far branch is read) into one batch, runs the
// generated NAME_prefill_varlen_prepare / NAME_prefill_varlen_rows wrappers
// with the work items split unevenly across two threads (ranges that cut
// through sequences), and compares each sequence with the float64 reference
// (tools/reference) run on that sequence alone. Tolerances are attnc-check's
// (relative error, by dtype: f32 1e-4, f16 2e-3, bf16 1e-2; docs/kernels.md).
// `--bug offset` shifts one sequence's key offset by one token, to show the
// check fails when the packing is wrong.
//
//===----------------------------------------------------------------------===//
#include "dsl/Frontend.h"
#include "tools/common/HalfFloat.h"
#include "tools/reference/Reference.h"
#include "varlen_check_kernels.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace attnc;

namespace {

/// A packed tensor in the spec's element type (float, or bf16/f16 bits).
struct Packed {
  DType type;
  std::vector<float> f;
  std::vector<uint16_t> h;
  void assign(const std::vector<double> &x) {
    if (type == DType::F32) {
      f.assign(x.begin(), x.end());
      return;
    }
    h.resize(x.size());
    for (size_t i = 0; i < x.size(); ++i)
      h[i] = type == DType::BF16 ? toBF16((float)x[i]) : toF16((float)x[i]);
  }
  void zeros(size_t n) {
    f.assign(type == DType::F32 ? n : 0, 0.f);
    h.assign(type == DType::F32 ? 0 : n, 0);
  }
  double at(size_t i) const {
    return type == DType::F32 ? f[i] : type == DType::BF16 ? fromBF16(h[i]) : fromF16(h[i]);
  }
  void *data() { return type == DType::F32 ? (void *)f.data() : (void *)h.data(); }
};

struct Batch {
  std::vector<int64_t> lq, lk, cuQ, cuK, qPos, kPos;
  Packed q, k, v, out;
  std::vector<float> lse;
  std::map<std::string, RefTensor> inputs;
  std::vector<float> sinks, relBias; // the kernel inputs of the specs below
  std::vector<float> qf, kf, qg, kg;
};

/// Runs prepare once, then the rows over [0, total) in two uneven ranges on
/// two threads.
template <typename Prepare, typename Rows>
int runVarlen(Batch &b, int64_t heads, Prepare prepare, Rows rows) {
  if (prepare() != 0)
    return -1;
  int64_t total = b.cuQ.back() * heads, cut = total / 3 + 7; // cuts through a sequence
  if (cut > total)
    cut = total;
  std::thread t1([&] { rows(int64_t(0), cut); });
  std::thread t2([&] { rows(cut, total); });
  t1.join();
  t2.join();
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: attnc-varlen-check SPECS_DIR [--bug offset]\n");
    return 2;
  }
  std::string dir = argv[1];
  bool bug = argc > 3 && std::string(argv[2]) == "--bug" && std::string(argv[3]) == "offset";
  int failures = 0;
  for (const char *name : {"mistral_7b", "t5_bias", "gpt_oss_sinks", "self_extend"}) {
    auto specs = loadSpecFile(dir + "/" + name + ".attn");
    if (!specs || specs->size() != 1) {
      std::fprintf(stderr, "attnc-varlen-check: cannot load %s\n", name);
      return 2;
    }
    const Spec &spec = specs->front();
    const int64_t H = spec.heads, G = spec.kvHeads, D = spec.headDim, Dv = spec.valueDim;
    Batch b;
    // (Lq, Lk) per sequence: a prefill chunk, a sequence with no queries, a
    // square one, a single token, one past self-extend's 1024-token window.
    std::vector<std::pair<int64_t, int64_t>> shapes = {{5, 70}, {0, 13}, {37, 37}, {1, 1}, {3, 1100}};
    b.cuQ = {0};
    b.cuK = {0};
    for (auto [lq, lk] : shapes) {
      b.lq.push_back(lq);
      b.lk.push_back(lk);
      b.cuQ.push_back(b.cuQ.back() + lq);
      b.cuK.push_back(b.cuK.back() + lk);
      for (int64_t i = 0; i < lq; ++i)
        b.qPos.push_back(lk - lq + i);
      for (int64_t j = 0; j < lk; ++j)
        b.kPos.push_back(j);
    }
    const int64_t TQ = b.cuQ.back(), TK = b.cuK.back(), B = shapes.size();
    std::mt19937_64 rng(0x5eed + B);
    std::normal_distribution<double> normal(0.0, 1.0);
    auto draw = [&](size_t n) {
      std::vector<double> x(n);
      for (double &e : x)
        e = normal(rng);
      return x;
    };
    std::vector<double> q = draw(TQ * H * D), k = draw(TK * G * D), v = draw(TK * G * Dv);
    b.q.type = spec.qType;
    b.k.type = spec.kType;
    b.v.type = spec.vType;
    b.out.type = spec.outType;
    b.q.assign(q);
    b.k.assign(k);
    b.v.assign(v);
    b.out.zeros(TQ * H * Dv);
    b.lse.assign(TQ * H, 0.f);
    b.qf.assign(TQ * H * D, 0.f);
    b.kf.assign(TK * G * D, 0.f);
    b.qg.assign(TQ * H * D, 0.f);
    b.kg.assign(TK * G * D, 0.f);
    for (const KernelInput &in : spec.inputs) {
      RefTensor t;
      t.shape = in.name == "sinks" ? std::vector<int64_t>{H} : std::vector<int64_t>{H, 32};
      t.values = draw(in.name == "sinks" ? H : H * 32);
      std::vector<float> &dst = in.name == "sinks" ? b.sinks : b.relBias;
      dst.assign(t.values.begin(), t.values.end());
      b.inputs[in.name] = t;
    }
    std::vector<int64_t> cuK = b.cuK;
    if (bug)
      cuK[3] += 1; // sequence 2 reads its keys one token late, sequence 3 has none
    int rc = -1;
    const int64_t *cq = b.cuQ.data(), *ck = cuK.data();
    std::string n = name;
    if (n == "mistral_7b") {
      rc = runVarlen(
          b, H,
          [&] {
            return mistral_7b_prefill_varlen_prepare((uint16_t *)b.q.data(), (uint16_t *)b.k.data(), b.qPos.data(),
                                                     b.kPos.data(), cq, ck, B, b.qf.data(), b.kf.data());
          },
          [&](int64_t lo, int64_t hi) {
            mistral_7b_prefill_varlen_rows(b.qf.data(), b.kf.data(), (uint16_t *)b.v.data(), b.qPos.data(),
                                           b.kPos.data(), cq, ck, B, (uint16_t *)b.out.data(), lo, hi);
          });
    } else if (n == "t5_bias") {
      rc = runVarlen(
          b, H,
          [&] {
            return t5_bias_prefill_varlen_prepare((float *)b.q.data(), (float *)b.k.data(), b.qPos.data(),
                                                  b.kPos.data(), cq, ck, B, b.qf.data(), b.kf.data());
          },
          [&](int64_t lo, int64_t hi) {
            t5_bias_prefill_varlen_rows(b.qf.data(), b.kf.data(), (float *)b.v.data(), b.qPos.data(), b.kPos.data(),
                                        cq, ck, B, b.relBias.data(), H, 32, (float *)b.out.data(), lo, hi);
          });
    } else if (n == "gpt_oss_sinks") {
      rc = runVarlen(
          b, H,
          [&] {
            return gpt_oss_sinks_prefill_varlen_prepare((uint16_t *)b.q.data(), (uint16_t *)b.k.data(),
                                                        b.qPos.data(), b.kPos.data(), cq, ck, B, b.qf.data(),
                                                        b.kf.data());
          },
          [&](int64_t lo, int64_t hi) {
            gpt_oss_sinks_prefill_varlen_rows(b.qf.data(), b.kf.data(), (uint16_t *)b.v.data(), b.qPos.data(),
                                              b.kPos.data(), cq, ck, B, b.sinks.data(), H,
                                              (uint16_t *)b.out.data(), lo, hi);
          });
    } else {
      rc = runVarlen(
          b, H,
          [&] {
            return self_extend_prefill_varlen_prepare((uint16_t *)b.q.data(), (uint16_t *)b.k.data(), b.qPos.data(),
                                                      b.kPos.data(), cq, ck, B, b.qf.data(), b.kf.data(),
                                                      b.qg.data(), b.kg.data());
          },
          [&](int64_t lo, int64_t hi) {
            self_extend_prefill_varlen_rows(b.qf.data(), b.kf.data(), b.qg.data(), b.kg.data(),
                                            (uint16_t *)b.v.data(), b.qPos.data(), b.kPos.data(), cq, ck, B,
                                            (uint16_t *)b.out.data(), lo, hi);
          });
    }
    if (rc != 0) {
      std::printf("%s: varlen_prepare refused the offsets\n", name);
      ++failures;
      continue;
    }
    const double tol = spec.outType == DType::F32 ? 1e-4 : spec.outType == DType::BF16 ? 1e-2 : 2e-3;
    for (int64_t s = 0; s < B; ++s) {
      if (b.lq[s] == 0)
        continue;
      ReferenceInputs in;
      in.lq = b.lq[s];
      in.lk = b.lk[s];
      in.batch = s;
      in.inputs = b.inputs;
      auto slice = [&](const std::vector<double> &x, const Packed &p, int64_t from, int64_t count) {
        std::vector<double> r(count);
        for (int64_t i = 0; i < count; ++i)
          r[i] = roundToDType(x[from + i], p.type);
        return r;
      };
      in.q = slice(q, b.q, b.cuQ[s] * H * D, in.lq * H * D);
      in.k = slice(k, b.k, b.cuK[s] * G * D, in.lk * G * D);
      in.v = slice(v, b.v, b.cuK[s] * G * Dv, in.lk * G * Dv);
      ReferenceResult ref;
      std::string err;
      if (!referenceAttention(spec, in, ref, err)) {
        std::printf("%s seq %lld: reference: %s\n", name, (long long)s, err.c_str());
        ++failures;
        continue;
      }
      double num = 0, den = 0;
      for (int64_t i = 0; i < in.lq * H * Dv; ++i) {
        double o = b.out.at(b.cuQ[s] * H * Dv + i), f = ref.out[i];
        num += (o - f) * (o - f);
        den += f * f;
      }
      double rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
      bool pass = rel <= tol;
      failures += !pass;
      std::printf("%s seq %lld (Lq %lld, Lk %lld): rel_err = %.2e (tol %.0e) %s\n", name, (long long)s,
                  (long long)in.lq, (long long)in.lk, rel, tol, pass ? "PASS" : "FAIL");
    }
  }
  // Offsets that decrease are refused before any kernel runs.
  {
    int64_t cq[3] = {0, 4, 2}, ck[3] = {0, 4, 8};
    int rc = mistral_7b_varlen_check(cq, ck, 2);
    std::printf("decreasing cu_seqlens: %s\n", rc == -1 ? "refused PASS" : "accepted FAIL");
    failures += rc != -1;
  }
  std::printf("attnc-varlen-check: %d failure(s)\n", failures);
  return failures ? 1 : 0;
}
