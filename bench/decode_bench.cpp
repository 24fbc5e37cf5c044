// attnc-bench-decode: times attnc's generated decode kernels (split-KV work
// items on a persistent thread pool, then the LSE merge, as a serving loop
// would call them) over caches filled by the generated append kernel, and
// reports the K/V bytes read per second against this machine's measured
// read bandwidth, median of repeats.
//   attnc-bench-decode [--threads N] [--repeats R] [--lens 1024,4096,...]
//                      [--only name1,name2]
#include "decode_bench_kernels.h"

#include <algorithm>
#include <atomic>
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

/// A pool of spinning workers: run(n, f) calls f(i) for i in [0, n) split
/// into one contiguous range per thread, the caller's thread included.
class Pool {
public:
  explicit Pool(int threads) : threads(threads) {
    for (int t = 1; t < threads; ++t)
      workers.emplace_back([this, t] { loop(t); });
  }
  ~Pool() {
    stop = true;
    generation.fetch_add(1);
    for (auto &w : workers) w.join();
  }
  void run(int64_t n, const std::function<void(int64_t, int64_t)> &f) {
    job = &f;
    items = n;
    pending.store(threads - 1);
    generation.fetch_add(1, std::memory_order_release);
    f(0, n / threads);
    while (pending.load(std::memory_order_acquire) != 0)
      std::this_thread::yield(); // the machine is shared: don't starve the workers
  }

private:
  void loop(int t) {
    uint64_t seen = 0;
    for (;;) {
      uint64_t g;
      while ((g = generation.load(std::memory_order_acquire)) == seen)
        std::this_thread::yield();
      seen = g;
      if (stop) return;
      (*job)(items * t / threads, items * (t + 1) / threads);
      pending.fetch_sub(1, std::memory_order_release);
    }
  }
  int threads;
  std::vector<std::thread> workers;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  const std::function<void(int64_t, int64_t)> *job = nullptr;
  int64_t items = 0;
  std::atomic<bool> stop{false};
};

/// Measured read bandwidth of `threads` cores (GB/s): each sums its share
/// of a 1 GiB buffer; best of 3.
double measureBandwidth(Pool &pool, int threads) {
  const size_t n = (1ull << 30) / sizeof(float);
  std::vector<float> buf(n, 1.0f);
  std::vector<double> sink(threads);
  double best = 0;
  for (int r = 0; r < 3; ++r) {
    auto t0 = Clock::now();
    pool.run(threads, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const float *p = buf.data() + n / threads * t;
        float acc[16] = {};
        for (size_t i = 0; i + 16 <= n / threads; i += 16)
          for (int l = 0; l < 16; ++l)
            acc[l] += p[i + l];
        double s = 0;
        for (float a : acc) s += a;
        sink[t] = s;
      }
    });
    best = std::max(best, n * sizeof(float) / seconds(t0, Clock::now()) / 1e9);
  }
  return best;
}

uint16_t bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  return (x + 0x7fff + ((x >> 16) & 1)) >> 16;
}

/// One cache layout's buffers and kernels, behind a uniform interface.
struct Case {
  const char *name;
  int heads, kvHeads, dim;
  enum Kind { Paged, Ring, Int8 } kind;
  int64_t slots; // page size / ring slots / capacity (set per length)
  bool hnd = false; // head-major pages: [page][kv_head][slot][dim]
  // Storage.
  std::vector<uint16_t> k16, v16;
  std::vector<int8_t> k8, v8;
  std::vector<float> ks, vs;
  std::vector<int64_t> pos;
  std::vector<int32_t> table;
  int64_t rows = 0;

  void allocate(int64_t len) {
    if (kind == Paged) {
      rows = (len + slots - 1) / slots;
      table.resize(rows);
      for (int64_t p = 0; p < rows; ++p) table[p] = (int32_t)p;
    } else if (kind == Int8) {
      rows = 1;
      slots = len;
    } else {
      rows = 1;
    }
    size_t n = rows * slots * kvHeads * dim;
    if (kind == Int8) {
      k8.assign(n, 0);
      v8.assign(n, 0);
      ks.assign(rows * slots * kvHeads, 0);
      vs.assign(rows * slots * kvHeads, 0);
    } else {
      k16.assign(n, 0);
      v16.assign(n, 0);
    }
    pos.assign(rows * slots, 0);
  }
  attnc_memref4d tokens(const void *data) const {
    return hnd ? attnc_view4d(data, rows, kvHeads, slots, dim) : attnc_view4d(data, rows, slots, kvHeads, dim);
  }
  /// Bytes of K/V (and scales) the attention of one step reads.
  double bytesRead(int64_t len) const {
    int64_t resident = kind == Ring ? std::min<int64_t>(len, slots) : len;
    double perToken = kind == Int8 ? kvHeads * (2.0 * dim + 8) : kvHeads * 4.0 * dim;
    return resident * perToken;
  }
};

void appendTokens(Case &c, const uint16_t *k, const uint16_t *v, const int64_t *pos, int64_t n,
                  int64_t len) {
  attnc_memref3d km = attnc_view3d(k, n, c.kvHeads, c.dim), vm = attnc_view3d(v, n, c.kvHeads, c.dim);
  attnc_memref1d pm = attnc_view1d(pos, n);
  attnc_memref4d kc, vc;
  attnc_memref2d pc = attnc_view2d(c.pos.data(), c.rows, c.slots);
  int32_t status = -1;
  if (c.kind == Case::Int8) {
    kc = attnc_view4d(c.k8.data(), c.rows, c.slots, c.kvHeads, c.dim);
    vc = attnc_view4d(c.v8.data(), c.rows, c.slots, c.kvHeads, c.dim);
    attnc_memref3d ksm = attnc_view3d(c.ks.data(), c.rows, c.slots, c.kvHeads);
    attnc_memref3d vsm = attnc_view3d(c.vs.data(), c.rows, c.slots, c.kvHeads);
    status = _mlir_ciface_decode_int8_d128_append(&km, &vm, &pm, &kc, &vc, &pc, &ksm, &vsm, 0, len);
  } else {
    kc = c.tokens(c.k16.data());
    vc = c.tokens(c.v16.data());
    if (c.kind == Case::Ring) {
      status = _mlir_ciface_decode_ring_d128_append(&km, &vm, &pm, &kc, &vc, &pc, 0, len);
    } else {
      attnc_memref2d tm = attnc_view2d(c.table.data(), 1, c.rows);
      auto fn = std::string(c.name) == "decode_gqa1_d128"   ? _mlir_ciface_decode_gqa1_d128_append
                : std::string(c.name) == "decode_gqa4_d128" ? _mlir_ciface_decode_gqa4_d128_append
                                                            : _mlir_ciface_decode_gqa8_d64_append;
      status = fn(&km, &vm, &pm, &kc, &vc, &pc, &tm, 0, len);
    }
  }
  if (status != 0) {
    std::fprintf(stderr, "attnc-bench-decode: append failed (status %d)\n", status);
    std::exit(1);
  }
}

/// Split items [b, e) of one decode step.
void splitRange(Case &c, attnc_memref3d *q, attnc_memref1d *qp, attnc_memref1d *lens,
                attnc_memref4d *pout, attnc_memref3d *plse, int64_t b, int64_t e) {
  attnc_memref2d pc = attnc_view2d(c.pos.data(), c.rows, c.slots);
  static const int64_t seq0 = 0; // one query row, of cache sequence 0
  attnc_memref1d qsm = attnc_view1d(&seq0, 1);
  attnc_memref1d *qs = &qsm;
  if (c.kind == Case::Int8) {
    attnc_memref4d kc = attnc_view4d(c.k8.data(), c.rows, c.slots, c.kvHeads, c.dim);
    attnc_memref4d vc = attnc_view4d(c.v8.data(), c.rows, c.slots, c.kvHeads, c.dim);
    attnc_memref3d ksm = attnc_view3d(c.ks.data(), c.rows, c.slots, c.kvHeads);
    attnc_memref3d vsm = attnc_view3d(c.vs.data(), c.rows, c.slots, c.kvHeads);
    _mlir_ciface_decode_int8_d128_decode_split(q, qp, qs, &kc, &vc, &pc, &ksm, &vsm, lens, pout, plse, b, e);
    return;
  }
  attnc_memref4d kc = c.tokens(c.k16.data());
  attnc_memref4d vc = c.tokens(c.v16.data());
  if (c.kind == Case::Ring) {
    _mlir_ciface_decode_ring_d128_decode_split(q, qp, qs, &kc, &vc, &pc, lens, pout, plse, b, e);
    return;
  }
  attnc_memref2d tm = attnc_view2d(c.table.data(), 1, c.rows);
  auto fn = std::string(c.name) == "decode_gqa1_d128"   ? _mlir_ciface_decode_gqa1_d128_decode_split
            : std::string(c.name) == "decode_gqa4_d128" ? _mlir_ciface_decode_gqa4_d128_decode_split
                                                        : _mlir_ciface_decode_gqa8_d64_decode_split;
  fn(q, qp, qs, &kc, &vc, &pc, &tm, lens, pout, plse, b, e);
}

void mergeRange(Case &c, attnc_memref4d *pout, attnc_memref3d *plse, attnc_memref3d *out, int64_t b,
                int64_t e) {
  std::string n = c.name;
  if (n == "decode_gqa1_d128") _mlir_ciface_decode_gqa1_d128_decode_merge(pout, plse, out, b, e);
  else if (n == "decode_gqa4_d128") _mlir_ciface_decode_gqa4_d128_decode_merge(pout, plse, out, b, e);
  else if (n == "decode_gqa8_d64") _mlir_ciface_decode_gqa8_d64_decode_merge(pout, plse, out, b, e);
  else if (n == "decode_ring_d128") _mlir_ciface_decode_ring_d128_decode_merge(pout, plse, out, b, e);
  else _mlir_ciface_decode_int8_d128_decode_merge(pout, plse, out, b, e);
}

std::vector<std::string> splitList(const char *s) {
  std::vector<std::string> out;
  std::string cur;
  for (const char *p = s; *p; ++p) {
    if (*p == ',') { out.push_back(cur); cur.clear(); }
    else cur += *p;
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}
} // namespace

int main(int argc, char **argv) {
  int threads = std::max(1u, std::thread::hardware_concurrency()), repeats = 21;
  std::vector<int64_t> lens = {1024, 4096, 16384, 32768};
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char * {
      if (i + 1 >= argc) { std::fprintf(stderr, "missing value after %s\n", a.c_str()); std::exit(2); }
      return argv[++i];
    };
    if (a == "--threads") threads = std::atoi(next());
    else if (a == "--repeats") repeats = std::atoi(next());
    else if (a == "--lens") { lens.clear(); for (auto &s : splitList(next())) lens.push_back(std::atoll(s.c_str())); }
    else if (a == "--only") only = splitList(next());
    else { std::fprintf(stderr, "unknown option %s\n", a.c_str()); return 2; }
  }
  if (threads < 1 || repeats < 1) { std::fprintf(stderr, "--threads and --repeats must be >= 1\n"); return 2; }
  Pool pool(threads);
  double bw = measureBandwidth(pool, threads);
  std::printf("measured read bandwidth (%d threads): %.1f GB/s\n", threads, bw);
  std::printf("| variant | cached tokens | splits | median us | GB/s | %% of bandwidth |\n|---|---|---|---|---|---|\n");
  auto make = [](const char *name, int heads, int kvHeads, int dim, Case::Kind kind, int64_t slots,
                 bool hnd = false) {
    Case c;
    c.name = name;
    c.heads = heads;
    c.kvHeads = kvHeads;
    c.dim = dim;
    c.kind = kind;
    c.slots = slots;
    c.hnd = hnd;
    return c;
  };
  std::vector<Case> cases = {
      make("decode_gqa1_d128", 8, 8, 128, Case::Paged, 16, /*hnd=*/true),
      make("decode_gqa4_d128", 32, 8, 128, Case::Paged, 16),
      make("decode_gqa8_d64", 16, 2, 64, Case::Paged, 16),
      make("decode_ring_d128", 32, 8, 128, Case::Ring, 4096),
      make("decode_int8_d128", 32, 8, 128, Case::Int8, 0),
  };
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (Case &c : cases) {
    if (!only.empty() && std::find(only.begin(), only.end(), c.name) == only.end())
      continue;
    for (int64_t len : lens) {
      c.allocate(len);
      // Fill the cache through the append kernel, 512 tokens per call.
      const int64_t chunk = 512;
      std::vector<uint16_t> kb(chunk * c.kvHeads * c.dim), vb(kb.size());
      std::vector<int64_t> pb(chunk);
      for (int64_t at = 0; at < len; at += chunk) {
        int64_t n = std::min(chunk, len - at);
        for (auto &x : kb) x = bf16(normal(rng));
        for (auto &x : vb) x = bf16(normal(rng));
        for (int64_t i = 0; i < n; ++i) pb[i] = at + i;
        appendTokens(c, kb.data(), vb.data(), pb.data(), n, at);
      }
      // Enough splits that every thread has several items.
      int64_t splits = std::max<int64_t>(1, (8 * threads + c.kvHeads - 1) / c.kvHeads);
      splits = std::min<int64_t>(splits, std::max<int64_t>(1, len / 256));
      std::vector<uint16_t> q(c.heads * c.dim);
      for (auto &x : q) x = bf16(normal(rng));
      int64_t qpos = len - 1, lenv = len;
      std::vector<float> pout(splits * c.heads * c.dim), plse(splits * c.heads);
      std::vector<uint16_t> out(c.heads * c.dim);
      attnc_memref3d qm = attnc_view3d(q.data(), 1, c.heads, c.dim);
      attnc_memref1d qpm = attnc_view1d(&qpos, 1), lm = attnc_view1d(&lenv, 1);
      attnc_memref4d pom = attnc_view4d(pout.data(), 1, splits, c.heads, c.dim);
      attnc_memref3d plm = attnc_view3d(plse.data(), 1, splits, c.heads);
      attnc_memref3d om = attnc_view3d(out.data(), 1, c.heads, c.dim);
      std::function<void(int64_t, int64_t)> split = [&](int64_t b, int64_t e) {
        splitRange(c, &qm, &qpm, &lm, &pom, &plm, b, e);
      };
      std::vector<double> times;
      for (int r = 0; r < repeats + 2; ++r) {
        auto t0 = Clock::now();
        pool.run(c.kvHeads * splits, split);
        mergeRange(c, &pom, &plm, &om, 0, c.heads);
        if (r >= 2) times.push_back(seconds(t0, Clock::now()));
      }
      std::sort(times.begin(), times.end());
      double med = times[times.size() / 2];
      double gbs = c.bytesRead(len) / med / 1e9;
      std::printf("| %s | %lld | %lld | %.1f | %.1f | %.0f%% |\n", c.name, (long long)len,
                  (long long)splits, med * 1e6, gbs, 100 * gbs / bw);
      std::fflush(stdout);
    }
  }
  return 0;
}
