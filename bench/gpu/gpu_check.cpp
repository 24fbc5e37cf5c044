//===- gpu_check.cpp - GPU kernel libraries against the float64 reference -===//
//
// Runs on the GPU machine, which has CUDA but no LLVM: plain C++17, the CUDA
// driver through dlopen (ATTNC_CUDA_DRIVER overrides libcuda.so.1), the GPU
// kernel library (attnc build --gpu-arch) through dlopen by its by-name entry
// LIB_gpu_prefill. Two modes:
//
//   gpu-check --lib libX_gpu.so --name X CASE_DIR...
//     Each case directory was written on the build machine by
//     `attnc-check --save-reference` (case.txt, q/k/v/positions/inputs .npy
//     and the float64 reference ref.npy, ref_lse.npy, ref_masked.npy). A
//     decode case ("decode 1") also has trace/, the run of `attnc exec
//     --decode --trace-dir`: the cache buffers' initial bytes and every
//     append and decode call, replayed through LIB_gpu_append/_decode. The
//     output is poisoned (all bits set: NaN) before the call; the comparison
//     is attnc-check's: ||out - ref|| / ||ref|| under the dtype's tolerance,
//     every row under 10x it, fully masked rows exactly 0, NaN never passes.
//     Prints one line per case ("SPEC CONFIG: rel_err = ... PASS") and
//     "gpu-check: N passed, M failed"; exits 1 on any failure.
//
//   gpu-check --lib libX_gpu.so --name X --cache-prefill CASE_DIR...
//     The decode traces again, each decode call's rows as one prefill over
//     the cache (LIB_gpu_prefill_cache: the cache's rows gathered, then the
//     tensor-core prefill) against the same reference. Where the spec's
//     masks keep no later key (case.txt's causal) a call's rows are one
//     prefill over its longest lens; elsewhere each row alone over its own
//     lens (what decode shows it).
//
//   gpu-check --lib libX_gpu.so --name X --cache-prefill-batch CASE_DIR...
//     The same calls as one batch after the last append
//     (LIB_gpu_prefill_cache_varlen: entries sharing the cache sequence,
//     plus the empty one); per-channel layouts are skipped (a later append
//     requantizes the earlier tokens of a group).
//
//   gpu-check --lib libX_gpu.so --name X --varlen CASE_DIR...
//     Each spec's prefill cases packed as one ragged batch (plus an empty
//     sequence of each kind) through LIB_gpu_prefill_varlen; each case's
//     rows against its own reference, as above (runVarlen).
//
//   gpu-check --lib libX_gpu.so --name X --bench SPEC --shape H,HKV,D,DTYPE
//             --len L[,L...] [--repeats R]
//     Times SPEC's prefill over L queries and L keys (random inputs; specs
//     without kernel inputs) with CUDA events: the median of R runs after 3
//     warm-ups, one line per length "bench SPEC L: median_ms X".
//
//   gpu-check --lib ... --name X --bench-varlen SPEC --shape H,HKV,D,DTYPE
//             --seqs L[,L...] [--repeats R]
//     Times a ragged batch of sequences of lengths L (queries = keys): one
//     LIB_gpu_prefill_varlen call, and LIB_gpu_prefill per sequence:
//     "bench-varlen SPEC TOTAL: median_ms X loop_ms Y".
//
//   gpu-check --lib ... --name X --bench-cache-prefill SPEC --shape H,HKV,D,DTYPE
//             --len L[,L...] [--chunk C] [--page P] [--repeats R]
//     Times a chunk of C queries (default 512) over one sequence of L tokens
//     in a paged cache: LIB_gpu_prefill_cache against LIB_gpu_decode with a
//     row per query: "bench-cache-prefill SPEC L C: median_ms X
//     decode_rows_ms Y".
//
//   gpu-check --lib ... --name X --bench-decode SPEC --shape H,HKV,D,DTYPE
//             --len L[,L...] [--batch B] [--page P] [--repeats R]
//     Times one decode step (LIB_gpu_decode) of B sequences of L tokens over
//     a paged cache (a spec with paged(page_size = P)): "bench-decode SPEC B
//     L: median_ms X GB/s Y splits S" (K/V bytes read per second).
//
//===----------------------------------------------------------------------===//
#include "runtime/gpu/CudaDriver.h"
#include "tools/common/HalfFloat.h"
#include "tools/common/Npy.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace attnc;

namespace {

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "gpu-check: error: %s\n", msg.c_str());
  std::exit(2);
}

/// The CUDA driver (runtime/gpu/CudaDriver.h); every failure ends the check.
gpu::CudaDriver driver;
void must(int r, const std::string &error) {
  if (r)
    die(error);
}
void fill(unsigned long long p, unsigned char byte, size_t n) {
  std::string e;
  must(driver.fill(p, byte, n, e), e);
}
void toHost(void *dst, unsigned long long src, size_t n) {
  std::string e;
  must(driver.toHost(dst, src, n, e), e);
}
void synchronize(const char *what) {
  std::string e;
  must(driver.synchronize(what, e), e);
}

/// A device buffer (freed at scope exit).
struct DeviceBuffer {
  gpu::CudaDriver::Ptr ptr = 0;
  size_t bytes = 0;
  explicit DeviceBuffer(size_t n) : bytes(std::max<size_t>(n, 16)) {
    std::string e;
    must(driver.alloc(ptr, bytes, e), e);
  }
  DeviceBuffer(const void *host, size_t n) : DeviceBuffer(n) {
    std::string e;
    must(driver.toDevice(ptr, host, n, e), e);
  }
  ~DeviceBuffer() { driver.free(ptr); }
  DeviceBuffer(const DeviceBuffer &) = delete;
  void *get() const { return (void *)(uintptr_t)ptr; }
};

/// The GPU kernel library's by-name entry (attnc build --gpu-arch).
struct Input {
  const void *data;
  int64_t n0, n1;
};
struct PrefillArgs {
  const void *q, *k, *v;
  int64_t lq, lk;
  const int64_t *qPos, *kPos;
  int64_t batch;
  const Input *inputs;
  int64_t numInputs;
  void *out;
  float *lse, *qf, *kf, *qg, *kg;
  void *stream;
};
/// LIB_gpu_prefill_varlen's arguments: a ragged batch.
struct VarlenArgs {
  const void *q, *k, *v;
  const int64_t *qPos, *kPos;
  const int64_t *cuQ, *cuK, *cuQHost, *cuKHost;
  int64_t nseq;
  const Input *inputs;
  int64_t numInputs;
  void *out;
  float *lse, *qf, *kf, *qg, *kg;
  void *stream;
};
/// A device buffer of the cache kernels (LIB_gpu_buffer).
struct Buffer {
  void *data;
  int64_t rank;
  int64_t sizes[4];
};
struct Library {
  int (*prefill)(const char *, const PrefillArgs *);
  int (*prefillVarlen)(const char *, const VarlenArgs *) = nullptr; // libraries built before it lack it
  int (*decode)(const char *, const Buffer *, int64_t, void *);
  int (*append)(const char *, const Buffer *, int64_t, int64_t, int64_t, int32_t *, void *);
  // Libraries built before the prefill over the cache lack these.
  int (*prefillCache)(const char *, const Buffer *, int64_t, int64_t, int64_t, void *) = nullptr;
  int64_t (*prefillCacheWorkspace)(const char *, int64_t, int64_t) = nullptr;
  int (*prefillCacheVarlen)(const char *, const Buffer *, int64_t, int64_t, const int64_t *, const int64_t *,
                            const int64_t *, void *) = nullptr;
  const char *(*error)();
  int (*loadedArch)();
  const char *(*loadedImage)() = nullptr; // libraries built before it lack it
  void open(const std::string &path, const std::string &name) {
    void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      die("cannot open the GPU kernel library " + path + ": " + dlerror());
    *(void **)&prefill = dlsym(lib, (name + "_gpu_prefill").c_str());
    *(void **)&error = dlsym(lib, (name + "_gpu_error").c_str());
    *(void **)&loadedArch = dlsym(lib, (name + "_gpu_loaded_arch").c_str());
    *(void **)&loadedImage = dlsym(lib, (name + "_gpu_loaded_image").c_str());
    *(void **)&decode = dlsym(lib, (name + "_gpu_decode").c_str());
    *(void **)&append = dlsym(lib, (name + "_gpu_append").c_str());
    *(void **)&prefillVarlen = dlsym(lib, (name + "_gpu_prefill_varlen").c_str());
    *(void **)&prefillCache = dlsym(lib, (name + "_gpu_prefill_cache").c_str());
    *(void **)&prefillCacheWorkspace = dlsym(lib, (name + "_gpu_prefill_cache_workspace").c_str());
    *(void **)&prefillCacheVarlen = dlsym(lib, (name + "_gpu_prefill_cache_varlen").c_str());
    if (!prefill || !error || !loadedArch)
      die(path + " is not the GPU kernel library '" + name + "' (no " + name + "_gpu_prefill)");
  }
};
Library library;

enum class DType { F32, BF16, F16 };
DType parseDType(const std::string &s) {
  if (s == "f32") return DType::F32;
  if (s == "bf16") return DType::BF16;
  if (s == "f16") return DType::F16;
  die("unsupported dtype '" + s + "'");
}
size_t dtypeBytes(DType t) { return t == DType::F32 ? 4 : 2; }
double tolerance(DType t) { return t == DType::F32 ? 1e-4 : t == DType::BF16 ? 1e-2 : 2e-3; }
double lseTolerance(DType t) { return t == DType::F32 ? 1e-5 : 1e-3; }

/// Host values in the kernel dtype's bits (round to nearest even).
std::vector<char> encode(const std::vector<double> &x, DType t) {
  std::vector<char> out(x.size() * dtypeBytes(t));
  for (size_t i = 0; i < x.size(); ++i) {
    float f = (float)x[i];
    if (t == DType::F32) {
      std::memcpy(&out[i * 4], &f, 4);
    } else {
      uint16_t h = t == DType::BF16 ? toBF16(f) : toF16(f);
      std::memcpy(&out[i * 2], &h, 2);
    }
  }
  return out;
}
std::vector<double> decode(const std::vector<char> &b, DType t) {
  std::vector<double> out(b.size() / dtypeBytes(t));
  for (size_t i = 0; i < out.size(); ++i) {
    if (t == DType::F32) {
      float f;
      std::memcpy(&f, &b[i * 4], 4);
      out[i] = f;
    } else {
      uint16_t h;
      std::memcpy(&h, &b[i * 2], 2);
      out[i] = t == DType::BF16 ? fromBF16(h) : fromF16(h);
    }
  }
  return out;
}

NpyArray readArray(const std::string &path) {
  NpyArray a;
  std::string err;
  if (!readNpy(path, a, err))
    die(err);
  return a;
}

struct Case {
  std::string dir, spec, config;
  DType dtype = DType::F32;
  int64_t lq = 0, lk = 0, heads = 0, kvHeads = 0, headDim = 0, valueDim = 0;
  bool far = false, lse = false, positions = false, decode = false;
  bool causal = false; // the spec's masks keep no key after the query (attnc-check)
  struct In {
    std::string name, dtype;
    std::vector<int64_t> dims;
  };
  std::vector<In> inputs;
};

Case readCase(const std::string &dir) {
  std::ifstream f(dir + "/case.txt");
  if (!f)
    die("no case.txt in " + dir);
  Case c;
  c.dir = dir;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream is(line);
    std::string key;
    is >> key;
    if (key == "spec") is >> c.spec;
    else if (key == "config") is >> c.config;
    else if (key == "dtype") { std::string d; is >> d; c.dtype = parseDType(d); }
    else if (key == "lq") is >> c.lq;
    else if (key == "lk") is >> c.lk;
    else if (key == "heads") is >> c.heads;
    else if (key == "kv_heads") is >> c.kvHeads;
    else if (key == "head_dim") is >> c.headDim;
    else if (key == "value_dim") is >> c.valueDim;
    else if (key == "far") is >> c.far;
    else if (key == "lse") is >> c.lse;
    else if (key == "positions") is >> c.positions;
    else if (key == "decode") is >> c.decode;
    else if (key == "causal") is >> c.causal;
    else if (key == "input") {
      Case::In in;
      is >> in.name >> in.dtype;
      int64_t d;
      while (is >> d) in.dims.push_back(d);
      c.inputs.push_back(in);
    }
  }
  if (c.spec.empty() || c.lq <= 0 || c.lk <= 0 || c.heads <= 0 || c.kvHeads <= 0 || c.headDim <= 0 ||
      c.valueDim <= 0)
    die(dir + "/case.txt is incomplete");
  return c;
}

/// The case's kernel inputs on the device, in declaration order: floats
/// rounded to their dtype, integers as attnc-check wrote them (their own type).
std::vector<std::unique_ptr<DeviceBuffer>> uploadInputs(const Case &c) {
  std::vector<std::unique_ptr<DeviceBuffer>> bufs;
  for (const Case::In &in : c.inputs) {
    NpyArray a = readArray(c.dir + "/input." + in.name + ".npy");
    std::vector<char> bytes;
    if (in.dtype == "f32" || in.dtype == "bf16" || in.dtype == "f16")
      bytes = encode(a.asDoubles(), parseDType(in.dtype));
    else
      bytes = a.data;
    bufs.push_back(std::make_unique<DeviceBuffer>(bytes.data(), bytes.size()));
  }
  return bufs;
}

/// Uploads the case, runs the kernels, returns the output (and lse) as doubles.
bool runCase(const Case &c, std::vector<double> &out, std::vector<double> &lse, std::string &error) {
  const int64_t H = c.heads, G = c.kvHeads, D = c.headDim, Dv = c.valueDim;
  std::vector<double> q = readArray(c.dir + "/q.npy").asDoubles(), k = readArray(c.dir + "/k.npy").asDoubles(),
                      v = readArray(c.dir + "/v.npy").asDoubles();
  if ((int64_t)q.size() != c.lq * H * D || (int64_t)k.size() != c.lk * G * D || (int64_t)v.size() != c.lk * G * Dv)
    die(c.dir + ": q/k/v sizes differ from case.txt");
  std::vector<int64_t> qPos(c.lq), kPos(c.lk);
  for (int64_t i = 0; i < c.lq; ++i) qPos[i] = c.lk - c.lq + i;
  for (int64_t j = 0; j < c.lk; ++j) kPos[j] = j;
  if (c.positions) {
    std::vector<int64_t> p = readArray(c.dir + "/positions.npy").asInts();
    if ((int64_t)p.size() != c.lq)
      die(c.dir + ": positions.npy has " + std::to_string(p.size()) + " entries");
    qPos = p;
  }
  std::vector<char> qb = encode(q, c.dtype), kb = encode(k, c.dtype), vb = encode(v, c.dtype);
  DeviceBuffer dq(qb.data(), qb.size()), dk(kb.data(), kb.size()), dv(vb.data(), vb.size()),
      dqp(qPos.data(), qPos.size() * 8), dkp(kPos.data(), kPos.size() * 8);
  std::vector<std::unique_ptr<DeviceBuffer>> inputBufs = uploadInputs(c);
  std::vector<Input> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i)
    inputs.push_back({inputBufs[i]->get(), c.inputs[i].dims.empty() ? 0 : c.inputs[i].dims[0],
                      c.inputs[i].dims.size() > 1 ? c.inputs[i].dims[1] : 0});
  const size_t outBytes = c.lq * H * Dv * dtypeBytes(c.dtype);
  DeviceBuffer dout(outBytes), dlse(c.lq * H * 4), qf(c.lq * H * D * 4), kf(c.lk * G * D * 4),
      qg(c.lq * H * D * 4), kg(c.lk * G * D * 4);
  // Poison: every output element NaN until the kernel writes it.
  fill(dout.ptr, 0xff, outBytes);
  fill(dlse.ptr, 0xff, c.lq * H * 4);
  PrefillArgs args{dq.get(), dk.get(), dv.get(), c.lq, c.lk, (const int64_t *)dqp.get(),
                   (const int64_t *)dkp.get(), 0, inputs.data(), (int64_t)inputs.size(), dout.get(),
                   c.lse ? (float *)dlse.get() : nullptr, (float *)qf.get(), (float *)kf.get(),
                   c.far ? (float *)qg.get() : nullptr, c.far ? (float *)kg.get() : nullptr, nullptr};
  if (library.prefill(c.spec.c_str(), &args) != 0) {
    error = library.error();
    return false;
  }
  synchronize("the kernels");
  std::vector<char> ob(outBytes);
  toHost(ob.data(), dout.ptr, outBytes);
  out = decode(ob, c.dtype);
  if (c.lse) {
    std::vector<char> lb(c.lq * H * 4);
    toHost(lb.data(), dlse.ptr, lb.size());
    lse = decode(lb, DType::F32);
  }
  return true;
}

std::vector<char> readBytes(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    die("cannot read " + path);
  return std::vector<char>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

Buffer view(const DeviceBuffer &b, std::vector<int64_t> sizes) {
  Buffer v{b.get(), (int64_t)sizes.size(), {0, 0, 0, 0}};
  for (size_t d = 0; d < sizes.size() && d < 4; ++d)
    v.sizes[d] = sizes[d];
  return v;
}

/// --cache-prefill: one decode call's rows through LIB_gpu_prefill_cache
/// instead of LIB_gpu_decode. Rows [0, keep) read one sequence with growing
/// lens; with a mask that keeps no later key (case.txt's causal), a prefill
/// of those queries over the sequence's first max(lens) tokens gives the
/// decode's answer; otherwise each row is a prefill over its own lens. The
/// last row reads the empty sequence: exactly 0.
bool prefillCacheRows(const Case &c, const DeviceBuffer &dq, const DeviceBuffer &dqp, const std::vector<char> &qs,
                      const std::vector<char> &lens, int64_t rows, int64_t keep,
                      const std::vector<Buffer> &cacheViews, const std::vector<Buffer> &inputViews, DType outType,
                      int64_t i0, std::vector<double> &out, std::vector<double> &lse, std::string &error) {
  const int64_t H = c.heads, D = c.headDim, Dv = c.valueDim;
  if ((int64_t)qs.size() != rows * 8 || (int64_t)lens.size() != rows * 8)
    die(c.dir + ": a decode call's q_seq or lens has the wrong size");
  std::vector<int64_t> seqOf(rows), lenOf(rows);
  std::memcpy(seqOf.data(), qs.data(), rows * 8);
  std::memcpy(lenOf.data(), lens.data(), rows * 8);
  const size_t qRow = H * D * dtypeBytes(c.dtype), oRow = H * Dv * dtypeBytes(outType);
  // Calls: the kept rows, then the last row alone.
  struct Part { int64_t first, count, seq, len; };
  std::vector<Part> parts;
  if (keep > 0 && c.causal) {
    Part p{0, keep, seqOf[0], 0};
    for (int64_t r = 0; r < keep; ++r) {
      if (seqOf[r] != p.seq)
        die(c.dir + ": a decode call's rows read different sequences (the trace is not exec's)");
      p.len = std::max(p.len, lenOf[r]);
    }
    parts.push_back(p);
  } else {
    // A mask that keeps later keys: each row alone over its own lens.
    for (int64_t r = 0; r < keep; ++r)
      parts.push_back({r, 1, seqOf[r], lenOf[r]});
  }
  parts.push_back({keep, 1, seqOf[keep], lenOf[keep]});
  for (const Part &p : parts) {
    const int64_t bytes = library.prefillCacheWorkspace(c.spec.c_str(), p.count, p.len);
    if (bytes < 0) {
      error = "no prefill over the cache for this spec";
      return false;
    }
    DeviceBuffer work(std::max<int64_t>(bytes, 1)), dout(p.count * oRow), dlse(p.count * H * 4);
    fill(work.ptr, 0xff, work.bytes); // poison: the gathered rows must all be written
    fill(dout.ptr, 0xff, dout.bytes);
    fill(dlse.ptr, 0xff, dlse.bytes);
    auto at = [](const DeviceBuffer &b, size_t offset) { return (void *)((char *)b.get() + offset); };
    std::vector<Buffer> b = {{at(dq, p.first * qRow), 3, {p.count, H, D, 0}}, {at(dqp, p.first * 8), 1, {p.count}}};
    b.insert(b.end(), cacheViews.begin(), cacheViews.end());
    b.insert(b.end(), inputViews.begin(), inputViews.end());
    b.push_back(view(dout, {p.count, H, Dv}));
    if (c.lse)
      b.push_back(view(dlse, {p.count, H}));
    b.push_back(view(work, {bytes}));
    if (library.prefillCache(c.spec.c_str(), b.data(), (int64_t)b.size(), p.seq, p.len, nullptr)) {
      error = library.error();
      return false;
    }
    synchronize("the prefill over the cache");
    std::vector<char> ob(p.count * oRow), lb(p.count * H * 4);
    toHost(ob.data(), dout.ptr, ob.size());
    toHost(lb.data(), dlse.ptr, lb.size());
    std::vector<double> o = decode(ob, outType), l = decode(lb, DType::F32);
    if (p.first == keep) {
      for (double x : o)
        if (x != 0.0) {
          error = "prefill over an empty sequence gave " + std::to_string(x) + ", not 0";
          return false;
        }
      continue;
    }
    std::copy(o.begin(), o.end(), out.begin() + (i0 + p.first) * H * Dv);
    std::copy(l.begin(), l.end(), lse.begin() + (i0 + p.first) * H);
  }
  return true;
}

/// A decode case: replays the trace of `attnc exec --decode --trace-dir`
/// (the cache buffers' initial bytes, then each append and decode call)
/// through LIB_gpu_append and LIB_gpu_decode, on one cache that persists
/// across the calls, and gathers the queries' rows of each decode call.
/// Whether a decode case's trace has a cache buffer named `name`.
bool traceHasBuffer(const Case &c, const std::string &name) {
  std::ifstream f(c.dir + "/trace/trace.txt");
  for (std::string line; std::getline(f, line);) {
    std::istringstream is(line);
    std::string op, n;
    if (is >> op >> n && op == "buffer" && n == name)
      return true;
  }
  return false;
}

/// How runDecodeCase runs a trace's decode calls.
enum class DecodeMode {
  Decode,            // LIB_gpu_decode
  CachePrefill,      // each call as LIB_gpu_prefill_cache (prefillCacheRows)
  CachePrefillBatch, // all calls as one LIB_gpu_prefill_cache_varlen after the last append
};

/// One decode call of a trace, kept for the batch (DecodeMode::CachePrefillBatch).
struct TraceCall {
  std::vector<char> q, qPos, qSeq, lens;
  int64_t rows, keep, i0;
};
bool prefillCacheBatch(const Case &c, const std::vector<TraceCall> &calls, const std::vector<Buffer> &cacheViews,
                       const std::vector<Buffer> &inputViews, DType outType, std::vector<double> &out,
                       std::vector<double> &lse, std::string &error);

bool runDecodeCase(const Case &c, std::vector<double> &out, std::vector<double> &lse, std::string &error,
                   DecodeMode mode = DecodeMode::Decode) {
  const bool cachePrefill = mode == DecodeMode::CachePrefill;
  std::vector<TraceCall> calls;
  if (!library.decode || !library.append)
    die("the GPU kernel library has no decode/append entry points (built before they existed?)");
  const int64_t H = c.heads, G = c.kvHeads, D = c.headDim, Dv = c.valueDim;
  const std::string dir = c.dir + "/trace/";
  std::ifstream f(dir + "trace.txt");
  std::string line, magic;
  if (!f || !std::getline(f, magic) || magic != "attnc-decode-trace 1")
    die(dir + "trace.txt is missing or not a version-1 trace");
  DType outType = c.dtype;
  std::vector<std::unique_ptr<DeviceBuffer>> cache;
  std::vector<Buffer> cacheViews;
  // Kernel inputs, as in the prefill cases.
  std::vector<std::unique_ptr<DeviceBuffer>> inputBufs = uploadInputs(c);
  std::vector<Buffer> inputViews;
  for (size_t i = 0; i < c.inputs.size(); ++i)
    inputViews.push_back(view(*inputBufs[i], c.inputs[i].dims));
  out.assign(c.lq * H * Dv, NAN);
  lse.assign(c.lq * H, NAN);
  while (std::getline(f, line)) {
    std::istringstream is(line);
    std::string op;
    is >> op;
    if (op == "out_dtype") {
      std::string t;
      is >> t;
      outType = parseDType(t);
    } else if (op == "buffer") {
      std::string name, file;
      int64_t elem = 0;
      std::vector<std::string> rest;
      is >> name >> elem;
      for (std::string w; is >> w;)
        rest.push_back(w);
      if (rest.empty() || rest.size() > 5)
        die(dir + "trace.txt: bad buffer line '" + line + "'");
      file = rest.back();
      std::vector<int64_t> sizes;
      int64_t bytes = elem;
      for (size_t i = 0; i + 1 < rest.size(); ++i)
        sizes.push_back(std::atoll(rest[i].c_str())), bytes *= sizes.back();
      std::vector<char> host = readBytes(dir + file);
      if ((int64_t)host.size() != bytes)
        die(dir + file + " has " + std::to_string(host.size()) + " bytes, expected " + std::to_string(bytes));
      cache.push_back(std::make_unique<DeviceBuffer>(host.data(), host.size()));
      cacheViews.push_back(view(*cache.back(), sizes));
    } else if (op == "append") {
      int64_t seq, len, n;
      std::string tag;
      is >> seq >> len >> n >> tag;
      std::vector<char> k = readBytes(dir + tag + ".k.bin"), v = readBytes(dir + tag + ".v.bin"),
                        pos = readBytes(dir + tag + ".pos.bin");
      DeviceBuffer dk(k.data(), k.size()), dv(v.data(), v.size()), dp(pos.data(), pos.size()), status(4);
      fill(status.ptr, 0xff, 4);
      std::vector<Buffer> b = {view(dk, {n, G, D}), view(dv, {n, G, Dv}), view(dp, {n})};
      b.insert(b.end(), cacheViews.begin(), cacheViews.end());
      if (library.append(c.spec.c_str(), b.data(), (int64_t)b.size(), seq, len, (int32_t *)status.get(), nullptr)) {
        error = library.error();
        return false;
      }
      int32_t st = -1;
      synchronize("the append kernel");
      toHost(&st, status.ptr, 4);
      if (st != 0) {
        error = "append of tokens " + std::to_string(len) + ".." + std::to_string(len + n - 1) +
                " returned status " + std::to_string(st);
        return false;
      }
    } else if (op == "decode") {
      int64_t rows, keep, i0, S;
      std::string tag;
      is >> rows >> keep >> i0 >> S >> tag;
      if (keep >= rows || i0 + keep > c.lq)
        die(dir + "trace.txt: bad decode line '" + line + "'");
      std::vector<char> q = readBytes(dir + tag + ".q.bin"), qp = readBytes(dir + tag + ".q_pos.bin"),
                        qs = readBytes(dir + tag + ".q_seq.bin"), lens = readBytes(dir + tag + ".lens.bin");
      DeviceBuffer dq(q.data(), q.size()), dqp(qp.data(), qp.size()), dqs(qs.data(), qs.size()),
          dl(lens.data(), lens.size()), pout(rows * S * H * Dv * 4), plse(rows * S * H * 4),
          dout(rows * H * Dv * dtypeBytes(outType)), dlse(rows * H * 4);
      // Poison: NaN until written (the partial buffers too: an unwritten
      // split shows in the merge).
      fill(pout.ptr, 0xff, pout.bytes);
      fill(plse.ptr, 0xff, plse.bytes);
      fill(dout.ptr, 0xff, dout.bytes);
      fill(dlse.ptr, 0xff, dlse.bytes);
      if (mode == DecodeMode::CachePrefillBatch) {
        calls.push_back({q, qp, qs, lens, rows, keep, i0});
        continue;
      }
      if (cachePrefill) {
        // The call's rows as one prefill over the cache: the kept rows all
        // read one sequence (its longest lens), the last row the empty one.
        if (!prefillCacheRows(c, dq, dqp, qs, lens, rows, keep, cacheViews, inputViews, outType, i0, out, lse,
                              error))
          return false;
        continue;
      }
      std::vector<Buffer> b = {view(dq, {rows, H, D}), view(dqp, {rows}), view(dqs, {rows})};
      b.insert(b.end(), cacheViews.begin(), cacheViews.end());
      b.push_back(view(dl, {rows}));
      b.insert(b.end(), inputViews.begin(), inputViews.end());
      b.push_back(view(pout, {rows, S, H, Dv}));
      b.push_back(view(plse, {rows, S, H}));
      b.push_back(view(dout, {rows, H, Dv}));
      if (c.lse)
        b.push_back(view(dlse, {rows, H}));
      if (library.decode(c.spec.c_str(), b.data(), (int64_t)b.size(), nullptr)) {
        error = library.error();
        return false;
      }
      synchronize("the decode kernels");
      std::vector<char> ob(rows * H * Dv * dtypeBytes(outType)), lb(rows * H * 4);
      toHost(ob.data(), dout.ptr, ob.size());
      toHost(lb.data(), dlse.ptr, lb.size());
      std::vector<double> o = decode(ob, outType), l = decode(lb, DType::F32);
      // The last row reads an empty sequence: exactly 0 (exec's own check).
      for (int64_t j = 0; j < H * Dv; ++j)
        if (o[keep * H * Dv + j] != 0.0) {
          error = "decode of an empty sequence gave " + std::to_string(o[keep * H * Dv + j]) + ", not 0";
          return false;
        }
      std::copy(o.begin(), o.begin() + keep * H * Dv, out.begin() + i0 * H * Dv);
      std::copy(l.begin(), l.begin() + keep * H, lse.begin() + i0 * H);
    } else if (!op.empty()) {
      die(dir + "trace.txt: unknown line '" + line + "'");
    }
  }
  if (mode == DecodeMode::CachePrefillBatch)
    return prefillCacheBatch(c, calls, cacheViews, inputViews, outType, out, lse, error);
  return true;
}

/// --cache-prefill-batch: every decode call of the trace as entries of one
/// LIB_gpu_prefill_cache_varlen call after the last append: a call's kept
/// rows as one entry over its sequence's first max(lens) tokens (earlier
/// tokens do not change with later appends, masks keep no later key), its
/// last row as an entry over the empty sequence (exactly 0). Entries share
/// the cache sequence, as batched requests over a shared prefix do.
bool prefillCacheBatch(const Case &c, const std::vector<TraceCall> &calls, const std::vector<Buffer> &cacheViews,
                       const std::vector<Buffer> &inputViews, DType outType, std::vector<double> &out,
                       std::vector<double> &lse, std::string &error) {
  const int64_t H = c.heads, D = c.headDim, Dv = c.valueDim;
  const size_t qRow = H * D * dtypeBytes(c.dtype), oRow = H * Dv * dtypeBytes(outType);
  struct Entry { const TraceCall *call; int64_t first, count, seq, len; };
  std::vector<Entry> entries;
  for (const TraceCall &k : calls) {
    std::vector<int64_t> seqOf(k.rows), lenOf(k.rows);
    std::memcpy(seqOf.data(), k.qSeq.data(), k.rows * 8);
    std::memcpy(lenOf.data(), k.lens.data(), k.rows * 8);
    if (k.keep > 0 && c.causal) {
      Entry e{&k, 0, k.keep, seqOf[0], 0};
      for (int64_t r = 0; r < k.keep; ++r)
        e.len = std::max(e.len, lenOf[r]);
      entries.push_back(e);
    } else {
      for (int64_t r = 0; r < k.keep; ++r) // each row alone (a mask that keeps later keys)
        entries.push_back({&k, r, 1, seqOf[r], lenOf[r]});
    }
    entries.push_back({&k, k.keep, 1, seqOf[k.keep], lenOf[k.keep]});
  }
  const int64_t nseq = (int64_t)entries.size();
  std::vector<int64_t> cuQ(nseq + 1, 0), cuK(nseq + 1, 0), seqs(nseq);
  std::vector<char> q, qPos;
  for (int64_t e = 0; e < nseq; ++e) {
    const Entry &en = entries[e];
    q.insert(q.end(), en.call->q.begin() + en.first * qRow, en.call->q.begin() + (en.first + en.count) * qRow);
    qPos.insert(qPos.end(), en.call->qPos.begin() + en.first * 8, en.call->qPos.begin() + (en.first + en.count) * 8);
    cuQ[e + 1] = cuQ[e] + en.count;
    cuK[e + 1] = cuK[e] + en.len;
    seqs[e] = en.seq;
  }
  const int64_t totalQ = cuQ[nseq], totalK = cuK[nseq];
  const int64_t bytes = library.prefillCacheWorkspace(c.spec.c_str(), totalQ, totalK);
  if (bytes < 0) {
    error = "no prefill over the cache for this spec";
    return false;
  }
  DeviceBuffer dq(q.data(), q.size()), dqp(qPos.data(), qPos.size()), dcq(cuQ.data(), cuQ.size() * 8),
      dck(cuK.data(), cuK.size() * 8), work(std::max<int64_t>(bytes, 1)), dout(totalQ * oRow), dlse(totalQ * H * 4);
  fill(work.ptr, 0xff, work.bytes);
  fill(dout.ptr, 0xff, dout.bytes);
  fill(dlse.ptr, 0xff, dlse.bytes);
  std::vector<Buffer> b = {view(dq, {totalQ, H, D}), view(dqp, {totalQ}), view(dcq, {nseq + 1}),
                           view(dck, {nseq + 1})};
  b.insert(b.end(), cacheViews.begin(), cacheViews.end());
  b.insert(b.end(), inputViews.begin(), inputViews.end());
  b.push_back(view(dout, {totalQ, H, Dv}));
  if (c.lse)
    b.push_back(view(dlse, {totalQ, H}));
  b.push_back(view(work, {bytes}));
  if (library.prefillCacheVarlen(c.spec.c_str(), b.data(), (int64_t)b.size(), nseq, seqs.data(), cuQ.data(),
                                 cuK.data(), nullptr)) {
    error = library.error();
    return false;
  }
  synchronize("the batched prefill over the cache");
  std::vector<char> ob(totalQ * oRow), lb(totalQ * H * 4);
  toHost(ob.data(), dout.ptr, ob.size());
  toHost(lb.data(), dlse.ptr, lb.size());
  std::vector<double> o = decode(ob, outType), l = decode(lb, DType::F32);
  for (int64_t e = 0; e < nseq; ++e) {
    const Entry &en = entries[e];
    const int64_t q0 = cuQ[e];
    if (en.first == en.call->keep) { // the row over the empty sequence
      for (int64_t j = 0; j < H * Dv; ++j)
        if (o[q0 * H * Dv + j] != 0.0) {
          error = "batch entry " + std::to_string(e) + " (an empty sequence) gave " +
                  std::to_string(o[q0 * H * Dv + j]) + ", not 0";
          return false;
        }
      continue;
    }
    const int64_t row = en.call->i0 + en.first;
    std::copy(o.begin() + q0 * H * Dv, o.begin() + (q0 + en.count) * H * Dv, out.begin() + row * H * Dv);
    std::copy(l.begin() + q0 * H, l.begin() + (q0 + en.count) * H, lse.begin() + row * H);
  }
  std::printf("%s %s: batch of %lld entries, %lld queries over %lld gathered keys\n", c.spec.c_str(),
              c.config.c_str(), (long long)nseq, (long long)totalQ, (long long)totalK);
  return true;
}

/// attnc-check's verdict (tools/attnc-check, Checker::compare).
bool compare(const Case &c, const std::vector<double> &out, const std::vector<double> &lse) {
  std::vector<double> ref = readArray(c.dir + "/ref.npy").asDoubles();
  std::vector<int64_t> masked = readArray(c.dir + "/ref_masked.npy").asInts();
  const int64_t rows = c.lq * c.heads, Dv = c.valueDim;
  if ((int64_t)ref.size() != rows * Dv || (int64_t)masked.size() != rows)
    die(c.dir + ": ref.npy or ref_masked.npy has the wrong size");
  const double tol = tolerance(c.dtype);
  double num = 0, den = 0, maxAbs = 0, worstRow = 0;
  int64_t worst = -1;
  bool nan = false, pass = true;
  int64_t maskedNonZero = 0;
  std::string why;
  for (int64_t r = 0; r < rows; ++r) {
    double rn = 0, rd = 0, ra = 0;
    for (int64_t j = 0; j < Dv; ++j) {
      double o = out[r * Dv + j], f = ref[r * Dv + j];
      if (std::isnan(o) != std::isnan(f))
        nan = true;
      if (std::isnan(f))
        continue;
      rn += (o - f) * (o - f);
      rd += f * f;
      ra = std::max(ra, std::fabs(o - f));
    }
    num += rn, den += rd, maxAbs = std::max(maxAbs, ra);
    if (masked[r]) {
      for (int64_t j = 0; j < Dv; ++j)
        if (out[r * Dv + j] != 0.0) {
          ++maskedNonZero;
          break;
        }
      continue;
    }
    double e = rd > 0 ? std::sqrt(rn / rd) : ra;
    if (!(e <= worstRow))
      worstRow = e, worst = r;
  }
  double rel = den > 0 ? std::sqrt(num / den) : maxAbs;
  if (maskedNonZero)
    pass = false, why += " " + std::to_string(maskedNonZero) + " fully masked row(s) not exactly 0;";
  if (nan)
    pass = false, why += " NaN mismatch (an output element not written?);";
  if (!(rel < tol))
    pass = false;
  if (!(worstRow < 10 * tol))
    pass = false, why += " row (q " + std::to_string(worst / c.heads) + ", head " +
                         std::to_string(worst % c.heads) + ") over 10*tol;";
  char line[256];
  std::snprintf(line, sizeof line, "%s %s: rel_err = %.2e (tol %.0e) %s", c.spec.c_str(), c.config.c_str(),
                rel, tol, pass ? "PASS" : "FAIL");
  std::printf("%s%s\n", line, why.empty() ? "" : (" [" + why.substr(1) + "]").c_str());
  if (c.lse) {
    std::vector<double> lref = readArray(c.dir + "/ref_lse.npy").asDoubles();
    double worstLse = 0;
    bool lsePass = (int64_t)lref.size() == rows;
    for (int64_t r = 0; lsePass && r < rows; ++r) {
      double o = lse[r], f = lref[r];
      if (std::isnan(f))
        continue;
      if (std::isinf(f) || std::isinf(o) || std::isnan(o)) {
        if (o != f)
          lsePass = false, worstLse = INFINITY;
        continue;
      }
      worstLse = std::max(worstLse, std::fabs(o - f) / std::max(1.0, std::fabs(f)));
    }
    lsePass = lsePass && worstLse <= lseTolerance(c.dtype);
    std::printf("%s %s: lse max_err = %.2e (tol %.0e) %s\n", c.spec.c_str(), c.config.c_str(), worstLse,
                lseTolerance(c.dtype), lsePass ? "PASS" : "FAIL");
    pass = pass && lsePass;
  }
  return pass;
}

/// --varlen: the prefill cases of one spec packed as one ragged batch in
/// the given order, with two empty sequences: one without queries (7 keys)
/// after the first case, one without keys (3 queries, whose rows must be
/// exactly 0) at the end. One LIB_gpu_prefill_varlen call; each case's rows
/// are compared with its own reference. Specs with kernel inputs are
/// skipped: each case drew its own inputs, which one batch cannot hold.
void runVarlenBatch(const std::vector<Case> &cases, int &passed, int &failed) {
  const Case &c0 = cases[0];
  if (!c0.inputs.empty()) {
    std::printf("%s varlen: skipped (kernel inputs: each case drew its own)\n", c0.spec.c_str());
    return;
  }
  const int64_t H = c0.heads, G = c0.kvHeads, D = c0.headDim, Dv = c0.valueDim;
  // Sequences: (case index or -1, lq, lk).
  struct Seq { int which; int64_t lq, lk; };
  std::vector<Seq> seqs;
  for (size_t i = 0; i < cases.size(); ++i) {
    seqs.push_back({(int)i, cases[i].lq, cases[i].lk});
    if (i == 0)
      seqs.push_back({-1, 0, 7});
  }
  seqs.push_back({-1, 3, 0});
  std::vector<int64_t> cuQ = {0}, cuK = {0}, qPos, kPos;
  std::vector<double> q, k, v;
  std::mt19937_64 rng(99);
  std::normal_distribution<double> normal;
  for (const Seq &sq : seqs) {
    cuQ.push_back(cuQ.back() + sq.lq), cuK.push_back(cuK.back() + sq.lk);
    if (sq.which < 0) {
      for (int64_t i = 0; i < sq.lq; ++i) qPos.push_back(i);
      for (int64_t j = 0; j < sq.lk; ++j) kPos.push_back(j);
      for (int64_t e = 0; e < sq.lq * H * D; ++e) q.push_back(normal(rng));
      for (int64_t e = 0; e < sq.lk * G * D; ++e) k.push_back(normal(rng));
      for (int64_t e = 0; e < sq.lk * G * Dv; ++e) v.push_back(normal(rng));
      continue;
    }
    const Case &c = cases[sq.which];
    if (c.heads != H || c.kvHeads != G || c.headDim != D || c.valueDim != Dv || c.lse != c0.lse || c.far != c0.far)
      die(c.dir + ": its shape differs from " + c0.dir + "'s");
    for (const char *name : {"q", "k", "v"}) {
      std::vector<double> x = readArray(c.dir + "/" + name + ".npy").asDoubles();
      std::vector<double> &to = name[0] == 'q' ? q : name[0] == 'k' ? k : v;
      to.insert(to.end(), x.begin(), x.end());
    }
    if (c.positions) {
      std::vector<int64_t> p = readArray(c.dir + "/positions.npy").asInts();
      qPos.insert(qPos.end(), p.begin(), p.end());
    } else {
      for (int64_t i = 0; i < c.lq; ++i) qPos.push_back(c.lk - c.lq + i);
    }
    for (int64_t j = 0; j < c.lk; ++j) kPos.push_back(j);
  }
  const int64_t nseq = (int64_t)seqs.size(), totalQ = cuQ.back(), totalK = cuK.back();
  if ((int64_t)q.size() != totalQ * H * D || (int64_t)k.size() != totalK * G * D || (int64_t)v.size() != totalK * G * Dv ||
      (int64_t)qPos.size() != totalQ)
    die("--varlen: q/k/v/positions sizes differ from case.txt");
  std::vector<char> qb = encode(q, c0.dtype), kb = encode(k, c0.dtype), vb = encode(v, c0.dtype);
  DeviceBuffer dq(qb.data(), qb.size()), dk(kb.data(), kb.size()), dv(vb.data(), vb.size()),
      dqp(qPos.data(), qPos.size() * 8), dkp(kPos.data(), kPos.size() * 8), dcq(cuQ.data(), cuQ.size() * 8),
      dck(cuK.data(), cuK.size() * 8);
  const size_t outBytes = totalQ * H * Dv * dtypeBytes(c0.dtype);
  DeviceBuffer dout(outBytes), dlse(totalQ * H * 4), qf(totalQ * H * D * 4), kf(totalK * G * D * 4),
      qg(totalQ * H * D * 4), kg(totalK * G * D * 4);
  fill(dout.ptr, 0xff, outBytes);
  fill(dlse.ptr, 0xff, totalQ * H * 4);
  VarlenArgs args{dq.get(), dk.get(), dv.get(), (const int64_t *)dqp.get(), (const int64_t *)dkp.get(),
                  (const int64_t *)dcq.get(), (const int64_t *)dck.get(), cuQ.data(), cuK.data(), nseq, nullptr, 0,
                  dout.get(), c0.lse ? (float *)dlse.get() : nullptr, (float *)qf.get(), (float *)kf.get(),
                  c0.far ? (float *)qg.get() : nullptr, c0.far ? (float *)kg.get() : nullptr, nullptr};
  if (library.prefillVarlen(c0.spec.c_str(), &args) != 0) {
    std::printf("%s varlen: ERROR %s\n", c0.spec.c_str(), library.error());
    ++failed;
    return;
  }
  synchronize("the ragged-batch kernels");
  std::vector<char> ob(outBytes), lb(totalQ * H * 4);
  toHost(ob.data(), dout.ptr, outBytes);
  toHost(lb.data(), dlse.ptr, lb.size());
  std::vector<double> out = decode(ob, c0.dtype), lse = decode(lb, DType::F32);
  for (size_t b = 0; b < seqs.size(); ++b) {
    const int64_t q0 = cuQ[b], lq = seqs[b].lq;
    if (seqs[b].which < 0) {
      // No keys: every row fully masked, exactly 0.
      int64_t bad = 0;
      for (int64_t e = q0 * H * Dv; e < (q0 + lq) * H * Dv; ++e)
        bad += out[e] != 0.0;
      if (lq)
        std::printf("%s varlen seq %zu (%lld queries, no keys): %s\n", c0.spec.c_str(), b, (long long)lq,
                    bad ? "FAIL [rows not exactly 0]" : "PASS");
      if (lq)
        (bad ? failed : passed)++;
      continue;
    }
    Case c = cases[seqs[b].which];
    c.config += "@varlen" + std::to_string(b);
    std::vector<double> o(out.begin() + q0 * H * Dv, out.begin() + (q0 + lq) * H * Dv),
        l(lse.begin() + q0 * H, lse.begin() + (q0 + lq) * H);
    (compare(c, o, l) ? passed : failed)++;
    std::fflush(stdout);
  }
}

/// --varlen over the cases of any specs: one batch per spec (and dtype), in
/// the order of their first case.
void runVarlen(const std::vector<std::string> &dirs, int &passed, int &failed) {
  if (!library.prefillVarlen)
    die("the GPU kernel library has no " + std::string("_gpu_prefill_varlen entry (built before it existed?)"));
  std::vector<std::vector<Case>> batches;
  for (const std::string &d : dirs) {
    Case c = readCase(d);
    if (c.decode)
      continue;
    auto same = [&](const std::vector<Case> &b) { return b[0].spec == c.spec && b[0].dtype == c.dtype; };
    auto it = std::find_if(batches.begin(), batches.end(), same);
    if (it == batches.end())
      batches.push_back({c});
    else
      it->push_back(c);
  }
  if (batches.empty())
    die("--varlen needs prefill case directories");
  for (const std::vector<Case> &b : batches) {
    runVarlenBatch(b, passed, failed);
    std::fflush(stdout);
  }
}

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    out.push_back(item);
  return out;
}

/// The median of `repeats` timed calls (CUDA events) after 3 warm-ups;
/// `call` returns nonzero on failure (the library's error ends the run).
template <typename F> double medianMs(int repeats, F &&call) {
  void *start, *stop;
  std::string e;
  must(driver.createEvent(&start, e) || driver.createEvent(&stop, e), e);
  std::vector<float> ms;
  for (int r = 0; r < repeats + 3; ++r) {
    must(driver.record(start, e), e);
    if (call() != 0)
      die(library.error());
    must(driver.record(stop, e), e);
    float t = 0;
    must(driver.elapsed(start, stop, t, e), e);
    if (r >= 3)
      ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int bench(const std::string &spec, const std::string &shape, const std::string &lens, int repeats) {
  std::vector<std::string> sh = split(shape, ',');
  if (sh.size() != 4)
    die("--shape takes HEADS,KV_HEADS,HEAD_DIM,DTYPE");
  const int64_t H = std::atoll(sh[0].c_str()), G = std::atoll(sh[1].c_str()), D = std::atoll(sh[2].c_str());
  const DType t = parseDType(sh[3]);
  std::mt19937_64 rng(12345);
  std::normal_distribution<double> normal;
  for (const std::string &ls : split(lens, ',')) {
    const int64_t L = std::atoll(ls.c_str());
    std::vector<double> x(L * std::max(H, G) * D);
    for (double &v : x) v = normal(rng);
    std::vector<char> qb = encode(std::vector<double>(x.begin(), x.begin() + L * H * D), t),
                      kb = encode(std::vector<double>(x.begin(), x.begin() + L * G * D), t);
    std::vector<int64_t> pos(L);
    for (int64_t i = 0; i < L; ++i) pos[i] = i;
    // qg, kg: the far rows of a two-branch RoPE remap (unused by other specs).
    DeviceBuffer dq(qb.data(), qb.size()), dk(kb.data(), kb.size()), dv(kb.data(), kb.size()),
        dp(pos.data(), L * 8), dout(L * H * D * dtypeBytes(t)), qf(L * H * D * 4), kf(L * G * D * 4),
        qg(L * H * D * 4), kg(L * G * D * 4);
    PrefillArgs args{dq.get(), dk.get(), dv.get(), L, L, (const int64_t *)dp.get(), (const int64_t *)dp.get(),
                     0, nullptr, 0, dout.get(), nullptr, (float *)qf.get(), (float *)kf.get(), (float *)qg.get(),
                     (float *)kg.get(), nullptr};
    const double med = medianMs(repeats, [&] { return library.prefill(spec.c_str(), &args); });
    std::printf("bench %s %lld: median_ms %.4f\n", spec.c_str(), (long long)L, med);
    std::fflush(stdout);
  }
  return 0;
}

/// --bench-varlen: a ragged batch of sequences of the given lengths (queries
/// = keys, positions 0..L-1 each; random inputs; specs without kernel
/// inputs), timed as one LIB_gpu_prefill_varlen call and as LIB_gpu_prefill
/// per sequence: "bench-varlen SPEC TOTAL: median_ms X loop_ms Y".
int benchVarlen(const std::string &spec, const std::string &shape, const std::string &seqs, int repeats) {
  if (!library.prefillVarlen)
    die("the GPU kernel library has no _gpu_prefill_varlen entry (built before it existed?)");
  std::vector<std::string> sh = split(shape, ',');
  if (sh.size() != 4)
    die("--bench-varlen takes --shape HEADS,KV_HEADS,HEAD_DIM,DTYPE and --seqs L,L,...");
  const int64_t H = std::atoll(sh[0].c_str()), G = std::atoll(sh[1].c_str()), D = std::atoll(sh[2].c_str());
  const DType t = parseDType(sh[3]);
  std::vector<int64_t> cu = {0}, pos;
  for (const std::string &l : split(seqs, ',')) {
    const int64_t L = std::atoll(l.c_str());
    if (L < 0)
      die("--seqs: negative length");
    for (int64_t i = 0; i < L; ++i) pos.push_back(i);
    cu.push_back(cu.back() + L);
  }
  const int64_t total = cu.back(), nseq = (int64_t)cu.size() - 1;
  std::mt19937_64 rng(4321);
  std::normal_distribution<double> normal;
  std::vector<double> x(std::max<int64_t>(total, 1) * std::max(H, G) * D);
  for (double &v : x) v = normal(rng);
  std::vector<char> qb = encode(std::vector<double>(x.begin(), x.begin() + total * H * D), t),
                    kb = encode(std::vector<double>(x.begin(), x.begin() + total * G * D), t);
  DeviceBuffer dq(qb.data(), qb.size()), dk(kb.data(), kb.size()), dv(kb.data(), kb.size()),
      dp(pos.data(), pos.size() * 8), dcu(cu.data(), cu.size() * 8), dout(total * H * D * dtypeBytes(t)),
      qf(total * H * D * 4), kf(total * G * D * 4), qg(total * H * D * 4), kg(total * G * D * 4);
  VarlenArgs args{dq.get(), dk.get(), dv.get(), (const int64_t *)dp.get(), (const int64_t *)dp.get(),
                  (const int64_t *)dcu.get(), (const int64_t *)dcu.get(), cu.data(), cu.data(), nseq, nullptr, 0,
                  dout.get(), nullptr, (float *)qf.get(), (float *)kf.get(), (float *)qg.get(), (float *)kg.get(),
                  nullptr};
  const double one = medianMs(repeats, [&] { return library.prefillVarlen(spec.c_str(), &args); });
  const size_t el = dtypeBytes(t);
  const double loop = medianMs(repeats, [&] {
    for (int64_t b = 0; b < nseq; ++b) {
      const int64_t o = cu[b], L = cu[b + 1] - cu[b];
      PrefillArgs a{(char *)dq.get() + o * H * D * el, (char *)dk.get() + o * G * D * el,
                    (char *)dv.get() + o * G * D * el, L, L, (const int64_t *)dp.get() + o,
                    (const int64_t *)dp.get() + o, b, nullptr, 0, (char *)dout.get() + o * H * D * el, nullptr,
                    (float *)qf.get() + o * H * D, (float *)kf.get() + o * G * D, (float *)qg.get() + o * H * D,
                    (float *)kg.get() + o * G * D, nullptr};
      if (L && library.prefill(spec.c_str(), &a) != 0)
        return -1;
    }
    return 0;
  });
  std::printf("bench-varlen %s %lld: median_ms %.4f loop_ms %.4f\n", spec.c_str(), (long long)total, one, loop);
  std::fflush(stdout);
  return 0;
}

/// --bench-decode: one decode step of `batch` sequences of L tokens each
/// over a paged cache (pages of `page` tokens, nhd, shuffled page table,
/// random contents in the spec's dtype), split-KV as attn-run does (enough
/// (row, KV head, split) items to fill the GPU). Prints the median time and
/// the K/V bytes read per second.
/// A paged cache of `batch` sequences of L tokens each (pages of `page`, in a
/// shuffled physical order), its K/V rows random (a repeated pattern past
/// 4M elements), positions 0..L-1: the decode and cache-prefill benchmarks'.
struct PagedBenchCache {
  int64_t perSeq = 0, pages = 0;
  std::unique_ptr<DeviceBuffer> k, v, pos, table;
  std::vector<double> sample; // random values, for the queries
  PagedBenchCache(int64_t batch, int64_t L, int64_t page, int64_t G, int64_t D, DType t, std::mt19937_64 &rng) {
    perSeq = (L + page - 1) / page, pages = batch * perSeq;
    const size_t el = dtypeBytes(t);
    std::normal_distribution<double> normal;
    sample.resize(std::min<int64_t>(pages * page * G * D, 1 << 22));
    for (double &x : sample) x = normal(rng);
    std::vector<char> pattern = encode(sample, t), kv(pages * page * G * D * el);
    for (size_t i = 0; i < kv.size(); i += pattern.size())
      std::memcpy(&kv[i], pattern.data(), std::min(pattern.size(), kv.size() - i));
    std::vector<int64_t> positions(pages * page);
    std::vector<int32_t> order(pages), rows(batch * perSeq);
    for (int64_t i = 0; i < pages; ++i) order[i] = (int32_t)i;
    std::shuffle(order.begin(), order.end(), rng);
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t p = 0; p < perSeq; ++p) {
        rows[b * perSeq + p] = order[b * perSeq + p];
        for (int64_t s = 0; s < page; ++s) positions[order[b * perSeq + p] * page + s] = p * page + s;
      }
    k = std::make_unique<DeviceBuffer>(kv.data(), kv.size());
    v = std::make_unique<DeviceBuffer>(kv.data(), kv.size());
    pos = std::make_unique<DeviceBuffer>(positions.data(), positions.size() * 8);
    table = std::make_unique<DeviceBuffer>(rows.data(), rows.size() * 4);
  }
  /// k_cache, v_cache, pos_cache, page_table (the decode buffers' order).
  std::vector<Buffer> views(int64_t batch, int64_t page, int64_t G, int64_t D) const {
    return {view(*k, {pages, page, G, D}), view(*v, {pages, page, G, D}), view(*pos, {pages, page}),
            view(*table, {batch, perSeq})};
  }
};

int benchDecode(const std::string &spec, const std::string &shape, const std::string &lens, int64_t batch,
                int64_t page, int repeats) {
  std::vector<std::string> sh = split(shape, ',');
  if (sh.size() != 4 || batch < 1 || page < 1)
    die("--bench-decode takes --shape HEADS,KV_HEADS,HEAD_DIM,DTYPE, --batch B >= 1, --page P >= 1");
  const int64_t H = std::atoll(sh[0].c_str()), G = std::atoll(sh[1].c_str()), D = std::atoll(sh[2].c_str());
  const DType t = parseDType(sh[3]);
  const size_t el = dtypeBytes(t);
  std::mt19937_64 rng(7);
  for (const std::string &ls : split(lens, ',')) {
    const int64_t L = std::atoll(ls.c_str());
    PagedBenchCache cache(batch, L, page, G, D, t, rng);
    std::vector<int64_t> qPos(batch, L - 1), qSeq(batch), len(batch, L);
    for (int64_t b = 0; b < batch; ++b)
      qSeq[b] = b;
    const std::vector<double> &x = cache.sample;
    std::vector<char> q = encode(std::vector<double>(x.begin(), x.begin() + std::min<int64_t>(x.size(), batch * H * D)), t);
    q.resize(batch * H * D * el);
    const int64_t items = batch * G;
    const int64_t splits = std::max<int64_t>(1, std::min<int64_t>((L + 63) / 64, (512 + items - 1) / items));
    DeviceBuffer dq(q.data(), q.size()), dqp(qPos.data(), batch * 8), dqs(qSeq.data(), batch * 8),
        dl(len.data(), batch * 8), pout(batch * splits * H * D * 4), plse(batch * splits * H * 4),
        dout(batch * H * D * el);
    std::vector<Buffer> b = {view(dq, {batch, H, D}), view(dqp, {batch}), view(dqs, {batch})};
    for (const Buffer &c : cache.views(batch, page, G, D))
      b.push_back(c);
    b.insert(b.end(), {view(dl, {batch}), view(pout, {batch, splits, H, D}), view(plse, {batch, splits, H}),
                       view(dout, {batch, H, D})});
    const double med = medianMs(repeats, [&] { return library.decode(spec.c_str(), b.data(), (int64_t)b.size(), nullptr); });
    const double bytes = 2.0 * batch * L * G * D * el;
    std::printf("bench-decode %s %lld %lld: median_ms %.4f GB/s %.1f splits %lld\n", spec.c_str(),
                (long long)batch, (long long)L, med, bytes / (med * 1e-3) / 1e9, (long long)splits);
    std::fflush(stdout);
  }
  return 0;
}

/// --bench-cache-prefill: a chunk of C queries (positions L-C .. L-1) over
/// one sequence of L tokens in a paged cache, as NAME_prefill_cache_gpu
/// (gather + tensor cores) and as the decode kernels with a row per query
/// (lens L-C+1 .. L: what a chunk cost before): "bench-cache-prefill SPEC L
/// C: median_ms X decode_rows_ms Y".
int benchCachePrefill(const std::string &spec, const std::string &shape, const std::string &lens, int64_t chunk,
                      int64_t page, int repeats) {
  std::vector<std::string> sh = split(shape, ',');
  if (sh.size() != 4 || chunk < 1 || page < 1)
    die("--bench-cache-prefill takes --shape HEADS,KV_HEADS,HEAD_DIM,DTYPE, --chunk C >= 1, --page P >= 1");
  if (!library.prefillCache || !library.prefillCacheWorkspace)
    die("--bench-cache-prefill: the library has no prefill over the cache");
  const int64_t H = std::atoll(sh[0].c_str()), G = std::atoll(sh[1].c_str()), D = std::atoll(sh[2].c_str());
  const DType t = parseDType(sh[3]);
  const size_t el = dtypeBytes(t);
  std::mt19937_64 rng(11);
  for (const std::string &ls : split(lens, ',')) {
    const int64_t L = std::atoll(ls.c_str()), C = std::min(chunk, L);
    PagedBenchCache cache(1, L, page, G, D, t, rng);
    std::vector<int64_t> qPos(C), qSeq(C, 0), len(C);
    for (int64_t i = 0; i < C; ++i)
      qPos[i] = L - C + i, len[i] = L - C + i + 1;
    std::vector<double> x(C * H * D);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = cache.sample[i % cache.sample.size()];
    std::vector<char> q = encode(x, t);
    const int64_t workBytes = library.prefillCacheWorkspace(spec.c_str(), C, L);
    if (workBytes < 0)
      die("--bench-cache-prefill: " + spec + " has no prefill over the cache");
    const int64_t splits = std::max<int64_t>(1, std::min<int64_t>((L + 63) / 64, (512 + C * G - 1) / (C * G)));
    DeviceBuffer dq(q.data(), q.size()), dqp(qPos.data(), C * 8), dqs(qSeq.data(), C * 8), dl(len.data(), C * 8),
        dout(C * H * D * el), work(workBytes), pout(C * splits * H * D * 4), plse(C * splits * H * 4);
    std::vector<Buffer> cacheViews = cache.views(1, page, G, D);
    std::vector<Buffer> pb = {view(dq, {C, H, D}), view(dqp, {C})};
    pb.insert(pb.end(), cacheViews.begin(), cacheViews.end());
    pb.insert(pb.end(), {view(dout, {C, H, D}), view(work, {workBytes})});
    std::vector<Buffer> db = {view(dq, {C, H, D}), view(dqp, {C}), view(dqs, {C})};
    db.insert(db.end(), cacheViews.begin(), cacheViews.end());
    db.insert(db.end(), {view(dl, {C}), view(pout, {C, splits, H, D}), view(plse, {C, splits, H}),
                         view(dout, {C, H, D})});
    const double med = medianMs(repeats, [&] {
      return library.prefillCache(spec.c_str(), pb.data(), (int64_t)pb.size(), 0, L, nullptr);
    });
    const double rows = medianMs(repeats, [&] { return library.decode(spec.c_str(), db.data(), (int64_t)db.size(), nullptr); });
    std::printf("bench-cache-prefill %s %lld %lld: median_ms %.4f decode_rows_ms %.4f\n", spec.c_str(),
                (long long)L, (long long)C, med, rows);
    std::fflush(stdout);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::string lib, name, benchSpec, shape, lens;
  int repeats = 10;
  bool decodeBench = false, varlen = false, varlenBench = false, cachePrefill = false, cachePrefillBench = false,
       cachePrefillBatch = false;
  std::string seqs;
  int64_t batch = 1, page = 16, chunk = 512;
  std::vector<std::string> dirs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--lib") lib = value();
    else if (a == "--name") name = value();
    else if (a == "--bench") benchSpec = value();
    else if (a == "--bench-decode") { benchSpec = value(); decodeBench = true; }
    else if (a == "--bench-varlen") { benchSpec = value(); varlenBench = true; }
    else if (a == "--bench-cache-prefill") { benchSpec = value(); cachePrefillBench = true; }
    else if (a == "--chunk") chunk = std::atoll(value().c_str());
    else if (a == "--seqs") seqs = value();
    else if (a == "--varlen") varlen = true;
    else if (a == "--cache-prefill") cachePrefill = true;
    else if (a == "--cache-prefill-batch") cachePrefill = cachePrefillBatch = true;
    else if (a == "--batch") batch = std::atoll(value().c_str());
    else if (a == "--page") page = std::atoll(value().c_str());
    else if (a == "--shape") shape = value();
    else if (a == "--len") lens = value();
    else if (a == "--repeats") repeats = std::max(1, std::atoi(value().c_str()));
    else if (a.rfind("--", 0) == 0) die("unknown option " + a);
    else dirs.push_back(a);
  }
  if (lib.empty() || name.empty())
    die("usage: gpu-check --lib libX_gpu.so --name X CASE_DIR... | --bench SPEC --shape H,HKV,D,DTYPE --len L,...");
  {
    std::string e;
    if (!driver.open(e))
      die(e);
  }
  library.open(lib, name);
  std::printf("gpu-check: device %s\n", driver.deviceName().c_str());
  if (!benchSpec.empty() && varlenBench)
    return benchVarlen(benchSpec, shape, seqs, repeats);
  if (!benchSpec.empty() && cachePrefillBench)
    return benchCachePrefill(benchSpec, shape, lens, chunk, page, repeats);
  if (!benchSpec.empty() && decodeBench)
    return benchDecode(benchSpec, shape, lens, batch, page, repeats);
  if (!benchSpec.empty())
    return bench(benchSpec, shape, lens, repeats);
  int passed = 0, failed = 0;
  if (varlen)
    runVarlen(dirs, passed, failed);
  int skipped = 0;
  if (cachePrefill && (!library.prefillCache || !library.prefillCacheWorkspace || !library.prefillCacheVarlen))
    die("--cache-prefill: the library has no " + name + "_gpu_prefill_cache (built before it existed?)");
  for (const std::string &d : varlen ? std::vector<std::string>() : dirs) {
    Case c = readCase(d);
    std::vector<double> out, lse;
    std::string error;
    if (cachePrefill && (!c.decode || library.prefillCacheWorkspace(c.spec.c_str(), 1, 1) < 0 ||
                         (cachePrefillBatch && (traceHasBuffer(c, "seq_len") || !c.inputs.empty())))) {
      // Only decode traces of specs that have the prefill over the cache
      // (tensor cores; no ring). A batch runs after the last append: not
      // per-channel layouts, whose codes a later append changes (seq_len:
      // tokens of completed groups); nor kernel inputs, which a batch reads
      // at its entry's index where the trace read its sequence's.
      ++skipped;
      continue;
    }
    const DecodeMode mode = cachePrefillBatch ? DecodeMode::CachePrefillBatch
                            : cachePrefill    ? DecodeMode::CachePrefill
                                              : DecodeMode::Decode;
    if (!(c.decode ? runDecodeCase(c, out, lse, error, mode) : runCase(c, out, lse, error))) {
      std::printf("%s %s: ERROR %s\n", c.spec.c_str(), c.config.c_str(), error.c_str());
      ++failed;
      continue;
    }
    (compare(c, out, lse) ? passed : failed)++;
    std::fflush(stdout);
  }
  const int arch = library.loadedArch();
  const char *image = library.loadedImage ? library.loadedImage() : nullptr;
  std::string cubin = (image ? std::string(image) : "sm_" + std::to_string(arch)) + " cubin";
  if (cachePrefill)
    std::printf("gpu-check: prefill over the cache: %d case(s) skipped (not a decode trace, no such kernel, a"
                " ring%s)\n", skipped, cachePrefillBatch ? ", a per-channel layout, kernel inputs" : "");
  std::printf("gpu-check: kernels %s; %d passed, %d failed\n",
              arch > 0 ? cubin.c_str() : arch == 0 ? "PTX (JIT)" : "not loaded", passed, failed);
  return failed ? 1 : 0;
}
