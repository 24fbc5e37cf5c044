//===- Model.cpp - A llama-family GGUF model on attnc kernels -------------===//
#include "model/Model.h"
#include "model/GpuModel.h"

#include <sys/mman.h>
#include <unistd.h>

#include "attn_model_kernels.h"
#include "gguf/Quants.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <tuple>

namespace attnc::model {

void die(const std::string &msg) {
  std::fflush(stdout);
  std::fprintf(stderr, "attn-run: error: %s\n", msg.c_str());
  std::exit(1);
}

namespace {

void check(const gguf::Error &e, const char *what) {
  if (e.isFailure())
    die(std::string(what) + ": " + e.message());
}

const gguf::GGUFTensorInfo &tensor(const gguf::GGUFFile &f, const std::string &name) {
  const gguf::GGUFTensorInfo *t = f.findTensor(name);
  if (!t)
    die("the model has no tensor '" + name + "'");
  return *t;
}

/// A matrix whose type the matmuls do not read (they read f32, q8_0, q4_1),
/// converted once into `store`: Q4_0 -> Q4_1 exactly (min = -8d, exact in
/// f16); F16, BF16, F64 -> f32 exactly; any other type dequantizeRow reads
/// (Q5_0, Q5_1, the K-quants) -> Q8_0, whose per-32-block rounding (at most
/// half a step of amax/127) is the only error (f32 if k % 32 != 0).
kernels::WeightView convertForMatmul(const kernels::WeightView &w, const std::string &name,
                                     std::vector<uint8_t> &store) {
  using gguf::GGMLType;
  if (!gguf::canDequantize(w.type))
    die("tensor '" + name + "' has type " + gguf::ggmlTypeName(w.type) +
        ", which attn-run cannot read (supported: f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, "
        "q2_K..q6_K)");
  const int64_t k = w.cols, inBytes = (int64_t)*gguf::ggmlByteSize(w.type, k);
  const uint8_t *in = static_cast<const uint8_t *>(w.data);
  const bool elementwise = gguf::ggmlByteSize(w.type, 1).has_value(); // f16, bf16, f64, ints
  GGMLType to = w.type == GGMLType::Q4_0             ? GGMLType::Q4_1
                : !elementwise && k % 32 == 0 ? GGMLType::Q8_0
                                              : GGMLType::F32;
  const int64_t outBytes = kernels::weightRowBytes(to, k);
  store.resize(w.rows * outBytes);
  std::vector<float> row(k);
  for (int64_t r = 0; r < w.rows; ++r) {
    const uint8_t *src = in + r * inBytes;
    uint8_t *dst = store.data() + r * outBytes;
    if (to == GGMLType::Q4_1) {
      for (int64_t b = 0; b < k / 32; ++b) { // {f16 d, 16 nibbles} -> {f16 d, f16 m, same nibbles}
        const uint8_t *ib = src + 18 * b;
        uint8_t *ob = dst + 20 * b;
        uint16_t d, mn;
        std::memcpy(&d, ib, 2);
        mn = gguf::fp32ToFp16(-8.0f * gguf::fp16ToFp32(d));
        std::memcpy(ob, &d, 2);
        std::memcpy(ob + 2, &mn, 2);
        std::memcpy(ob + 4, ib + 2, 16);
      }
      continue;
    }
    check(gguf::dequantizeRow(w.type, src, row.data(), k), name.c_str());
    if (to == GGMLType::F32)
      std::memcpy(dst, row.data(), k * sizeof(float));
    else
      check(gguf::quantizeRowQ8_0(row.data(), dst, k), name.c_str());
  }
  return {to, store.data(), w.rows, w.cols};
}

kernels::WeightView weight(Model &m, const gguf::GGUFFile &f, const std::string &name, int64_t rows,
                           int64_t cols) {
  const gguf::GGUFTensorInfo &t = tensor(f, name);
  if (t.ne[0] != cols || t.nRows() != rows)
    die("tensor '" + name + "' has shape " + t.shapeString() + ", expected [" +
        std::to_string(cols) + ", " + std::to_string(rows) + "]");
  kernels::WeightView w{t.type, t.data, rows, cols};
  if (kernels::weightRowBytes(t.type, cols) != 0)
    return w;
  m.convertedWeights.emplace_back();
  return convertForMatmul(w, name, m.convertedWeights.back());
}

const float *f32Vector(const gguf::GGUFFile &f, const std::string &name, int64_t n) {
  const gguf::GGUFTensorInfo &t = tensor(f, name);
  if (t.type != gguf::GGMLType::F32 || t.nElements != n)
    die("tensor '" + name + "' must be f32 with " + std::to_string(n) + " elements");
  return reinterpret_cast<const float *>(t.data);
}

/// Attention of `n` new tokens whose keys and values `k`, `v` are appended to
/// the cache first. Positions are cache indices: the dense cache holds every
/// token, so they are the token positions.
void attention(Model &m, Layer &layer, const float *q, const float *k, const float *v, int64_t n,
               float *out) {
  const AttentionKernels &a = *m.attn;
  const int64_t qRow = a.heads * a.headDim, kvRow = a.kvHeads * a.headDim;
  const int64_t start = layer.v.size() / kvRow, lk = start + n;
  std::vector<int64_t> qPos(n), kPos(lk);
  for (int64_t i = 0; i < n; ++i) qPos[i] = start + i;
  for (int64_t j = 0; j < lk; ++j) kPos[j] = j;
  // One query: the split-KV decode kernel, which rotates the query itself,
  // over the same rotated keys (a plain contiguous cache holds them rotated
  // at write, as kf does); prepare then only rotates the keys.
  const bool decode = n == 1 && a.hasCacheKernels() && a.cache.plain();
  const int64_t lq = decode ? 0 : n;
  std::vector<float> qf(lq * qRow);
  layer.kf.resize(lk * kvRow);
  layer.v.insert(layer.v.end(), v, v + n * kvRow);
  if (m.cache.dense()) {
    // Rotates the new queries and the new keys (straight into the cache).
    a.prepare(q, lq, k, n, qPos.data(), kPos.data() + start, qf.data(), layer.kf.data() + start * kvRow);
  } else {
    // Re-rotates every kept key at its current cache index.
    layer.kraw.insert(layer.kraw.end(), k, k + n * kvRow);
    a.prepare(q, lq, layer.kraw.data(), lk, qPos.data(), kPos.data(), qf.data(), layer.kf.data());
  }
  if (decode) {
    CacheStorage c;
    c.k = layer.kf.data();
    c.v = layer.v.data();
    c.pos = kPos.data(); // slot j holds position j
    c.rows = 1;
    c.slots = lk;
    decodeRows(a, c, q, qPos.data(), 1, m.threads, m.decodeScratch, out);
    return;
  }
  int64_t work = n * a.heads;
  int threads = std::max<int64_t>(1, std::min<int64_t>(m.threads, work));
  parallelForEach(threads, [&](int t) {
    a.rows(qf.data(), n, layer.kf.data(), lk, layer.v.data(), qPos.data(), kPos.data(), 0, out,
           work * t / threads, work * (t + 1) / threads);
  });
}

} // namespace

namespace {

/// Number of parameters of a function pointer type.
template <typename F> struct Arity;
template <typename R, typename... A> struct Arity<R (*)(A...)> {
  static constexpr int value = sizeof...(A);
};

/// The memref descriptors of one layer's cache (CacheStorage) for a spec
/// with `Hkv` KV heads of dimension `D`, `CodesPerByte` channels a code byte
/// (int4: 2).
template <int Hkv, int D, int CodesPerByte>
struct CacheMemrefs {
  attnc_memref4d k, v, kScale4, vScale4, kMin, vMin, kResid, vResid;
  attnc_memref3d kScale3, vScale3;
  attnc_memref2d pos, table;
  attnc_memref1d seqLen;
  explicit CacheMemrefs(const CacheStorage &c) {
    const int64_t row = D / CodesPerByte;
    k = c.headMajor ? attnc_view4d(c.k, c.rows, Hkv, c.slots, row) : attnc_view4d(c.k, c.rows, c.slots, Hkv, row);
    v = c.headMajor ? attnc_view4d(c.v, c.rows, Hkv, c.slots, row) : attnc_view4d(c.v, c.rows, c.slots, Hkv, row);
    pos = attnc_view2d(c.pos, c.rows, c.slots);
    table = attnc_view2d(c.pageTable, c.seqs, c.maxPages);
    const int64_t *ks = c.kScaleDims, *vs = c.vScaleDims;
    kScale3 = attnc_view3d(c.kScale, c.rows, ks[0], ks[1]);
    vScale3 = attnc_view3d(c.vScale, c.rows, vs[0], vs[1]);
    kScale4 = attnc_view4d(c.kScale, c.rows, ks[0], ks[1], ks[2]);
    vScale4 = attnc_view4d(c.vScale, c.rows, vs[0], vs[1], vs[2]);
    kMin = attnc_view4d(c.kMin, c.rows, ks[0], ks[1], ks[2]);
    vMin = attnc_view4d(c.vMin, c.rows, vs[0], vs[1], vs[2]);
    kResid = attnc_view4d(c.kResid, c.seqs, c.group, Hkv, D);
    vResid = attnc_view4d(c.vResid, c.seqs, c.group, Hkv, D);
    seqLen = attnc_view1d(c.seqLen, c.seqs);
  }
};

/// CacheKernels for a spec's generated entry points. The cache arguments
/// depend on the layout L (docs/kernels.md, "Cache buffers", in this order):
/// k, v, pos; k_scale, v_scale when quantized; k_min, v_min for int4;
/// k_resid / v_resid for a per-channel side and then seq_len; page_table when
/// paged (checked against the arity, so a row whose layout is not its spec's
/// fails to compile).
template <int H, int Hkv, int D, const CacheLayout &L, auto Append, auto Split, auto Merge>
struct CacheAdapter {
  using Q = CacheLayout::Quant;
  static constexpr bool quantized = L.quant != Q::None, int4 = L.quant == Q::Int4;
  static constexpr bool kResid = L.keysPerChannel, vResid = L.valuesPerChannel;
  static constexpr bool paged = L.kind == CacheLayout::Kind::Paged;
  /// Per-token int8/fp8 scales are [rows][slots][kv_heads]; the others 4-D.
  static constexpr bool scales3d = quantized && !int4 && !kResid && !vResid;
  static constexpr int cacheArgs = 3 + 2 * quantized + 2 * int4 + kResid + vResid +
                                   (kResid || vResid) + paged;
  static_assert(Arity<decltype(Append)>::value == 5 + cacheArgs,
                "append kernel arguments do not match the declared cache layout");
  static_assert(Arity<decltype(Split)>::value == 8 + cacheArgs,
                "decode_split arguments (with q_seq) do not match the declared cache layout");
  using Memrefs = CacheMemrefs<Hkv, D, int4 ? 2 : 1>;

  /// Pointers to the cache descriptors, in the kernels' argument order.
  static auto args(Memrefs &m) {
    auto opt = [](auto present, auto... p) {
      if constexpr (decltype(present)::value)
        return std::make_tuple(p...);
      else
        return std::tuple<>();
    };
    using std::integral_constant;
    return std::tuple_cat(
        std::make_tuple(&m.k, &m.v, &m.pos),
        opt(integral_constant<bool, scales3d>(), &m.kScale3, &m.vScale3),
        opt(integral_constant<bool, quantized && !scales3d>(), &m.kScale4, &m.vScale4),
        opt(integral_constant<bool, int4>(), &m.kMin, &m.vMin),
        opt(integral_constant<bool, kResid>(), &m.kResid),
        opt(integral_constant<bool, vResid>(), &m.vResid),
        opt(integral_constant<bool, kResid || vResid>(), &m.seqLen),
        opt(integral_constant<bool, paged>(), &m.table));
  }

  static int32_t append(const float *k, const float *v, const int64_t *pos, int64_t n,
                        const CacheStorage &c, int64_t seq, int64_t len) {
    attnc_memref3d km = attnc_view3d(k, n, Hkv, D), vm = attnc_view3d(v, n, Hkv, D);
    attnc_memref1d pm = attnc_view1d(pos, n);
    Memrefs m(c);
    return std::apply([&](auto *...cache) { return Append(&km, &vm, &pm, cache..., seq, len); },
                      args(m));
  }

  static void split(const float *q, const int64_t *qPos, const int64_t *qSeq, int64_t rows,
                    const CacheStorage &c, const int64_t *lens, float *partOut, float *partLse,
                    int64_t splits, int64_t begin, int64_t end) {
    attnc_memref3d qm = attnc_view3d(q, rows, H, D);
    attnc_memref1d qp = attnc_view1d(qPos, rows), qs = attnc_view1d(qSeq, rows),
                   ln = attnc_view1d(lens, rows);
    attnc_memref4d po = attnc_view4d(partOut, rows, splits, H, D);
    attnc_memref3d pl = attnc_view3d(partLse, rows, splits, H);
    Memrefs m(c);
    std::apply([&](auto *...cache) { Split(&qm, &qp, &qs, cache..., &ln, &po, &pl, begin, end); },
               args(m));
  }

  static void merge(const float *partOut, const float *partLse, int64_t rows, int64_t splits,
                    float *out, int64_t begin, int64_t end) {
    attnc_memref4d po = attnc_view4d(partOut, rows, splits, H, D);
    attnc_memref3d pl = attnc_view3d(partLse, rows, splits, H);
    attnc_memref3d om = attnc_view3d(out, rows, H, D);
    Merge(&po, &pl, &om, begin, end);
  }

  static CacheKernels kernels() {
    CacheKernels k;
    k.append = append;
    k.decodeSplit = split;
    k.decodeMerge = merge;
    return k;
  }
};

/// The KV heads of one decode_split work item, from the header
/// (NAME_decode_heads_per_block: 1, or all of them for a ring rotated at read).
AttentionKernels withDecodeBlocks(AttentionKernels a, int headsPerBlock) {
  a.cacheKernels.headsPerBlock = headsPerBlock;
  return a;
}

constexpr CacheLayout contiguous(CacheLayout::Quant quant = CacheLayout::Quant::None) {
  CacheLayout c;
  c.quant = quant;
  return c;
}
constexpr CacheLayout paged(int64_t pageSize, CacheLayout c = CacheLayout()) {
  c.kind = CacheLayout::Kind::Paged;
  c.pageSize = pageSize;
  return c;
}
constexpr CacheLayout ring(int64_t sinks, int64_t window) {
  CacheLayout c;
  c.kind = CacheLayout::Kind::Ring;
  c.sinks = sinks;
  c.window = window;
  return c;
}
/// Token groups of `group` per channel on both sides (int8/fp8: 32).
constexpr CacheLayout perChannel(CacheLayout c, int64_t group = 32) {
  c.keysPerChannel = c.valuesPerChannel = true;
  c.group = group;
  return c;
}
/// KIVI's asymmetric int4: each side per channel or per token, groups of `group`.
constexpr CacheLayout int4(int64_t group, bool keysPerChannel, bool valuesPerChannel) {
  CacheLayout c;
  c.quant = CacheLayout::Quant::Int4;
  c.group = group;
  c.keysPerChannel = keysPerChannel;
  c.valuesPerChannel = valuesPerChannel;
  return c;
}

// The compiled specs' cache layouts (CacheAdapter takes them by reference).
using Q = CacheLayout::Quant;
constexpr CacheLayout kContiguous = contiguous();
constexpr CacheLayout kPaged16 = paged(16);
constexpr CacheLayout kInt8 = contiguous(Q::Int8);
constexpr CacheLayout kInt8PerChannel = perChannel(contiguous(Q::Int8));
constexpr CacheLayout kFP8Paged16 = paged(16, contiguous(Q::FP8));
constexpr CacheLayout kRing = ring(4, 1020);
constexpr CacheLayout kKiviPaged32 = paged(32, int4(32, true, false));

RopeScalingInfo scaled(RopeScalingInfo::Kind kind, double factor, int64_t originalContext = 0,
                       double betaFast = 32, double betaSlow = 1, double attentionFactor = 1) {
  RopeScalingInfo r;
  r.kind = kind;
  r.factor = factor;
  r.originalContext = originalContext;
  r.betaFast = betaFast;
  r.betaSlow = betaSlow;
  r.attentionFactor = attentionFactor;
  return r;
}

} // namespace

// One row per compiled spec: the header's prefill wrappers and, through
// CacheAdapter, its cache kernels. LAYOUT (one of the constants above) must be
// the spec's cache: attn-run checks it against the --spec file, the adapter
// against the kernels' arguments. SCALING is the spec's RoPE scaling (attn-run
// compares it with the file's).
#define ATTNC_SPEC(NAME, THETA, LAYOUT, SCALING)                                                   \
  withDecodeBlocks(AttentionKernels {                                                              \
    #NAME, NAME##_heads, NAME##_kv_heads, NAME##_head_dim, THETA, NAME##_prefill_prepare,          \
        NAME##_prefill_rows, LAYOUT,                                                               \
        CacheAdapter<NAME##_heads, NAME##_kv_heads, NAME##_head_dim, LAYOUT,                       \
                     _mlir_ciface_##NAME##_append, _mlir_ciface_##NAME##_decode_split,             \
                     _mlir_ciface_##NAME##_decode_merge>::kernels(),                               \
        SCALING                                                                                    \
  }, NAME##_decode_heads_per_block)

const std::vector<AttentionKernels> &compiledSpecs() {
  using S = RopeScalingInfo::Kind;
  static const std::vector<AttentionKernels> specs = {
      ATTNC_SPEC(smollm2_135m, 100000.0, kContiguous, {}),
      ATTNC_SPEC(smollm2_135m_sinks, 100000.0, kContiguous, {}),
      ATTNC_SPEC(smollm2_135m_paged, 100000.0, kPaged16, {}),
      ATTNC_SPEC(smollm2_135m_int8, 100000.0, kInt8, {}),
      ATTNC_SPEC(smollm2_135m_fp8, 100000.0, kFP8Paged16, {}),
      ATTNC_SPEC(smollm2_135m_ring, 100000.0, kRing, {}),
      ATTNC_SPEC(smollm2_135m_kivi, 100000.0, kKiviPaged32, {}),
      ATTNC_SPEC(smollm2_135m_int8_channel, 100000.0, kInt8PerChannel, {}),
      // RoPE scaling by 2 past the trained 8192 positions (issue 4); the rows'
      // scaling must be the spec files' (attn-run-rope-scaling.test).
      ATTNC_SPEC(smollm2_135m_linear2, 100000.0, kContiguous, scaled(S::Linear, 2)),
      ATTNC_SPEC(smollm2_135m_ntk2, 100000.0, kContiguous, scaled(S::NTK, 2)),
      ATTNC_SPEC(smollm2_135m_yarn2, 100000.0, kContiguous,
                 scaled(S::YaRN, 2, 8192, 32, 1, 0.1 * std::log(2.0) + 1)),
  };
  return specs;
}
#undef ATTNC_SPEC

Model Model::load(const gguf::GGUFFile &file, const gguf::LlamaConfig &cfg,
                  const AttentionKernels &attn, int threads) {
  // The attention kernels' work items on the dense ops' persistent pool.
  setParallelFor(kernels::parallelFor);
  Model m;
  m.cfg = cfg;
  m.attn = &attn;
  m.threads = threads;
  const int64_t dim = cfg.embeddingLength, ffn = cfg.feedForwardLength;
  const int64_t qRow = attn.heads * attn.headDim, kvRow = attn.kvHeads * attn.headDim;
  m.embed = &tensor(file, "token_embd.weight");
  m.outputNorm = f32Vector(file, "output_norm.weight", dim);
  m.output = weight(m, file, file.findTensor("output.weight") ? "output.weight" : "token_embd.weight",
                    m.embed->nRows(), dim);
  for (uint32_t l = 0; l < cfg.nLayers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    Layer layer;
    layer.wq = weight(m, file, p + "attn_q.weight", qRow, dim);
    layer.wk = weight(m, file, p + "attn_k.weight", kvRow, dim);
    layer.wv = weight(m, file, p + "attn_v.weight", kvRow, dim);
    layer.wo = weight(m, file, p + "attn_output.weight", dim, qRow);
    layer.gate = weight(m, file, p + "ffn_gate.weight", ffn, dim);
    layer.up = weight(m, file, p + "ffn_up.weight", ffn, dim);
    layer.down = weight(m, file, p + "ffn_down.weight", dim, ffn);
    layer.attnNorm = f32Vector(file, p + "attn_norm.weight", dim);
    layer.ffnNorm = f32Vector(file, p + "ffn_norm.weight", dim);
    m.layers.push_back(std::move(layer));
  }
  return m;
}

namespace {

/// Drops the resident pages wholly inside [p, p + n) of the read-only GGUF
/// mapping: once a matrix is packed its raw bytes are only read again for
/// embedding rows (re-faulted from the page cache), so they need not count in
/// the process's memory.
void releasePages(const void *p, size_t n) {
  const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  uintptr_t lo = (uintptr_t(p) + page - 1) / page * page, hi = (uintptr_t(p) + n) / page * page;
  if (hi > lo)
    madvise(reinterpret_cast<void *>(lo), hi - lo, MADV_DONTNEED);
}

} // namespace

int64_t Model::packWeights() {
  std::vector<kernels::WeightView *> views{&output};
  for (Layer &l : layers)
    for (kernels::WeightView *w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.gate, &l.up, &l.down})
      views.push_back(w);
  int64_t bytes = 0;
  packed.reserve(packed.size() + views.size());
  for (kernels::WeightView *w : views) {
    if (w->packed || !kernels::packable(*w))
      continue;
    packed.emplace_back();
    check(kernels::packWeight(*w, packed.back()), "packing weights");
    w->packed = packed.back().data();
    bytes += packed.back().size();
    releasePages(w->data, size_t(w->rows * kernels::weightRowBytes(w->type, w->cols)));
  }
  return bytes;
}

std::string CachePolicy::str() const {
  if (dense())
    return "dense";
  return sinks ? "sinks:" + std::to_string(sinks) + "," + std::to_string(window)
               : "window:" + std::to_string(window);
}

CachePolicy parseCachePolicy(const std::string &s, std::string &error) {
  error.clear();
  auto number = [&](const std::string &t, int64_t lo, int64_t &out) {
    char *end = nullptr;
    long long v = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || *end || v < lo || v > (1ll << 30))
      return false;
    out = v;
    return true;
  };
  CachePolicy p;
  const std::string bad = "--cache expects dense, window:W or sinks:N,W (W >= 1, N >= 0), got '" + s + "'";
  if (s == "dense")
    return p;
  if (s.rfind("window:", 0) == 0) {
    if (!number(s.substr(7), 1, p.window)) error = bad;
    return p;
  }
  size_t comma = s.find(',');
  if (s.rfind("sinks:", 0) == 0 && comma != std::string::npos &&
      number(s.substr(6, comma - 6), 0, p.sinks) && number(s.substr(comma + 1), 1, p.window))
    return p;
  error = bad;
  return {};
}

void Model::reserveCache(int64_t capacity, int64_t sequences) {
  if (gpuKernels) {
    if (!attn->hasCacheKernels())
      die(std::string("spec ") + attn->name + " has no cache kernels for the GPU");
    if (!cache.dense())
      die("--cache " + cache.str() + " applies to the CPU's contiguous cache; on the GPU, spec " +
          attn->name + " keeps its own cache (" + attn->cache.str() + ")");
    std::string error;
    kv = makeGpuKVCache(*attn, *gpuKernels, *gpuDriver, (int)layers.size(), capacity, error, sequences);
    if (!kv)
      die(error);
    seen = 0;
    return;
  }
  if (!attn->usesCacheKernels()) {
    if (sequences > 1)
      die(std::string("several sequences need a paged spec's cache; spec ") + attn->name +
          " keeps one contiguous sequence");
    return;
  }
  if (!cache.dense())
    die("--cache " + cache.str() + " applies to the contiguous specs; spec " + attn->name +
        " has its own cache (" + attn->cache.str() + ")");
  std::string error;
  kv = makeKVCache(*attn, (int)layers.size(), capacity, threads, error, sequences);
  if (!kv)
    die(error);
  seen = 0;
}

void Model::selectSequence(int64_t seq) {
  std::string error;
  if (!kv) {
    if (seq != 0)
      die("the cache holds one sequence");
    return;
  }
  if (!kv->select(seq, error))
    die(error);
  seen = kv->tokens();
}

void Model::forkSequence(int64_t to) {
  std::string error;
  if (!kv)
    die(std::string("sharing a prefix needs a paged spec's cache; spec ") + attn->name +
        " keeps one contiguous sequence");
  if (!kv->fork(to, error))
    die(error);
}

int64_t Model::cached() const {
  if (kv)
    return kv->resident();
  return layers.empty() ? 0 : layers[0].v.size() / (attn->kvHeads * attn->headDim);
}

void Model::clearCache() {
  if (kv)
    kv->clear();
  for (Layer &l : layers) {
    l.kf.clear();
    l.kraw.clear();
    l.v.clear();
  }
  seen = 0;
}

namespace {
/// StreamingLLM eviction: keeps the first `sinks` and the last `window` tokens.
void evict(Model &m) {
  const int64_t keep = m.cache.sinks + m.cache.window, n = m.cached();
  if (m.cache.dense() || n <= keep)
    return;
  const int64_t kvRow = m.attn->kvHeads * m.attn->headDim;
  const int64_t from = m.cache.sinks * kvRow, to = (n - m.cache.window) * kvRow;
  for (Layer &l : m.layers) {
    l.kraw.erase(l.kraw.begin() + from, l.kraw.begin() + to);
    l.v.erase(l.v.begin() + from, l.v.begin() + to);
    l.kf.resize(l.kraw.size());
  }
}
} // namespace

size_t Model::cacheBytes() const {
  if (kv)
    return kv->bytes();
  size_t b = 0;
  for (const Layer &l : layers)
    b += (l.kf.size() + l.kraw.size() + l.v.size()) * sizeof(float);
  return b;
}

std::vector<float> forward(Model &m, const std::vector<int32_t> &tokens, int64_t start,
                           int64_t logitsFrom) {
  const AttentionKernels &a = *m.attn;
  const int64_t n = tokens.size(), dim = m.cfg.embeddingLength, ffn = m.cfg.feedForwardLength;
  const int64_t qRow = a.heads * a.headDim, kvRow = a.kvHeads * a.headDim;
  const float eps = m.cfg.rmsNormEps;
  if (logitsFrom < 0)
    logitsFrom = n - 1;
  if (n == 0 || start != m.seen || logitsFrom >= n)
    die("internal: forward of " + std::to_string(n) + " tokens at " + std::to_string(start) +
        " after " + std::to_string(m.seen));
  const bool onCache = m.onCache();
  std::string error;
  if (onCache && !m.kv)
    die("internal: spec " + std::string(a.name) + " runs on its cache kernels; reserveCache() first");
  if (onCache && !m.kv->reserve(n, error))
    die(error);
  if (m.gpuDense) {
    auto *device = dynamic_cast<DeviceKVCache *>(m.kv.get());
    std::vector<float> logits;
    if (!device)
      die("internal: the GPU forward needs the GPU KV cache");
    if (!m.gpuDense->forward(m, *device, tokens, logitsFrom, logits, error))
      die("--device cuda: " + error);
    m.seen += n;
    m.kv->commit(n);
    m.peakBytes = std::max(m.peakBytes, m.cacheBytes());
    return logits;
  }
  std::vector<float> x(n * dim), h(n * dim), q(n * qRow), k(n * kvRow), v(n * kvRow),
      att(n * qRow), proj(n * dim), g(n * ffn), u(n * ffn), act(n * ffn);
  for (int64_t i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= m.embed->nRows())
      die("token id " + std::to_string(tokens[i]) + " out of the vocabulary");
    check(gguf::dequantizeRow(m.embed->type, m.embed->data + tokens[i] * m.embed->rowBytes(),
                              x.data() + i * dim, dim),
          "embedding");
  }
  for (size_t li = 0; li < m.layers.size(); ++li) {
    Layer &layer = m.layers[li];
    check(kernels::rmsnorm(x.data(), layer.attnNorm, h.data(), n, dim, eps), "rmsnorm");
    check(kernels::matmul(h.data(), n, layer.wq, q.data()), "wq");
    check(kernels::matmul(h.data(), n, layer.wk, k.data()), "wk");
    check(kernels::matmul(h.data(), n, layer.wv, v.data()), "wv");
    if (!onCache)
      attention(m, layer, q.data(), k.data(), v.data(), n, att.data());
    else if (!m.kv->attend((int)li, q.data(), k.data(), v.data(), n, att.data(), error))
      die(error);
    check(kernels::matmul(att.data(), n, layer.wo, proj.data()), "wo");
    for (int64_t e = 0; e < n * dim; ++e) x[e] += proj[e];
    check(kernels::rmsnorm(x.data(), layer.ffnNorm, h.data(), n, dim, eps), "rmsnorm");
    check(kernels::matmul(h.data(), n, layer.gate, g.data()), "ffn_gate");
    check(kernels::matmul(h.data(), n, layer.up, u.data()), "ffn_up");
    check(kernels::swiglu(g.data(), u.data(), act.data(), n * ffn), "swiglu");
    check(kernels::matmul(act.data(), n, layer.down, proj.data()), "ffn_down");
    for (int64_t e = 0; e < n * dim; ++e) x[e] += proj[e];
  }
  m.seen += n;
  if (onCache)
    m.kv->commit(n);
  // The most the cache holds: after the appends, before eviction.
  m.peakBytes = std::max(m.peakBytes, m.cacheBytes());
  if (!onCache)
    evict(m);
  // The head (a vocab x dim matmul) runs only on the rows asked for.
  const int64_t rows = n - logitsFrom;
  std::vector<float> normed(rows * dim), logits(rows * m.vocab());
  check(kernels::rmsnorm(x.data() + logitsFrom * dim, m.outputNorm, normed.data(), rows, dim, eps), "norm");
  check(kernels::matmul(normed.data(), rows, m.output, logits.data()), "output");
  return logits;
}

} // namespace attnc::model
