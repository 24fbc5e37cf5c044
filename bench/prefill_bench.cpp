// attnc-bench-prefill: times attnc's generated CPU prefill kernels (prepare +
// rows split across threads, as an application would call them) and reports
// GFLOP/s against this machine's measured FMA peak, median of repeats.
//   attnc-bench-prefill [--threads N] [--repeats R] [--min-len L] [--max-len L]
//                       [--only name1,name2]
// Built three times: f32 specs (bench/specs), and bf16 specs
// (bench/specs/bf16) from one library with AMX tiles where the target has
// AMX-BF16 (attnc-bench-prefill-bf16) and one without (-bf16-fma).
#ifdef ATTNC_BENCH_BF16
#include ATTNC_BENCH_HEADER
#else
#include "bench_kernels.h"
#endif
#include <cstdint>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {
using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// Measured f32 FMA throughput of `threads` cores (GFLOP/s): independent
/// accumulator chains the compiler vectorizes with -march=native.
double measurePeak(int threads) {
  auto work = [](double *out) {
    constexpr int lanes = 16, chains = 12;
    float acc[chains][lanes];
    for (int c = 0; c < chains; ++c)
      for (int l = 0; l < lanes; ++l)
        acc[c][l] = 1.0f + 1e-7f * (c + l);
    const float a = 0.999999f, b = 1e-7f;
    const long iters = 40'000'000;
    for (long i = 0; i < iters; ++i)
      for (int c = 0; c < chains; ++c)
        for (int l = 0; l < lanes; ++l)
          acc[c][l] = acc[c][l] * a + b;
    float s = 0;
    for (int c = 0; c < chains; ++c)
      for (int l = 0; l < lanes; ++l)
        s += acc[c][l];
    *out = s;
  };
  std::vector<double> sink(threads);
  std::vector<std::thread> pool;
  auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t)
    pool.emplace_back(work, &sink[t]);
  for (auto &p : pool) p.join();
  double dt = seconds(t0, Clock::now());
  return 2.0 * 40'000'000.0 * 12 * 16 * threads / dt / 1e9;
}

#ifdef ATTNC_BENCH_BF16
using Elem = uint16_t; // bf16 bits
Elem fromFloat(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return static_cast<Elem>((u + 0x7fff + ((u >> 16) & 1)) >> 16); // round to nearest even
}
#define VARIANT_NAME(N) N##_bf16
#else
using Elem = float;
Elem fromFloat(float x) { return x; }
#define VARIANT_NAME(N) N
#endif

struct Variant {
  const char *name;
  int heads, kvHeads, dim;
  double window; // 0: dense causal; else keys per query (for the FLOP count)
  std::function<void(const Elem *, int64_t, const Elem *, int64_t, const int64_t *, const int64_t *, float *, float *)> prepare;
  std::function<void(const float *, int64_t, const float *, int64_t, const Elem *, const int64_t *, const int64_t *, Elem *, int64_t, int64_t)> rows;
};

#define VARIANT(N, H, HKV, D, W) VARIANT_OF(VARIANT_NAME(N), H, HKV, D, W)
#define VARIANT_OF(N, H, HKV, D, W) VARIANT_IMPL(N, H, HKV, D, W)
#define VARIANT_IMPL(N, H, HKV, D, W)                                                              \
  Variant{#N, H, HKV, D, W,                                                                        \
          [](const Elem *q, int64_t lq, const Elem *k, int64_t lk, const int64_t *qp,              \
             const int64_t *kp, float *qf, float *kf) { N##_prefill_prepare(q, lq, k, lk, qp, kp, qf, kf); }, \
          [](const float *qf, int64_t lq, const float *kf, int64_t lk, const Elem *v,              \
             const int64_t *qp, const int64_t *kp, Elem *out, int64_t b, int64_t e) {              \
            N##_prefill_rows(qf, lq, kf, lk, v, qp, kp, 0, out, b, e);                             \
          }}
} // namespace

int main(int argc, char **argv) {
  int threads = std::max(1u, std::thread::hardware_concurrency()), repeats = 3;
  int64_t maxLen = 4096, minLen = 1024;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--only")) only = argv[i + 1];
    else if (!std::strcmp(argv[i], "--min-len")) minLen = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--max-len")) maxLen = std::atoll(argv[i + 1]);
  }
  double peak = measurePeak(threads);
  std::printf("machine: %d threads, measured f32 FMA peak %.1f GFLOP/s\n", threads, peak);
  std::printf("%-14s %7s %10s %10s %8s\n", "variant", "tokens", "median_ms", "GFLOP/s", "%peak");

  std::vector<Variant> variants = {
      VARIANT(dense_d64, 8, 8, 64, 0),     VARIANT(dense_d128, 8, 8, 128, 0),
      VARIANT(gqa8_d64, 16, 2, 64, 0),     VARIANT(gqa4_d128, 16, 4, 128, 0),
      VARIANT(gqa8_d128, 16, 2, 128, 0),   VARIANT(alibi_d128, 8, 8, 128, 0),
      VARIANT(softcap_d128, 8, 8, 128, 0), VARIANT(swa4096_d128, 8, 8, 128, 4096),
      VARIANT(sinks_d128, 8, 8, 128, 1024),
  };
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (const Variant &var : variants) {
    if (!only.empty() && only.find(var.name) == std::string::npos)
      continue;
    for (int64_t len = minLen; len <= maxLen; len *= 2) {
      int64_t lq = len, lk = len;
      std::vector<Elem> q(lq * var.heads * var.dim), k(lk * var.kvHeads * var.dim),
          v(lk * var.kvHeads * var.dim), out(lq * var.heads * var.dim);
      std::vector<float> qf(q.size()), kf(k.size());
      for (auto *t : {&q, &k, &v})
        for (Elem &x : *t) x = fromFloat(normal(rng));
      std::vector<int64_t> qp(lq), kp(lk);
      for (int64_t i = 0; i < lk; ++i) kp[i] = i;
      for (int64_t i = 0; i < lq; ++i) qp[i] = lk - lq + i;
      std::vector<double> times;
      for (int r = 0; r < repeats; ++r) {
        auto t0 = Clock::now();
        var.prepare(q.data(), lq, k.data(), lk, qp.data(), kp.data(), qf.data(), kf.data());
        int64_t work = lq * var.heads;
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
          pool.emplace_back([&, t] {
            var.rows(qf.data(), lq, kf.data(), lk, v.data(), qp.data(), kp.data(), out.data(),
                     work * t / threads, work * (t + 1) / threads);
          });
        for (auto &p : pool) p.join();
        times.push_back(seconds(t0, Clock::now()));
      }
      std::sort(times.begin(), times.end());
      double median = times[times.size() / 2];
      // Attention FLOPs actually required: 4 * D per kept (query, key) pair.
      double pairs = 0;
      for (int64_t i = 0; i < lq; ++i) {
        double keys = (double)(qp[i] + 1);
        if (var.window > 0) keys = std::min(keys, var.window + (var.window == 1024 ? 4 : 0));
        pairs += keys;
      }
      double flops = 4.0 * var.dim * pairs * var.heads;
      double gflops = flops / median / 1e9;
      std::printf("%-14s %7lld %10.1f %10.2f %7.1f%%\n", var.name, (long long)len, median * 1e3, gflops,
                  100 * gflops / peak);
      std::fflush(stdout);
    }
  }
  return 0;
}
