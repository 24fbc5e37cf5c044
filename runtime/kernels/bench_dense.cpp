//===- bench_dense.cpp - Micro-benchmark of the dense kernels (not a test) ===//
//
// bench-dense [--threads=N] [--min-time=SECONDS]
// GFLOP/s (2*m*k*n) and GB/s (weight bytes + x + y, each touched once) of
// kernels::matmul for the SmolLM2-135M shapes, n = 1 (decode) and n = 128
// (prompt), with Q4_1, Q8_0 and F32 weights, the quantized ones with f32
// activations and with int8 activations (packed weights; the time includes
// quantizing x); plus rmsnorm / swiglu.
//===----------------------------------------------------------------------===//
#include "kernels/DenseOps.h"

#include "gguf/Quants.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

using namespace attnc;
using attnc::gguf::GGMLType;

namespace {

double minTime = 0.3;

/// Median-free simple timing: runs `f` until minTime elapsed (after warm-up),
/// returns seconds per call.
double timeIt(const std::function<void()> &f) {
  f();
  using clk = std::chrono::steady_clock;
  int iters = 1;
  for (;;) {
    auto t0 = clk::now();
    for (int i = 0; i < iters; ++i)
      f();
    double s = std::chrono::duration<double>(clk::now() - t0).count();
    if (s >= minTime)
      return s / iters;
    iters = s <= 0 ? iters * 10 : std::max(iters * 2, int(iters * minTime / s * 1.2));
  }
}

const char *typeName(GGMLType t) {
  return t == GGMLType::Q4_1 ? "q4_1" : t == GGMLType::Q8_0 ? "q8_0" : "f32";
}

} // namespace

int main(int argc, char **argv) {
  for (int a = 1; a < argc; ++a) {
    std::string s = argv[a];
    if (s.rfind("--threads=", 0) == 0)
      kernels::setNumThreads(std::atoi(s.c_str() + 10));
    else if (s.rfind("--min-time=", 0) == 0)
      minTime = std::atof(s.c_str() + 11);
    else {
      std::fprintf(stderr, "usage: bench-dense [--threads=N] [--min-time=S]\n");
      return 2;
    }
  }
  struct Shape { int64_t m, k; const char *what; };
  const Shape shapes[] = {{576, 576, "attn q/o"},
                          {1536, 576, "ffn gate/up"},
                          {576, 1536, "ffn down"},
                          {49152, 576, "output"}};
  std::printf("%-12s %-5s %-4s %6s %6s %4s %10s %9s %8s\n", "op", "type", "acts", "m", "k",
              "n", "us/call", "GFLOP/s", "GB/s");
  uint32_t seed = 12345;
  auto rnd = [&] {
    seed = seed * 1664525u + 1013904223u;
    return float(seed >> 8) / float(1u << 24) - 0.5f;
  };
  for (const Shape &sh : shapes)
    for (GGMLType t : {GGMLType::Q4_1, GGMLType::Q8_0, GGMLType::F32}) {
      int64_t rowBytes = kernels::weightRowBytes(t, sh.k);
      std::vector<uint8_t> raw(sh.m * rowBytes);
      std::vector<float> row(sh.k);
      for (int64_t r = 0; r < sh.m; ++r) {
        for (float &f : row)
          f = rnd();
        if (gguf::quantizeRow(t, row.data(), &raw[r * rowBytes], sh.k)) {
          std::fprintf(stderr, "quantize failed\n");
          return 1;
        }
      }
      kernels::WeightView w{t, raw.data(), sh.m, sh.k};
      kernels::PackedWeight packed;
      if (kernels::packable(w) && kernels::packWeight(w, packed)) {
        std::fprintf(stderr, "packWeight failed\n");
        return 1;
      }
      for (bool int8 : {false, true})
      for (int64_t n : {1, 128}) {
        if (int8 && !packed.data())
          continue;
        w.packed = int8 ? packed.data() : nullptr;
        std::vector<float> x(n * sh.k), y(n * sh.m);
        for (float &f : x)
          f = rnd();
        double s = timeIt([&] {
          if (kernels::matmul(x.data(), n, w, y.data()))
            std::abort();
        });
        double flops = 2.0 * sh.m * sh.k * n;
        double bytes = double(raw.size()) + 4.0 * (x.size() + y.size());
        std::printf("%-12s %-5s %-4s %6lld %6lld %4lld %10.1f %9.2f %8.2f\n",
                    sh.what, typeName(t), int8 ? "int8" : "f32", (long long)sh.m, (long long)sh.k,
                    (long long)n, s * 1e6, flops / s * 1e-9, bytes / s * 1e-9);
      }
    }
  for (int64_t n : {1, 128}) {
    const int64_t dim = 576;
    std::vector<float> x(n * dim), w(dim), y(n * dim);
    for (float &f : x)
      f = rnd();
    for (float &f : w)
      f = rnd();
    double s = timeIt([&] {
      if (kernels::rmsnorm(x.data(), w.data(), y.data(), n, dim, 1e-5f))
        std::abort();
    });
    std::printf("%-12s %-5s %-4s %6lld %6s %4lld %10.2f %9.2f %8.2f\n", "rmsnorm",
                "f32", "f32", (long long)dim, "-", (long long)n, s * 1e6,
                4.0 * n * dim / s * 1e-9, 4.0 * (2 * n * dim + dim) / s * 1e-9);
  }
  for (int64_t n : {1, 128}) {
    const int64_t count = n * 1536;
    std::vector<float> g(count), u(count), o(count);
    for (int64_t i = 0; i < count; ++i) {
      g[i] = rnd() * 8;
      u[i] = rnd();
    }
    double s = timeIt([&] {
      if (kernels::swiglu(g.data(), u.data(), o.data(), count))
        std::abort();
    });
    std::printf("%-12s %-5s %-4s %6d %6s %4lld %10.2f %9.2f %8.2f\n", "swiglu",
                "f32", "f32", 1536, "-", (long long)n, s * 1e6,
                5.0 * count / s * 1e-9, 12.0 * count / s * 1e-9);
  }
  return 0;
}
