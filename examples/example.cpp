// attnc-example: runs the generated kernel of examples/example.attn on random
// inputs, single-threaded and with a caller-supplied parallel-for, and checks
// both against a naive double-precision implementation written here.
#include "example_kernels.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

namespace {
constexpr int H = example_swa_heads, HKV = example_swa_kv_heads, D = example_swa_head_dim;
constexpr int WINDOW = 48;

void rope(std::vector<double> &x, int tokens, int heads, const std::vector<int64_t> &pos) {
  for (int t = 0; t < tokens; ++t)
    for (int h = 0; h < heads; ++h)
      for (int j = 0; j < D / 2; ++j) {
        double inv = (float)std::pow(10000.0, -2.0 * j / D); // f32 table
        double a = pos[t] * inv, c = std::cos(a), s = std::sin(a);
        double &x0 = x[(t * heads + h) * D + j], &x1 = x[(t * heads + h) * D + j + D / 2];
        double y0 = x0 * c - x1 * s, y1 = x1 * c + x0 * s;
        x0 = y0;
        x1 = y1;
      }
}
} // namespace

int main() {
  const int lq = 77, lk = 200; // ragged: not multiples of any tile
  std::mt19937 rng(42);
  std::normal_distribution<float> normal;
  std::vector<float> q(lq * H * D), k(lk * HKV * D), v(lk * HKV * D);
  for (auto *t : {&q, &k, &v})
    for (float &x : *t)
      x = normal(rng);
  std::vector<int64_t> qPos(lq), kPos(lk);
  for (int j = 0; j < lk; ++j) kPos[j] = j;
  for (int i = 0; i < lq; ++i) qPos[i] = lk - lq + i;

  // 1. One call on this thread.
  std::vector<float> out(lq * H * D);
  example_swa_prefill(q.data(), lq, k.data(), v.data(), lk, qPos.data(), kPos.data(), 0, out.data());

  // 2. Prepare once, then rows split across 4 threads.
  std::vector<float> qf(lq * H * D), kf(lk * HKV * D), outPar(lq * H * D);
  example_swa_prefill_prepare(q.data(), lq, k.data(), lk, qPos.data(), kPos.data(), qf.data(), kf.data());
  std::vector<std::thread> pool;
  const int64_t work = (int64_t)lq * H, threads = 4;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      example_swa_prefill_rows(qf.data(), lq, kf.data(), lk, v.data(), qPos.data(), kPos.data(), 0,
                               outPar.data(), work * t / threads, work * (t + 1) / threads);
    });
  for (auto &th : pool) th.join();

  // Naive reference.
  std::vector<double> qd(q.begin(), q.end()), kd(k.begin(), k.end());
  rope(qd, lq, H, qPos);
  rope(kd, lk, HKV, kPos);
  double errSq = 0, refSq = 0, parDiff = 0;
  for (int i = 0; i < lq; ++i)
    for (int h = 0; h < H; ++h) {
      int g = h / (H / HKV);
      std::vector<double> s(lk, -INFINITY);
      double m = -INFINITY;
      for (int j = 0; j < lk; ++j) {
        int64_t d = qPos[i] - kPos[j];
        if (d < 0 || d >= WINDOW) continue;
        double dot = 0;
        for (int c = 0; c < D; ++c) dot += qd[(i * H + h) * D + c] * kd[(j * HKV + g) * D + c];
        s[j] = dot / std::sqrt((double)D);
        m = std::max(m, s[j]);
      }
      double den = 0;
      std::vector<double> o(D, 0);
      for (int j = 0; j < lk; ++j) {
        if (s[j] == -INFINITY) continue;
        double p = std::exp(s[j] - m);
        den += p;
        for (int c = 0; c < D; ++c) o[c] += p * v[(j * HKV + g) * D + c];
      }
      for (int c = 0; c < D; ++c) {
        double ref = o[c] / den, got = out[(i * H + h) * D + c];
        errSq += (got - ref) * (got - ref);
        refSq += ref * ref;
        parDiff = std::max(parDiff, (double)std::fabs(got - outPar[(i * H + h) * D + c]));
      }
    }
  double rel = std::sqrt(errSq / refSq);
  std::printf("attnc-example: relative error %.3g (tolerance 1e-4), parallel vs serial max diff %.3g\n",
              rel, parDiff);
  bool ok = rel < 1e-4 && parDiff == 0;
  std::printf("attnc-example: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
