//===- attnc-check.cpp - Differential tester: attnc exec vs the reference ---===//
//
//   attnc-check SPEC.attn... [--attnc PATH] [--seed N] [--dtype f32|bf16|f16]
//               [--work DIR] [--config NAME,...] [-v]
//   attnc-check --self-test SPEC.attn...     (planted bugs must be detected)
//   attnc-check --write-bad-npy DIR          (malformed inputs for exec tests)
//   attnc-check --list-configs SPEC.attn...  (the configurations, not run)
//   attnc-check --tile-sweep SPEC.attn...    (every query/key tile alignment)
//
// For every spec and every shape configuration it draws fresh random inputs,
// writes them as .npy, runs `attnc exec` as a subprocess (so this tool links
// no MLIR), computes the float64 reference (tools/reference) from the same
// inputs and prints
//   NAME CONFIG: rel_err = X (tol Y) PASS|FAIL
// with rel_err = ||out - ref||_2 / ||ref||_2 over the whole output (the max
// absolute error when the reference is 0). Tolerances and the extra exact
// checks follow docs/semantics.md §11. The exit code is non-zero if any
// comparison fails or any exec errors.
//
//===----------------------------------------------------------------------===//
#include "dsl/Frontend.h"
#include "tools/common/Npy.h"
#include "tools/reference/Reference.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <set>

using namespace attnc;
using namespace llvm;

namespace {
cl::OptionCategory checkCategory("attnc-check options");
cl::list<std::string> specFiles(cl::Positional, cl::desc("<spec.attn>..."), cl::cat(checkCategory));
cl::opt<std::string> attncPath("attnc", cl::desc("The attnc binary (default: next to attnc-check, then PATH)"), cl::cat(checkCategory));
cl::opt<uint64_t> seedOpt("seed", cl::desc("Random seed"), cl::init(1), cl::cat(checkCategory));
cl::opt<std::string> dtypeOpt("dtype", cl::desc("Kernel dtype: f32, bf16, f16, or spec (each spec's own)"), cl::init("f32"), cl::cat(checkCategory));
cl::opt<bool> saveReference("save-reference",
                            cl::desc("Write each prefill case's float64 reference (ref.npy, ref_lse.npy, "
                                     "ref_masked.npy) and case.txt next to its inputs in --work, for "
                                     "bench/gpu/gpu_check.cpp"),
                            cl::cat(checkCategory));
cl::opt<std::string> workOpt("work", cl::desc("Keep the .npy files in this directory"), cl::cat(checkCategory));
cl::list<std::string> configFilter("config", cl::desc("Run only these configurations"),
                                   cl::CommaSeparated, cl::cat(checkCategory));
cl::opt<bool> verbose("v", cl::desc("Print the exec command lines and row details"), cl::cat(checkCategory));
cl::opt<bool> selfTest("self-test", cl::desc("Plant bugs in the reference and check that they are caught"), cl::cat(checkCategory));
cl::opt<bool> tileSweep("tile-sweep", cl::desc("Run the 16 'sweep' configurations instead: every alignment of query tiles to key tiles"), cl::cat(checkCategory));
cl::opt<unsigned> sweepSpan("sweep-span", cl::desc("--tile-sweep: key tile size to sweep the alignments of (16; 32 for AMX kernels)"), cl::init(16), cl::cat(checkCategory));
cl::opt<bool> gpuCases("gpu-cases", cl::desc("Run the small 'gpu_*' configurations instead (ragged prefill, far positions, hot logits), "
                                             "sized for bench/gpu's carry"), cl::cat(checkCategory));
cl::opt<bool> listConfigs("list-configs", cl::desc("Print the configurations of each spec and exit"), cl::cat(checkCategory));
cl::opt<std::string> writeBad("write-bad-npy", cl::desc("Write malformed .npy files for exec tests into DIR"), cl::cat(checkCategory));

constexpr double kInf = std::numeric_limits<double>::infinity();

//===----------------------------------------------------------------------===//
// Small helpers
//===----------------------------------------------------------------------===//

uint64_t hashString(uint64_t h, StringRef s) {
  for (char c : s) {
    h ^= (unsigned char)c;
    h *= 0x100000001b3ull;
  }
  return h * 0x9E3779B97F4A7C15ull + 1;
}

std::string fmt(const char *f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

DType parseDType(StringRef s, bool &ok) {
  ok = true;
  if (s == "f32") return DType::F32;
  if (s == "bf16") return DType::BF16;
  if (s == "f16") return DType::F16;
  ok = false;
  return DType::F32;
}

/// semantics.md §11.
double tolerance(DType t) {
  return t == DType::F32 ? 1e-4 : t == DType::BF16 ? 1e-2 : 2e-3;
}
double lseTolerance(DType t) { return t == DType::F32 ? 1e-5 : 1e-3; }

NpyArray makeF32(const std::vector<int64_t> &shape, const std::vector<double> &v) {
  std::vector<float> f(v.begin(), v.end());
  return makeNpyF32(shape, f);
}

NpyArray makeInts(const std::vector<int64_t> &shape, const std::vector<int64_t> &v,
                  const std::string &dtype) {
  NpyArray a;
  a.dtype = dtype;
  a.shape = shape;
  size_t w = a.itemSize();
  a.data.resize(v.size() * w);
  for (size_t i = 0; i < v.size(); ++i) {
    if (w == 8) { int64_t x = v[i]; std::memcpy(&a.data[i * 8], &x, 8); }
    else if (w == 4) { int32_t x = (int32_t)v[i]; std::memcpy(&a.data[i * 4], &x, 4); }
    else { int8_t x = (int8_t)v[i]; std::memcpy(&a.data[i], &x, 1); }
  }
  return a;
}

bool isFloatType(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

const char *npyIntDType(DType t) {
  switch (t) {
  case DType::I64: return "i8";
  case DType::I8: return "i1";
  case DType::U8: return "u1";
  default: return "i4";
  }
}

/// The text of one `attention NAME { ... }` block of a multi-spec file, so
/// that `attnc exec` (one spec per file) can run it.
std::optional<std::string> extractSpecText(const std::string &file, const SourceLoc &loc) {
  auto buf = MemoryBuffer::getFile(file);
  if (!buf)
    return std::nullopt;
  StringRef text = (*buf)->getBuffer();
  size_t pos = 0;
  for (unsigned line = 1; line < loc.line && pos < text.size(); ++pos)
    if (text[pos] == '\n')
      ++line;
  pos += loc.col ? loc.col - 1 : 0;
  // The location points at `attention` or at the name after it.
  size_t start = text.substr(0, std::min(text.size(), pos + 9)).rfind("attention");
  if (start == StringRef::npos)
    return std::nullopt;
  int depth = 0;
  for (size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      i = text.find('\n', i);
      if (i == StringRef::npos)
        break;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      i = text.find("*/", i + 2);
      if (i == StringRef::npos)
        break;
      ++i;
      continue;
    }
    if (c == '"') {
      i = text.find('"', i + 1);
      if (i == StringRef::npos)
        break;
      continue;
    }
    if (c == '{')
      ++depth;
    if (c == '}' && --depth == 0)
      return text.substr(start, i + 1 - start).str() + "\n";
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Configurations
//===----------------------------------------------------------------------===//

struct Config {
  std::string name;
  int64_t lq = 0, lk = 0;
  std::vector<int64_t> positions; // empty: default positions
  double qGain = 1.0;             // multiplies Q (large logits for softcap)
  // Cache kernels (`attnc exec --decode`): K/V appended to the spec's cache
  // `appendChunk` tokens per call, then the queries `queryChunk` at a time
  // (their tokens appended, then one decode call with a row per query, each
  // seeing the tokens up to its own), the keys split `splits` ways.
  bool decode = false;
  int64_t splits = 3, appendChunk = 7, queryChunk = 1;
};

/// The largest distance or position a mask's structure depends on, so the
/// `edge` configuration can straddle every boundary.
int64_t maskExtent(const Mask &m) {
  int64_t e = 0;
  switch (m.kind) {
  case MaskKind::Window: e = std::max(m.left, m.right); break;
  case MaskKind::Sinks: e = m.count; break;
  case MaskKind::Dilated: e = m.window * m.dilation; break;
  case MaskKind::Global:
    e = m.count;
    for (int64_t t : m.tokens)
      e = std::max(e, t + 1);
    break;
  case MaskKind::PrefixLM: e = m.length; break;
  case MaskKind::Chunked: e = m.size + std::abs(m.offset); break;
  default: break;
  }
  for (const MaskPtr &o : m.operands)
    e = std::max(e, maskExtent(*o));
  return e;
}

bool hasDynamicRope(const Spec &s) {
  return s.position.kind == PositionKind::RoPE &&
         (s.position.scaling.kind == RopeScalingKind::DynamicNTK ||
          s.position.scaling.kind == RopeScalingKind::LongRoPE);
}

std::vector<Config> configsFor(const Spec &spec, std::vector<std::string> &notes) {
  std::vector<Config> cs;
  if (tileSweep) {
    // Lk - Lq = r + 16: the tiled kernel's row tiles (multiples of 1-16
    // queries) start at every offset from its 16-key tiles, so every
    // full/partial boundary of a causal-like mask falls inside some tile.
    for (int64_t r = 0; r < static_cast<int64_t>(sweepSpan); ++r)
      cs.push_back({"sweep" + std::to_string(r), 37, 37 + 16 + r, {}, 1.0});
    return cs;
  }
  if (gpuCases) {
    // Few bytes per spec (every spec's cases travel to the GPU machine):
    // queries at the end of a ragged key range, RoPE far past the original
    // context, softcap logits.
    cs.push_back({"gpu_ragged", 7, 19, {}, 1.0});
    if (spec.position.kind == PositionKind::RoPE)
      cs.push_back({"gpu_far", 3, 11, {40000, 40001, 40002}, 1.0});
    for (const HeadScore &s : spec.scores)
      if (s.score) {
        cs.push_back({"gpu_hot", 7, 19, {}, 8.0});
        break;
      }
    if (llvm::is_contained(configFilter, "gpu_blocks"))
      cs.push_back({"gpu_blocks", 150, 161, {}, 1.0});
    if (missingCacheKernels(spec).empty()) {
      // The cache kernels, replayed from exec's trace: ragged appends, two
      // queries per decode call (a ring: one), three splits of which some
      // are empty, an empty sequence.
      Config c{"gpu_cache", 5, 23, {}, 1.0};
      c.decode = true;
      c.splits = 3;
      c.appendChunk = 7;
      c.queryChunk = spec.cache.kind == CacheKind::Ring ? 1 : 2;
      cs.push_back(c);
      // Only when asked for by name (the GPU emulation tests): decode calls
      // of 130 and 20 queries over a sequence of 300 tokens, which
      // gpu-check --cache-prefill runs as prefills over the cache (two
      // query blocks, many key tiles and pages).
      if (llvm::is_contained(configFilter, "gpu_cache_chunk") && spec.cache.kind != CacheKind::Ring) {
        Config chunk{"gpu_cache_chunk", 150, 300, {}, 1.0};
        chunk.decode = true;
        chunk.splits = 2;
        chunk.appendChunk = 37;
        chunk.queryChunk = 130;
        cs.push_back(chunk);
      }
    }
    return cs;
  }
  cs.push_back({"square", 37, 37, {}, 1.0});
  cs.push_back({"chunk", 5, 70, {}, 1.0});
  // Only when asked for by name (the GPU emulation tests): two blocks of
  // the tensor-core prefill (128 queries each, the second ragged) and every
  // warp of both warpgroups, over a ragged key range.
  if (llvm::is_contained(configFilter, "gpu_blocks"))
    cs.push_back({"gpu_blocks", 150, 161, {}, 1.0});
  cs.push_back({"decode", 1, 131, {}, 1.0});
  cs.push_back({"single", 1, 1, {}, 1.0});
  const Position &P = spec.position;
  if (P.kind == PositionKind::RoPE) {
    Config c{"far_positions", 5, 60, {}, 1.0};
    for (int64_t i = 0; i < 5; ++i)
      c.positions.push_back(40000 + i);
    cs.push_back(c);
    if (P.remap.kind != RopeRemapKind::None) {
      // Both branches of the remap, and the boundary between them.
      cs.push_back({"remap", 6, P.remap.window + 40, {}, 1.0});
    }
  }
  int64_t extent = 0;
  for (const HeadMask &m : spec.masks)
    if (m.mask)
      extent = std::max(extent, maskExtent(*m.mask));
  if (extent + 40 > 131) {
    if (extent + 40 <= 9000) {
      // 16 queries spread over [0, Lk): windows, chunks and sinks are
      // crossed on both sides.
      Config c{"edge", 16, extent + 40, {}, 1.0};
      for (int64_t i = 0; i < 16; ++i)
        c.positions.push_back(i * (c.lk - 1) / 15);
      cs.push_back(c);
    } else {
      notes.push_back("edge: mask extent " + std::to_string(extent) + " too large, skipped");
    }
  }
  if (hasDynamicRope(spec)) {
    int64_t orig = P.scaling.originalContext;
    if (orig <= 4096)
      cs.push_back({"long_context", 4, orig + 8, {}, 1.0});
    else
      notes.push_back("long_context: original_context " + std::to_string(orig) +
                      " > 4096, skipped");
  }
  if (!spec.scores.empty()) {
    bool any = false;
    for (const HeadScore &s : spec.scores)
      any |= s.score != nullptr;
    if (any)
      cs.push_back({"hot", 37, 37, {}, 8.0}); // logits ~8x: softcap bends
  }
  // Several query and key tiles of the tiled kernel, neither size a tile
  // multiple: empty, full and partial tiles, the ragged last key tile.
  cs.push_back({"tiles", 70, 203, {}, 1.0});
  if (!missingCacheKernels(spec).empty()) {
    notes.push_back("cache_*: no decode kernels for this cache's quantization yet, skipped");
    return cs;
  }
  // Cache kernels: ragged append chunks, several pages, empty splits.
  auto cacheCfg = [](std::string name, int64_t lq, int64_t lk, int64_t splits, int64_t chunk) {
    Config c{std::move(name), lq, lk, {}, 1.0};
    c.decode = true;
    c.splits = splits;
    c.appendChunk = chunk;
    return c;
  };
  cs.push_back(cacheCfg("cache_decode", 4, 75, 3, 7));
  cs.push_back(cacheCfg("cache_single", 1, 1, 4, 7));
  if (spec.cache.kind != CacheKind::Ring) {
    // Prefill over the cache: 19 queries in chunks of 8 (a ragged last one),
    // each row of a call seeing a different length of the same sequence.
    Config c = cacheCfg("cache_chunk", 19, 90, 2, 13);
    c.queryChunk = 8;
    cs.push_back(c);
  }
  if (int64_t tg = quantLayout(spec).tokenGroup()) {
    // Per-channel token groups: a query chunk (8) completes a group, so its
    // first rows see the group quantized by the call's later tokens.
    Config c = cacheCfg("cache_group", 19, 3 * tg + 5, 2, 13);
    c.queryChunk = 8;
    cs.push_back(c);
  }
  if (spec.cache.kind == CacheKind::Ring) {
    // Past the ring's capacity: window tokens are overwritten.
    int64_t slots = spec.cache.sinks + spec.cache.window;
    cs.push_back(cacheCfg("cache_wrap", 3, slots + 37, 5, 64));
  }
  if (extent + 40 > 75 && extent + 40 <= 9000)
    cs.push_back(cacheCfg("cache_edge", 3, extent + 40, 4, 64));
  if (P.kind == PositionKind::RoPE && P.remap.kind != RopeRemapKind::None)
    cs.push_back(cacheCfg("cache_remap", 3, P.remap.window + 40, 3, 64));
  if (hasDynamicRope(spec) && P.scaling.originalContext <= 4096)
    cs.push_back(cacheCfg("cache_long_context", 2, P.scaling.originalContext + 8, 2, 512));
  return cs;
}

//===----------------------------------------------------------------------===//
// One run: inputs, exec, reference
//===----------------------------------------------------------------------===//

struct Checker {
  std::string attnc;
  std::string workDir;
  DType dtype = DType::F32;
  std::string dtypeName = "f32";
  int failures = 0;

  /// Everything produced for one (spec, config): the kernel's outputs and
  /// the inputs the reference needs.
  struct Run {
    ReferenceInputs in;
    std::vector<double> out, lse;
    bool ok = false;
    Config cfg; // set for cache (decode) runs
  };

  bool writeArray(const std::string &path, const NpyArray &a) {
    std::string err;
    if (!writeNpy(path, a, err)) {
      errs() << "attnc-check: " << err << "\n";
      return false;
    }
    return true;
  }

  std::string specPathFor(const Spec &spec, const std::string &file, size_t specsInFile) {
    if (specsInFile == 1)
      return file;
    std::string path = workDir + "/" + spec.name + ".attn";
    if (!sys::fs::exists(path)) {
      std::optional<std::string> text = extractSpecText(file, spec.loc);
      if (!text)
        return file;
      std::error_code ec;
      raw_fd_ostream os(path, ec);
      os << *text;
    }
    return path;
  }

  /// Draws the inputs, runs attnc exec. Returns false on an exec error
  /// (already reported).
  bool execute(const Spec &spec, const std::string &specPath, const Config &cfg, Run &run) {
    const int64_t H = spec.heads, G = spec.kvHeads, D = spec.headDim, Dv = spec.valueDim;
    const int64_t lq = cfg.lq, lk = cfg.lk;
    uint64_t seed = hashString(hashString(seedOpt, spec.name), cfg.name);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    auto draw = [&](int64_t n, double gain) {
      std::vector<double> x(n);
      for (double &v : x) {
        do
          v = (double)(float)(gain * normal(rng));
        while (v == 0);
      }
      return x;
    };
    ReferenceInputs &in = run.in;
    in.lq = lq;
    in.lk = lk;
    std::vector<double> q = draw(lq * H * D, cfg.qGain), k = draw(lk * G * D, 1.0),
                        v = draw(lk * G * Dv, 1.0);
    std::string dir = workDir + "/" + spec.name + "." + cfg.name + "." + dtypeName;
    sys::fs::create_directories(dir);
    std::string qPath = dir + "/q.npy", kPath = dir + "/k.npy", vPath = dir + "/v.npy",
                outPath = dir + "/out.npy", lsePath = dir + "/lse.npy",
                posPath = dir + "/positions.npy";
    if (!writeArray(qPath, makeF32({lq, H, D}, q)) || !writeArray(kPath, makeF32({lk, G, D}, k)) ||
        !writeArray(vPath, makeF32({lk, G, Dv}, v)))
      return false;
    // The kernel reads Q/K/V in the kernel dtype: the reference gets the
    // same rounded values (semantics.md §11).
    for (double &x : q) x = roundToDType(x, dtype);
    for (double &x : k) x = roundToDType(x, dtype);
    for (double &x : v) x = roundToDType(x, dtype);
    in.q = std::move(q);
    in.k = std::move(k);
    in.v = std::move(v);
    int64_t maxPos = lk - 1;
    if (!cfg.positions.empty()) {
      in.qPos = cfg.positions;
      for (int64_t p : cfg.positions)
        maxPos = std::max(maxPos, p);
      if (!writeArray(posPath, makeInts({lq}, cfg.positions, "i8")))
        return false;
    }

    // Kernel inputs, by role.
    std::set<std::string> docInputs, prefixInputs;
    std::function<void(const Mask &)> walk = [&](const Mask &m) {
      if (m.kind == MaskKind::Document) docInputs.insert(m.input);
      if (m.kind == MaskKind::PrefixLM && !m.input.empty()) prefixInputs.insert(m.input);
      for (const MaskPtr &o : m.operands) walk(*o);
    };
    for (const HeadMask &m : spec.masks)
      if (m.mask) walk(*m.mask);
    std::vector<std::string> inputArgs;
    for (const KernelInput &ki : spec.inputs) {
      std::vector<int64_t> shape;
      for (const std::string &d : ki.dims) {
        int64_t n = 1;
        if (!StringRef(d).getAsInteger(10, n)) {
        } else if (d == "heads") n = H;
        else if (d == "kv_heads") n = G;
        else if (d == "batch") n = 1;
        else if (d == "tokens") n = maxPos + 1;
        else if (d == "buckets") n = spec.position.buckets;
        else n = 1;
        shape.push_back(n);
      }
      int64_t count = 1;
      for (int64_t n : shape) count *= n;
      RefTensor t;
      t.shape = shape;
      t.values.resize(count);
      std::string path = dir + "/input." + ki.name + ".npy";
      if (isFloatType(ki.dtype)) {
        for (double &x : t.values)
          x = roundToDType((double)(float)normal(rng), ki.dtype);
        if (!writeArray(path, makeF32(shape, t.values)))
          return false;
      } else {
        std::vector<int64_t> ints(count);
        if (docInputs.count(ki.name)) {
          // Sorted random document boundaries over the key positions;
          // positions past the keys stay in the last document.
          int64_t docs = 2 + (int64_t)(rng() % 4);
          std::vector<int64_t> bounds;
          for (int64_t b = 0; b + 1 < docs; ++b)
            bounds.push_back(1 + (int64_t)(rng() % std::max<int64_t>(1, lk - 1)));
          std::sort(bounds.begin(), bounds.end());
          for (int64_t p = 0; p < count; ++p) {
            int64_t id = 0;
            for (int64_t b : bounds) id += p >= b;
            ints[p] = id;
          }
        } else if (prefixInputs.count(ki.name)) {
          for (int64_t &x : ints) x = 1 + (int64_t)(rng() % lk);
        } else {
          for (int64_t &x : ints) x = (int64_t)(rng() % 4);
        }
        for (int64_t p = 0; p < count; ++p) t.values[p] = (double)ints[p];
        if (!writeArray(path, makeInts(shape, ints, npyIntDType(ki.dtype))))
          return false;
      }
      in.inputs[ki.name] = std::move(t);
      inputArgs.push_back(ki.name + "=" + path);
    }

    // attnc exec.
    std::vector<std::string> args = {attnc, "exec", specPath, "--q", qPath, "--k", kPath,
                                     "--v", vPath, "--out", outPath, "--dtype", dtypeName};
    if (cfg.decode) {
      run.cfg = cfg;
      args.insert(args.end(), {"--decode", "--splits", std::to_string(cfg.splits),
                               "--append-chunk", std::to_string(cfg.appendChunk),
                               "--query-chunk", std::to_string(cfg.queryChunk)});
      if (saveReference && gpuCases) // replayed on a GPU (bench/gpu/gpu_check.cpp)
        args.insert(args.end(), {"--trace-dir", dir + "/trace"});
    }
    if (!cfg.positions.empty()) {
      args.push_back("--positions");
      args.push_back(posPath);
    }
    for (const std::string &a : inputArgs) {
      args.push_back("--input");
      args.push_back(a);
    }
    if (spec.lse) {
      args.push_back("--lse-out");
      args.push_back(lsePath);
    }
    if (verbose) {
      for (const std::string &a : args) outs() << a << " ";
      outs() << "\n";
    }
    std::vector<StringRef> argRefs(args.begin(), args.end());
    std::string errPath = dir + "/stderr.txt";
    std::optional<StringRef> redirects[] = {std::nullopt, StringRef(errPath), StringRef(errPath)};
    std::string execErr;
    int rc = sys::ExecuteAndWait(attnc, argRefs, std::nullopt, redirects, 0, 0, &execErr);
    if (rc != 0) {
      auto msg = MemoryBuffer::getFile(errPath);
      outs() << spec.name << " " << cfg.name << ": EXEC ERROR (exit " << rc << ") "
             << execErr << "\n";
      if (msg)
        outs() << (*msg)->getBuffer();
      return false;
    }
    std::string err;
    NpyArray outArr;
    if (!readNpy(outPath, outArr, err)) {
      outs() << spec.name << " " << cfg.name << ": EXEC ERROR " << err << "\n";
      return false;
    }
    if (outArr.shape != std::vector<int64_t>{lq, H, Dv}) {
      outs() << spec.name << " " << cfg.name << ": EXEC ERROR output shape "
             << outArr.shapeString() << "\n";
      return false;
    }
    run.out = outArr.asDoubles();
    if (spec.lse) {
      NpyArray lseArr;
      if (!readNpy(lsePath, lseArr, err) || lseArr.numElements() != lq * H) {
        outs() << spec.name << " " << cfg.name << ": EXEC ERROR lse " << err << "\n";
        return false;
      }
      run.lse = lseArr.asDoubles();
    }
    run.ok = true;
    return true;
  }

  /// The reference of a cache run: query i attends over the first
  /// T = Lk - Lq + i + 1 tokens of the cache (semantics.md §8): all T
  /// tokens, or a ring's sinks and last W tokens at their positions inside
  /// the cache; keys rotated when written (on_write, scaled for the length
  /// after their append call) or at read; values and keys rounded to the
  /// cache type and quantized per token as the cache stores them.
  bool referenceDecode(const Spec &spec, const Run &run, ReferenceResult &ref,
                       std::string &err) {
    const int64_t H = spec.heads, G = spec.kvHeads, D = spec.headDim, Dv = spec.valueDim;
    const int64_t lq = run.in.lq, lk = run.in.lk, pre = lk - lq, C = run.cfg.appendChunk;
    const int64_t N = run.cfg.queryChunk;
    const Cache &cache = spec.cache;
    const QuantLayout ql = quantLayout(spec);
    const bool rope = spec.position.kind == PositionKind::RoPE && spec.position.rotaryDim > 0;
    const bool onWrite = rope && spec.position.apply == RopeApply::OnWrite;
    const bool ring = cache.kind == CacheKind::Ring;
    // What the cache holds for every token.
    std::vector<double> kStored = run.in.k, vStored = run.in.v;
    for (int64_t t = 0; t < lk; ++t) {
      // The length after the append call that wrote token t.
      int64_t callEnd = t < pre ? std::min(pre, (t / C + 1) * C)
                                : std::min(lk, pre + ((t - pre) / N + 1) * N);
      for (int64_t g = 0; g < G; ++g) {
        double *kr = &kStored[(t * G + g) * D];
        if (onWrite) {
          referenceRotate(spec, kr, t, callEnd);
          for (int64_t c = 0; c < D; ++c)
            kr[c] = roundToDType(kr[c], dtype);
        }
        if (!ql.keys.perChannel)
          referenceQuantizeRow(cache.quant, kr, D);
        if (!ql.values.perChannel)
          referenceQuantizeRow(cache.quant, &vStored[(t * G + g) * Dv], Dv);
      }
    }
    // Per-channel sides: the token groups complete in the cache when the
    // query's decode ran (its append call's end) are quantized per (KV
    // head, channel) over the group; the incomplete group stays as stored.
    const int64_t TG = ql.tokenGroup();
    auto stateAt = [&](int64_t i) { return std::min(lk, pre + (i / N + 1) * N); };
    auto quantizeGroups = [&](std::vector<double> &x, int64_t n, int64_t state) {
      std::vector<double *> ptrs(TG);
      for (int64_t t0 = 0; t0 + TG <= state; t0 += TG)
        for (int64_t g = 0; g < G; ++g)
          for (int64_t c = 0; c < n; ++c) {
            for (int64_t j = 0; j < TG; ++j)
              ptrs[j] = &x[((t0 + j) * G + g) * n + c];
            referenceQuantizeGroup(cache.quant, ptrs.data(), TG);
          }
    };
    std::vector<double> kBase, vBase;
    if (TG) {
      kBase = kStored;
      vBase = vStored;
    }
    ref.out.assign(lq * H * Dv, 0.0);
    ref.lse.assign(lq * H, -kInf);
    ref.fullyMasked.assign(lq * H, 0);
    for (int64_t i = 0; i < lq; ++i) {
      const int64_t T = pre + i + 1;
      if (TG && (i == 0 || stateAt(i) != stateAt(i - 1))) {
        kStored = kBase;
        vStored = vBase;
        if (ql.keys.perChannel)
          quantizeGroups(kStored, D, stateAt(i));
        if (ql.values.perChannel)
          quantizeGroups(vStored, Dv, stateAt(i));
      }
      std::vector<int64_t> resident;
      if (ring) {
        for (int64_t t = 0; t < std::min(T, cache.sinks); ++t)
          resident.push_back(t);
        for (int64_t t = std::max(cache.sinks, T - cache.window); t < T; ++t)
          resident.push_back(t);
      } else {
        for (int64_t t = 0; t < T; ++t)
          resident.push_back(t);
      }
      const int64_t R = resident.size();
      ReferenceInputs in;
      in.lq = 1;
      in.lk = R;
      in.inputs = run.in.inputs;
      in.batch = 0;
      in.seqLen = R;
      in.keysRotated = onWrite;
      in.q.assign(run.in.q.begin() + i * H * D, run.in.q.begin() + (i + 1) * H * D);
      for (int64_t r = 0; r < R; ++r) {
        int64_t t = resident[r];
        in.k.insert(in.k.end(), kStored.begin() + t * G * D, kStored.begin() + (t + 1) * G * D);
        in.v.insert(in.v.end(), vStored.begin() + t * G * Dv, vStored.begin() + (t + 1) * G * Dv);
        in.kPos.push_back(ring && rope ? r : t);
      }
      in.qPos = {ring && rope ? R - 1 : T - 1};
      ReferenceResult one;
      if (!referenceAttention(spec, in, one, err))
        return false;
      std::copy(one.out.begin(), one.out.end(), ref.out.begin() + i * H * Dv);
      std::copy(one.lse.begin(), one.lse.end(), ref.lse.begin() + i * H);
      std::copy(one.fullyMasked.begin(), one.fullyMasked.end(), ref.fullyMasked.begin() + i * H);
    }
    return true;
  }

  struct Verdict {
    double relErr = 0, lseErr = 0;
    bool pass = true, lsePass = true;
    std::string why;
  };

  /// Compares the kernel's outputs with the reference for `spec` (which may
  /// be a perturbed copy in the self-test).
  Verdict compare(const Spec &spec, const Run &run, bool &refOk, ReferenceResult *keep = nullptr) {
    Verdict vd;
    ReferenceResult localRef;
    ReferenceResult &ref = keep ? *keep : localRef;
    std::string err;
    refOk = run.cfg.decode ? referenceDecode(spec, run, ref, err)
                           : referenceAttention(spec, run.in, ref, err);
    if (!refOk) {
      vd.pass = false;
      vd.why = "reference: " + err;
      return vd;
    }
    const double tol = tolerance(dtype);
    const int64_t rows = run.in.lq * spec.heads, Dv = spec.valueDim;
    double num = 0, den = 0, maxAbs = 0, worstRow = 0;
    int64_t worstRowIdx = -1;
    bool nan = false;
    for (int64_t r = 0; r < rows; ++r) {
      double rn = 0, rd = 0, ra = 0;
      for (int64_t c = 0; c < Dv; ++c) {
        double o = run.out[r * Dv + c], f = ref.out[r * Dv + c];
        if (std::isnan(o) != std::isnan(f))
          nan = true;
        if (std::isnan(f))
          continue;
        double e = o - f;
        rn += e * e;
        rd += f * f;
        ra = std::max(ra, std::fabs(e));
      }
      num += rn;
      den += rd;
      maxAbs = std::max(maxAbs, ra);
      if (ref.fullyMasked[r]) {
        // §11: a fully masked row is exactly 0.
        for (int64_t c = 0; c < Dv; ++c)
          if (run.out[r * Dv + c] != 0.0) {
            vd.pass = false;
            vd.why += " fully-masked row " + std::to_string(r) + " is not exactly 0;";
            break;
          }
        continue;
      }
      double rowErr = rd > 0 ? std::sqrt(rn / rd) : ra;
      if (!(rowErr <= worstRow)) {
        worstRow = rowErr;
        worstRowIdx = r;
      }
    }
    vd.relErr = den > 0 ? std::sqrt(num / den) : maxAbs;
    if (nan) {
      vd.pass = false;
      vd.why += " NaN mismatch;";
    }
    if (!(vd.relErr < tol))
      vd.pass = false;
    if (!(worstRow < 10 * tol)) {
      vd.pass = false;
      vd.why += " row (q " + std::to_string(worstRowIdx / spec.heads) + ", head " +
                std::to_string(worstRowIdx % spec.heads) + ") rel_err " +
                fmt("%.2e", worstRow) + " > 10*tol;";
    }
    if (spec.lse) {
      const double lt = lseTolerance(dtype);
      for (int64_t r = 0; r < rows; ++r) {
        double o = run.lse[r], f = ref.lse[r];
        if (std::isnan(f))
          continue;
        if (std::isinf(f) || std::isinf(o) || std::isnan(o)) {
          if (o != f) {
            vd.lsePass = false;
            vd.lseErr = kInf;
          }
          continue;
        }
        double e = std::fabs(o - f) / std::max(1.0, std::fabs(f));
        vd.lseErr = std::max(vd.lseErr, e);
        if (!(e <= lt))
          vd.lsePass = false;
      }
    }
    return vd;
  }

  void report(const Spec &spec, const Config &cfg, const Verdict &vd) {
    const double tol = tolerance(dtype);
    outs() << spec.name << " " << cfg.name << ": rel_err = " << fmt("%.2e", vd.relErr)
           << " (tol " << fmt("%.0e", tol) << ") " << (vd.pass ? "PASS" : "FAIL");
    if (!vd.why.empty())
      outs() << " [" << StringRef(vd.why).trim() << "]";
    outs() << "\n";
    if (!vd.pass)
      ++failures;
    if (spec.lse) {
      outs() << spec.name << " " << cfg.name << ": lse max_err = " << fmt("%.2e", vd.lseErr)
             << " (tol " << fmt("%.0e", lseTolerance(dtype)) << ") "
             << (vd.lsePass ? "PASS" : "FAIL") << "\n";
      if (!vd.lsePass)
        ++failures;
    }
  }

  bool selected(const std::string &cfg) {
    if (configFilter.empty())
      return true;
    for (const std::string &c : configFilter)
      if (c == cfg)
        return true;
    return false;
  }

  /// Whether `m` never keeps a key after the query (k_pos > q_pos): then a
  /// decode row that sees its sequence's first lens tokens (positions 0..)
  /// sees what a prefill over all of them shows it, which lets gpu-check
  /// --cache-prefill compare the prefill over the cache with the decode
  /// trace's reference. Conservative: false where unsure.
  static bool keepsNoLaterKey(const Mask *m) {
    if (!m)
      return false;
    switch (m->kind) {
    case MaskKind::Causal:
      return true;
    case MaskKind::Window: // keeps -right <= q_pos - k_pos < left
      return m->right == 0;
    case MaskKind::And:
      for (const MaskPtr &o : m->operands)
        if (keepsNoLaterKey(o.get()))
          return true;
      return false;
    case MaskKind::Or:
      for (const MaskPtr &o : m->operands)
        if (!keepsNoLaterKey(o.get()))
          return false;
      return !m->operands.empty();
    default:
      return false;
    }
  }
  static bool causalEverywhere(const Spec &spec) {
    if (spec.masks.empty())
      return false;
    for (const HeadMask &hm : spec.masks)
      if (!keepsNoLaterKey(hm.mask.get()))
        return false;
    return true;
  }

  /// A prefill case for the GPU checker (bench/gpu/gpu_check.cpp): case.txt
  /// and the reference next to the inputs execute() wrote.
  bool writeCase(const Spec &spec, const Config &cfg, const Run &run, const ReferenceResult &ref) {
    const int64_t H = spec.heads, lq = run.in.lq;
    std::string dir = workDir + "/" + spec.name + "." + cfg.name + "." + dtypeName;
    std::vector<int64_t> masked(ref.fullyMasked.begin(), ref.fullyMasked.end());
    // Inputs as the kernel reads them (rounded to the dtype: they compress
    // well), the reference in f32 (6e-8 relative, far under every tolerance).
    const int64_t G = spec.kvHeads, D = spec.headDim, Dv = spec.valueDim, lk = run.in.lk;
    if (!writeArray(dir + "/q.npy", makeF32({lq, H, D}, run.in.q)) ||
        !writeArray(dir + "/k.npy", makeF32({lk, G, D}, run.in.k)) ||
        !writeArray(dir + "/v.npy", makeF32({lk, G, Dv}, run.in.v)) ||
        !writeArray(dir + "/ref.npy", makeF32({lq, H, Dv}, ref.out)) ||
        !writeArray(dir + "/ref_masked.npy", makeInts({lq, H}, masked, "i8")) ||
        (spec.lse && !writeArray(dir + "/ref_lse.npy", makeF32({lq, H}, ref.lse))))
      return false;
    sys::fs::remove(dir + "/out.npy");
    sys::fs::remove(dir + "/lse.npy");
    sys::fs::remove(dir + "/stderr.txt");
    std::error_code ec;
    raw_fd_ostream os(dir + "/case.txt", ec);
    if (ec)
      return false;
    const bool far = spec.position.kind == PositionKind::RoPE && spec.position.remap.kind != RopeRemapKind::None;
    os << "spec " << spec.name << "\nconfig " << cfg.name << "\ndtype " << dtypeName << "\nlq " << lq
       << "\nlk " << run.in.lk << "\nheads " << H << "\nkv_heads " << spec.kvHeads << "\nhead_dim "
       << spec.headDim << "\nvalue_dim " << spec.valueDim << "\nfar " << far << "\nlse " << spec.lse
       << "\npositions " << !cfg.positions.empty() << "\ndecode " << cfg.decode << "\ncausal "
       << causalEverywhere(spec) << "\n";
    for (const KernelInput &ki : spec.inputs) {
      os << "input " << ki.name << " " << attnc::dtypeName(ki.dtype);
      for (int64_t d : run.in.inputs.at(ki.name).shape)
        os << " " << d;
      os << "\n";
    }
    return true;
  }

  void checkSpec(const Spec &spec, const std::string &specPath) {
    if (dtypeOpt == "spec") { // the spec's own types (no override in exec)
      dtype = spec.qType;
      dtypeName = attnc::dtypeName(spec.qType);
    }
    std::vector<std::string> notes;
    for (const Config &cfg : configsFor(spec, notes)) {
      if (!selected(cfg.name))
        continue;
      Run run;
      if (!execute(spec, specPath, cfg, run)) {
        ++failures;
        continue;
      }
      bool refOk;
      ReferenceResult ref;
      report(spec, cfg, compare(spec, run, refOk, &ref));
      // Decode cases travel with their trace only (--gpu-cases).
      if (saveReference && (!cfg.decode || gpuCases) && refOk && !writeCase(spec, cfg, run, ref)) {
        outs() << spec.name << " " << cfg.name << ": cannot write the case files\n";
        ++failures;
      }
    }
    for (const std::string &n : notes)
      outs() << spec.name << " note: " << n << "\n";
    outs().flush();
  }
};

//===----------------------------------------------------------------------===//
// The self-test: planted bugs
//===----------------------------------------------------------------------===//

struct Planted {
  const char *name, *spec, *config;
  std::function<void(Spec &)> mutate;
};

void forEachMask(Mask &m, const std::function<void(Mask &)> &f) {
  f(m);
  for (MaskPtr &o : m.operands)
    forEachMask(*o, f);
}

std::vector<Planted> plantedBugs() {
  return {
      {"scale*1.001", "llama2_7b", "square", [](Spec &s) { s.scale *= 1.001; }},
      {"theta+1", "llama2_7b", "far_positions", [](Spec &s) { s.position.theta += 1; }},
      {"causal->full", "llama2_7b", "chunk",
       [](Spec &s) {
         for (HeadMask &m : s.masks)
           m.mask = std::make_shared<Mask>();
       }},
      {"window-1", "gpt_oss_sinks", "decode",
       [](Spec &s) {
         for (HeadMask &m : s.masks)
           forEachMask(*m.mask, [](Mask &x) {
             if (x.kind == MaskKind::Window)
               x.left -= 1;
           });
       }},
      {"sinks dropped", "gpt_oss_sinks", "square",
       [](Spec &s) { s.normalizer.kind = NormalizerKind::Softmax; }},
      {"yarn attention_factor=1", "gpt_oss_sinks", "square",
       [](Spec &s) { s.position.scaling.attentionFactor = 1.0; }},
      {"slope*1.01", "mpt_7b", "square",
       [](Spec &s) {
         for (double &x : s.position.slopes)
           x *= 1.01;
       }},
      {"layout swapped", "smollm2_135m", "square",
       [](Spec &s) { s.position.layout = RopeLayout::HalfSplit; }},
      {"t5 unidirectional", "t5_bias", "square",
       [](Spec &s) { s.position.bidirectional = false; }},
      // Cache kernels: the reference must model the cache, not just attention.
      {"fp8 quantization ignored", "fp8_cache", "cache_decode",
       [](Spec &s) { s.cache.quant.kind = QuantKind::None; }},
      {"int8 read as fp8", "int8_kv_cache", "cache_decode",
       [](Spec &s) { s.cache.quant.kind = QuantKind::FP8; s.cache.quant.format = FP8Format::E5M2; }},
      {"int4 keys per token", "kivi_int4", "cache_decode",
       [](Spec &s) { s.cache.quant.keys = QuantGranularity::PerToken; }},
      {"int4 group 16", "kivi_int4", "cache_decode", [](Spec &s) { s.cache.quant.group = 16; }},
      {"int4 residual quantized", "kivi_int4", "cache_group",
       [](Spec &s) { s.cache.quant.values = QuantGranularity::PerChannel; }},
      {"per-channel int8 read per token", "int8_per_channel", "cache_decode",
       [](Spec &s) { s.cache.quant.granularity = QuantGranularity::PerToken; }},
      {"ring window-1", "streaming_llm", "cache_wrap", [](Spec &s) { s.cache.window -= 1; }},
      {"ring sinks-1", "streaming_llm", "cache_wrap", [](Spec &s) { s.cache.sinks -= 1; }},
      {"document ignored", "packed_documents", "square",
       [](Spec &s) {
         for (HeadMask &m : s.masks)
           forEachMask(*m.mask, [](Mask &x) {
             if (x.kind == MaskKind::Document)
               x = Mask();
           });
       }},
  };
}

//===----------------------------------------------------------------------===//
// Malformed inputs for the exec contract tests
//===----------------------------------------------------------------------===//

int writeBadNpy(const std::string &dir) {
  sys::fs::create_directories(dir);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  auto rnd = [&](int64_t n) {
    std::vector<double> v(n);
    for (double &x : v) x = normal(rng);
    return v;
  };
  std::string err;
  bool ok = true;
  auto put = [&](const std::string &name, const NpyArray &a) {
    ok &= writeNpy(dir + "/" + name, a, err);
  };
  // Shapes of specs/smollm2_135m.attn (heads 9, kv_heads 3, head_dim 64).
  put("q.npy", makeF32({4, 9, 64}, rnd(4 * 9 * 64)));
  put("k.npy", makeF32({6, 3, 64}, rnd(6 * 3 * 64)));
  put("v.npy", makeF32({6, 3, 64}, rnd(6 * 3 * 64)));
  put("v_short.npy", makeF32({5, 3, 64}, rnd(5 * 3 * 64)));
  put("q_shape.npy", makeF32({4, 8, 64}, rnd(4 * 8 * 64)));
  std::vector<int64_t> ints(4 * 9 * 64, 1);
  put("q_i32.npy", makeInts({4, 9, 64}, ints, "i4"));
  put("doc.npy", makeInts({6}, {0, 0, 0, 1, 1, 1}, "i4"));
  put("positions_short.npy", makeInts({3}, {3, 4, 5}, "i8"));
  // Shapes of specs/packed_documents.attn (heads 32, kv_heads 8, head_dim 128).
  put("pd_q.npy", makeF32({4, 32, 128}, rnd(4 * 32 * 128)));
  put("pd_k.npy", makeF32({6, 8, 128}, rnd(6 * 8 * 128)));
  put("pd_v.npy", makeF32({6, 8, 128}, rnd(6 * 8 * 128)));
  // Bad magic: a valid file with its first bytes replaced.
  {
    NpyArray a = makeF32({4, 9, 64}, rnd(4 * 9 * 64));
    ok &= writeNpy(dir + "/bad_magic.npy", a, err);
    std::error_code ec;
    auto buf = MemoryBuffer::getFile(dir + "/bad_magic.npy");
    if (buf) {
      std::string bytes = (*buf)->getBuffer().str();
      std::memcpy(&bytes[0], "NOTNPY", 6);
      raw_fd_ostream os(dir + "/bad_magic.npy", ec);
      os << bytes;
    }
  }
  // Truncated: the header promises [4, 9, 64] f4, the data stops early.
  {
    NpyArray a = makeF32({4, 9, 64}, rnd(4 * 9 * 64));
    a.data.resize(100);
    ok &= writeNpy(dir + "/truncated.npy", a, err);
  }
  if (!ok) {
    errs() << "attnc-check: " << err << "\n";
    return 1;
  }
  return 0;
}

std::string findAttnc(const char *argv0) {
  if (!attncPath.empty())
    return attncPath;
  std::string self = sys::fs::getMainExecutable(argv0, (void *)&findAttnc);
  SmallString<256> p(sys::path::parent_path(self));
  sys::path::append(p, "attnc");
  if (sys::fs::can_execute(p))
    return std::string(p);
  if (auto found = sys::findProgramByName("attnc"))
    return *found;
  return "attnc";
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(checkCategory);
  cl::ParseCommandLineOptions(argc, argv, "attnc differential tester\n");

  if (!writeBad.empty())
    return writeBadNpy(writeBad);

  Checker ck;
  bool ok = dtypeOpt == "spec";
  if (!ok)
    ck.dtype = parseDType(dtypeOpt, ok);
  ck.dtypeName = dtypeOpt;
  if (!ok) {
    errs() << "attnc-check: --dtype must be f32, bf16 or f16, found '" << dtypeOpt << "'\n";
    return 2;
  }
  if (specFiles.empty()) {
    errs() << "attnc-check: no spec files given\n";
    return 2;
  }
  ck.attnc = findAttnc(argv[0]);
  SmallString<256> tmp;
  bool removeWork = false;
  if (workOpt.empty()) {
    if (sys::fs::createUniqueDirectory("attnc-check", tmp)) {
      errs() << "attnc-check: cannot create a temporary directory\n";
      return 2;
    }
    ck.workDir = std::string(tmp);
    removeWork = true;
  } else {
    ck.workDir = workOpt;
    sys::fs::create_directories(ck.workDir);
  }

  struct Loaded {
    Spec spec;
    std::string path;
  };
  std::vector<Loaded> loaded;
  int loadErrors = 0;
  for (const std::string &file : specFiles) {
    std::optional<std::vector<Spec>> specs = loadSpecFile(file);
    if (!specs) {
      ++loadErrors;
      continue;
    }
    for (const Spec &s : *specs)
      loaded.push_back({s, ck.specPathFor(s, file, specs->size())});
  }

  int rc = 0;
  if (listConfigs) {
    for (const Loaded &l : loaded) {
      std::vector<std::string> notes;
      for (const Config &c : configsFor(l.spec, notes))
        outs() << l.spec.name << " " << c.name << " Lq=" << c.lq << " Lk=" << c.lk
               << (c.positions.empty() ? "" : " positions") << "\n";
      for (const std::string &n : notes)
        outs() << l.spec.name << " note: " << n << "\n";
    }
  } else if (selfTest) {
    int undetected = 0;
    for (const Planted &p : plantedBugs()) {
      const Loaded *l = nullptr;
      for (const Loaded &x : loaded)
        if (x.spec.name == p.spec)
          l = &x;
      if (!l) {
        outs() << "self-test " << p.name << ": spec '" << p.spec << "' not given, SKIP\n";
        continue;
      }
      std::vector<std::string> notes;
      const Config *cfg = nullptr;
      std::vector<Config> cs = configsFor(l->spec, notes);
      for (const Config &c : cs)
        if (c.name == p.config)
          cfg = &c;
      Checker::Run run;
      if (!cfg || !ck.execute(l->spec, l->path, *cfg, run)) {
        outs() << "self-test " << p.name << ": could not run " << p.spec << " " << p.config << "\n";
        ++undetected;
        continue;
      }
      bool refOk;
      Checker::Verdict clean = ck.compare(l->spec, run, refOk);
      Spec bad = l->spec;
      p.mutate(bad);
      Checker::Verdict planted = ck.compare(bad, run, refOk);
      bool caught = !(planted.pass && planted.lsePass);
      bool cleanOk = clean.pass && clean.lsePass;
      outs() << "self-test " << p.name << " on " << p.spec << " " << p.config
             << ": clean rel_err = " << fmt("%.2e", clean.relErr) << " "
             << (cleanOk ? "PASS" : "FAIL") << ", planted rel_err = "
             << fmt("%.2e", planted.relErr) << " " << (caught ? "FAIL" : "PASS") << ": "
             << (caught && cleanOk ? "DETECTED" : "NOT DETECTED") << "\n";
      if (!(caught && cleanOk))
        ++undetected;
    }
    rc = undetected || loadErrors ? 1 : 0;
  } else {
    for (const Loaded &l : loaded)
      ck.checkSpec(l.spec, l.path);
    rc = ck.failures || loadErrors ? 1 : 0;
  }
  if (removeWork)
    sys::fs::remove_directories(ck.workDir);
  return rc;
}
