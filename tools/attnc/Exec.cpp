//===- Exec.cpp - attnc exec: run a spec's prefill kernel on .npy inputs ---===//
//
// The debugging interface: compiles the spec in process (MLIR -> LLVM) and
// runs its prefill kernel on contiguous Q/K/V given as float32 .npy files.
//   Q [Lq, heads, D], K and V [Lk, kv_heads, D|Dv], output [Lq, heads, Dv].
// Key j sits at position j; query i at Lk - Lq + i unless --positions says.
//
//===----------------------------------------------------------------------===//
#include "tools/attnc/Exec.h"

#include "codegen/Passes.h"
#include "dsl/MLIRGen.h"
#include "tools/RegisterAll.h"
#include "tools/common/HalfFloat.h"
#include "tools/common/Npy.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/AMX/AMXToLLVMIRTranslation.h"
#include "llvm/TargetParser/Host.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <algorithm>
#include <climits>
#include <deque>
#include <random>
#include <functional>
#include <map>
#include <thread>

using namespace attnc;

namespace {

int error(const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), "attnc exec") << msg << "\n";
  return 1;
}

/// A rank-N strided memref descriptor over storage owned elsewhere.
template <int N>
struct Descriptor {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[N];
  int64_t strides[N];
};
template <int N>
Descriptor<N> describe(void *data, const std::vector<int64_t> &shape) {
  Descriptor<N> d;
  d.allocated = d.aligned = data;
  d.offset = 0;
  int64_t stride = 1;
  for (int i = N - 1; i >= 0; --i) {
    d.sizes[i] = shape[i];
    d.strides[i] = stride;
    stride *= shape[i];
  }
  return d;
}

/// Converts float32 values to the kernel's element type in a byte buffer.
std::vector<char> encode(const std::vector<double> &values, DType t) {
  std::vector<char> out;
  if (t == DType::F32) {
    out.resize(values.size() * 4);
    for (size_t i = 0; i < values.size(); ++i) {
      float f = values[i];
      std::memcpy(out.data() + 4 * i, &f, 4);
    }
    return out;
  }
  out.resize(values.size() * 2);
  for (size_t i = 0; i < values.size(); ++i) {
    uint16_t h = t == DType::BF16 ? toBF16(values[i]) : toF16(values[i]);
    std::memcpy(out.data() + 2 * i, &h, 2);
  }
  return out;
}

std::vector<float> decode(const std::vector<char> &bytes, DType t) {
  size_t width = t == DType::F32 ? 4 : 2;
  std::vector<float> out(bytes.size() / width);
  for (size_t i = 0; i < out.size(); ++i) {
    if (t == DType::F32) {
      std::memcpy(&out[i], bytes.data() + 4 * i, 4);
      continue;
    }
    uint16_t h;
    std::memcpy(&h, bytes.data() + 2 * i, 2);
    out[i] = t == DType::BF16 ? fromBF16(h) : fromF16(h);
  }
  return out;
}

size_t dtypeBytes(DType t) {
  switch (t) {
  case DType::F32: case DType::I32: return 4;
  case DType::I64: return 8;
  case DType::F16: case DType::BF16: return 2;
  case DType::I8: case DType::U8: return 1;
  }
  return 4;
}

bool readTokens(const std::string &path, const char *what, int64_t heads,
                int64_t dim, NpyArray &out, std::string &err) {
  if (!readNpy(path, out, err))
    return false;
  if (out.dtype != "f4" && out.dtype != "f8") {
    err = path + ": " + what + " must be float32 (found dtype " + out.dtype + ")";
    return false;
  }
  if (out.shape.size() != 3 || out.shape[1] != heads || out.shape[2] != dim) {
    err = path + ": " + what + " must have shape [tokens, " + std::to_string(heads) +
          ", " + std::to_string(dim) + "] for this spec, found " + out.shapeString();
    return false;
  }
  return true;
}

/// Packed arguments of a C-interface entry point: memrefs are passed as a
/// pointer to their descriptor, scalars by address.
class PackedArgs {
public:
  PackedArgs &memref(void *descriptor) {
    descriptors.push_back(descriptor);
    packed.push_back(&descriptors.back());
    return *this;
  }
  PackedArgs &scalar(void *address) {
    packed.push_back(address);
    return *this;
  }
  void **data() { return packed.data(); }

private:
  std::deque<void *> descriptors; // stable addresses
  std::vector<void *> packed;
};

std::string describeError(llvm::Error e) {
  std::string msg;
  llvm::raw_string_ostream os(msg);
  os << e;
  return msg;
}

/// --decode: appends K/V to a cache in the spec's layout through the
/// generated append kernel, then decodes the queries `queryChunk` at a time:
/// the chunk's tokens are appended, then one decode call takes one query row
/// per query, each seeing the tokens up to its own (a chunk of prefill or
/// draft tokens over the cache), with the KV split `splits` ways across
/// threads and LSE-merged. The sequence sits at index 0 of a two-sequence
/// cache whose unused storage is filled with NaN bytes, so a wrong slot
/// shows; one more query row reads the empty sequence 1.
int runDecodeSteps(const Spec &spec, const ExecOptions &opts, mlir::ExecutionEngine &engine,
                   const NpyArray &q, const NpyArray &k, const NpyArray &v,
                   const std::vector<int64_t> &queryPositions,
                   const std::vector<void *> &inputDescriptors) {
  const int64_t H = spec.heads, Hkv = spec.kvHeads, D = spec.headDim, Dv = spec.valueDim;
  const int64_t lq = q.shape[0], lk = k.shape[0];
  if (lq > lk)
    return error("--decode appends every query's own key first: Q has " + llvm::Twine(lq) +
                 " tokens but K only " + llvm::Twine(lk));
  if (opts.splits == 0 || opts.appendChunk == 0 || opts.queryChunk == 0)
    return error("--splits, --append-chunk and --query-chunk must be at least 1");
  const Cache &c = spec.cache;
  const bool quant = c.quant.kind != QuantKind::None;
  const bool paged = c.kind == CacheKind::Paged, ring = c.kind == CacheKind::Ring;

  const bool hnd = c.layout == CacheLayout::HND && !ring;
  const int64_t B = 2, seq = 0;
  int64_t rows = B, slots = 0, maxPages = 0;
  std::vector<int32_t> table;
  if (ring) {
    slots = c.sinks + c.window;
  } else if (paged) {
    slots = c.pageSize;
    int64_t needed = (lk + slots - 1) / slots;
    rows = needed + 3; // spare pages stay NaN
    maxPages = needed + 1;
    std::vector<int32_t> order(rows);
    for (int64_t i = 0; i < rows; ++i)
      order[i] = i;
    std::mt19937_64 rng(opts.seed);
    std::shuffle(order.begin(), order.end(), rng);
    table.assign(B * maxPages, -1);
    for (int64_t p = 0; p < needed; ++p)
      table[seq * maxPages + p] = order[p];
  } else {
    slots = c.capacity > 0 ? c.capacity : lk;
  }
  const QuantLayout ql = quantLayout(spec);
  const int64_t per = ql.codesPerByte;
  size_t kBytes = quant ? 1 : dtypeBytes(spec.kType), vBytes = quant ? 1 : dtypeBytes(spec.vType);
  std::vector<char> kCache(rows * slots * Hkv * (D / per) * kBytes, (char)0xFF);
  std::vector<char> vCache(rows * slots * Hkv * (Dv / per) * vBytes, (char)0xFF);
  std::vector<int64_t> posCache(rows * slots, INT64_MIN / 2);
  // Scales and minima: per (token group, KV head, channel) for a
  // per-channel side, per (token, KV head[, channel group]) otherwise.
  auto paramShape = [&](const QuantSide &side, int64_t n) -> std::vector<int64_t> {
    if (side.perChannel)
      return {rows, (slots + side.group - 1) / side.group, Hkv, n};
    if (ql.asymmetric)
      return {rows, slots, Hkv, (n + side.group - 1) / side.group};
    return {rows, slots, Hkv};
  };
  auto count = [](const std::vector<int64_t> &shape) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  };
  const std::vector<int64_t> kpShape = paramShape(ql.keys, D), vpShape = paramShape(ql.values, Dv);
  std::vector<float> kScales(quant ? count(kpShape) : 0, NAN), vScales(quant ? count(vpShape) : 0, NAN);
  std::vector<float> kMins(ql.asymmetric ? kScales.size() : 0, NAN), vMins(ql.asymmetric ? vScales.size() : 0, NAN);
  // Residuals of the incomplete token group, per sequence, in the cache type.
  const int64_t G = ql.tokenGroup();
  std::vector<char> kResid(ql.keys.perChannel ? B * G * Hkv * D * dtypeBytes(spec.kType) : 0, (char)0xFF);
  std::vector<char> vResid(ql.values.perChannel ? B * G * Hkv * Dv * dtypeBytes(spec.vType) : 0, (char)0xFF);
  std::vector<int64_t> seqLen(B, 0);
  auto tokenShape = [&](int64_t dim) {
    return hnd ? std::vector<int64_t>{rows, Hkv, slots, dim} : std::vector<int64_t>{rows, slots, Hkv, dim};
  };
  auto kcD = describe<4>(kCache.data(), tokenShape(D / per));
  auto vcD = describe<4>(vCache.data(), tokenShape(Dv / per));
  auto pcD = describe<2>(posCache.data(), {rows, slots});
  auto ks3 = describe<3>(kScales.data(), kpShape), vs3 = describe<3>(vScales.data(), vpShape);
  auto pad4 = [](std::vector<int64_t> s) {
    s.resize(4, 1);
    return s;
  };
  auto ks4 = describe<4>(kScales.data(), pad4(kpShape)), vs4 = describe<4>(vScales.data(), pad4(vpShape));
  auto km4 = describe<4>(kMins.data(), pad4(kpShape)), vm4 = describe<4>(vMins.data(), pad4(vpShape));
  auto krD = describe<4>(kResid.data(), {B, G, Hkv, D});
  auto vrD = describe<4>(vResid.data(), {B, G, Hkv, Dv});
  auto slD = describe<1>(seqLen.data(), {B});
  auto tableD = describe<2>(table.data(), {B, maxPages});
  auto addCache = [&](PackedArgs &a) {
    a.memref(&kcD).memref(&vcD).memref(&pcD);
    if (quant) {
      if (kpShape.size() == 4)
        a.memref(&ks4);
      else
        a.memref(&ks3);
      if (vpShape.size() == 4)
        a.memref(&vs4);
      else
        a.memref(&vs3);
    }
    if (ql.asymmetric)
      a.memref(&km4).memref(&vm4);
    if (ql.keys.perChannel)
      a.memref(&krD);
    if (ql.values.perChannel)
      a.memref(&vrD);
    if (ql.anyPerChannel())
      a.memref(&slD);
    if (paged)
      a.memref(&tableD);
  };
  // The trace (--trace-dir): every cache buffer's initial bytes, then each
  // call's own inputs, for gpu_check.cpp to replay through the GPU library's
  // NAME_append_gpu / NAME_decode_gpu (docs/kernels.md, "GPU decode and
  // append").
  std::unique_ptr<llvm::raw_fd_ostream> trace;
  int64_t traceCalls = 0;
  auto traceFile = [&](const std::string &file, const void *data, size_t bytes) -> bool {
    std::error_code ec;
    llvm::raw_fd_ostream os(opts.traceDir + "/" + file, ec);
    if (ec)
      return false;
    os.write((const char *)data, bytes);
    return true;
  };
  if (!opts.traceDir.empty()) {
    std::error_code ec = llvm::sys::fs::create_directories(opts.traceDir);
    if (!ec)
      trace = std::make_unique<llvm::raw_fd_ostream>(opts.traceDir + "/trace.txt", ec);
    if (ec)
      return error("cannot write the trace in '" + opts.traceDir + "': " + ec.message());
    *trace << "attnc-decode-trace 1\nout_dtype " << dtypeName(spec.outType) << "\n";
    auto buffer = [&](const char *name, const void *data, size_t elemBytes, std::vector<int64_t> shape) {
      size_t n = elemBytes;
      for (int64_t d : shape)
        n *= d;
      *trace << "buffer " << name << " " << elemBytes;
      for (int64_t d : shape)
        *trace << " " << d;
      *trace << " " << name << ".bin\n";
      return traceFile(std::string(name) + ".bin", data, n);
    };
    // In the kernels' order (addCache below).
    bool ok = buffer("k_cache", kCache.data(), kBytes, tokenShape(D / per)) &&
              buffer("v_cache", vCache.data(), vBytes, tokenShape(Dv / per)) &&
              buffer("pos_cache", posCache.data(), 8, {rows, slots});
    if (quant)
      ok = ok && buffer("k_scale", kScales.data(), 4, kpShape) && buffer("v_scale", vScales.data(), 4, vpShape);
    if (ql.asymmetric)
      ok = ok && buffer("k_min", kMins.data(), 4, kpShape) && buffer("v_min", vMins.data(), 4, vpShape);
    if (ql.keys.perChannel)
      ok = ok && buffer("k_resid", kResid.data(), dtypeBytes(spec.kType), {B, G, Hkv, D});
    if (ql.values.perChannel)
      ok = ok && buffer("v_resid", vResid.data(), dtypeBytes(spec.vType), {B, G, Hkv, Dv});
    if (ql.anyPerChannel())
      ok = ok && buffer("seq_len", seqLen.data(), 8, {B});
    if (paged)
      ok = ok && buffer("page_table", table.data(), 4, {B, maxPages});
    if (!ok)
      return error("cannot write the trace's buffers in '" + opts.traceDir + "'");
  }

  std::string prefix = "_mlir_ciface_" + spec.name;
  auto appendFn = engine.lookupPacked(prefix + "_append");
  auto splitFn = engine.lookupPacked(prefix + "_decode_split");
  auto mergeFn = engine.lookupPacked(prefix + "_decode_merge");
  if (!appendFn || !splitFn || !mergeFn) {
    std::string msg;
    for (auto *fn : {&appendFn, &splitFn, &mergeFn})
      if (!*fn)
        msg = describeError(fn->takeError());
    return error("kernel entry point missing: " + msg);
  }
  std::vector<double> kAll = k.asDoubles(), vAll = v.asDoubles(), qAll = q.asDoubles();
  int64_t len = 0;
  // Appends tokens [len, end) of K/V at positions j.
  auto append = [&](int64_t end) -> int {
    int64_t n = end - len;
    std::vector<double> kPart(kAll.begin() + len * Hkv * D, kAll.begin() + end * Hkv * D);
    std::vector<double> vPart(vAll.begin() + len * Hkv * Dv, vAll.begin() + end * Hkv * Dv);
    std::vector<char> kBuf = encode(kPart, spec.kType), vBuf = encode(vPart, spec.vType);
    std::vector<int64_t> pos(n);
    for (int64_t i = 0; i < n; ++i)
      pos[i] = len + i;
    if (trace) {
      std::string tag = std::to_string(traceCalls++);
      if (!traceFile("append" + tag + ".k.bin", kBuf.data(), kBuf.size()) ||
          !traceFile("append" + tag + ".v.bin", vBuf.data(), vBuf.size()) ||
          !traceFile("append" + tag + ".pos.bin", pos.data(), pos.size() * 8))
        return error("cannot write the trace in '" + opts.traceDir + "'");
      *trace << "append " << seq << " " << len << " " << n << " append" << tag << "\n";
    }
    auto kD = describe<3>(kBuf.data(), {n, Hkv, D});
    auto vD = describe<3>(vBuf.data(), {n, Hkv, Dv});
    auto posD = describe<1>(pos.data(), {n});
    int64_t seqArg = seq, lenArg = len;
    int32_t status = -1;
    PackedArgs a;
    a.memref(&kD).memref(&vD).memref(&posD);
    addCache(a);
    a.scalar(&seqArg).scalar(&lenArg).scalar(&status);
    (*appendFn)(a.data());
    if (status == 1)
      return error("appending tokens " + llvm::Twine(len) + ".." + llvm::Twine(end - 1) +
                   " exceeds the cache capacity of " + llvm::Twine(slots) + " tokens");
    if (status != 0)
      return error("the append kernel refused tokens " + llvm::Twine(len) + ".." +
                   llvm::Twine(end - 1) + " (status " + llvm::Twine(status) + ")");
    len = end;
    return 0;
  };
  for (int64_t end = std::min(lk - lq, (int64_t)opts.appendChunk); len < lk - lq;
       end = std::min(lk - lq, end + (int64_t)opts.appendChunk))
    if (int rc = append(end))
      return rc;

  const int64_t S = opts.splits;
  unsigned threads = opts.threads ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<float> result(lq * H * Dv), lseResult(lq * H);
  for (int64_t i0 = 0; i0 < lq; i0 += opts.queryChunk) {
    const int64_t n = std::min<int64_t>(opts.queryChunk, lq - i0), before = len;
    if (int rc = append(len + n))
      return rc;
    // Rows 0..n-1: the chunk's queries over sequence 0, query r seeing the
    // tokens up to its own; row n: sequence 1, empty.
    const int64_t rowsQ = n + 1;
    std::vector<double> qRows(rowsQ * H * D);
    std::copy(qAll.begin() + i0 * H * D, qAll.begin() + (i0 + n) * H * D, qRows.begin());
    std::copy(qAll.begin() + i0 * H * D, qAll.begin() + (i0 + 1) * H * D, qRows.begin() + n * H * D);
    std::vector<char> qBuf = encode(qRows, spec.qType);
    std::vector<int64_t> qPos(rowsQ), qSeq(rowsQ, seq), lens(rowsQ, 0);
    for (int64_t r = 0; r < n; ++r) {
      qPos[r] = queryPositions[i0 + r];
      lens[r] = before + r + 1;
    }
    qPos[n] = queryPositions[i0];
    qSeq[n] = seq + 1;
    if (trace) {
      std::string tag = std::to_string(traceCalls++);
      if (!traceFile("decode" + tag + ".q.bin", qBuf.data(), qBuf.size()) ||
          !traceFile("decode" + tag + ".q_pos.bin", qPos.data(), rowsQ * 8) ||
          !traceFile("decode" + tag + ".q_seq.bin", qSeq.data(), rowsQ * 8) ||
          !traceFile("decode" + tag + ".lens.bin", lens.data(), rowsQ * 8))
        return error("cannot write the trace in '" + opts.traceDir + "'");
      // Rows, the rows that are queries (the last one reads the empty
      // sequence 1: exactly 0), their first query index, splits.
      *trace << "decode " << rowsQ << " " << n << " " << i0 << " " << S << " decode" << tag << "\n";
    }
    std::vector<float> pout(rowsQ * S * H * Dv), plse(rowsQ * S * H);
    std::vector<char> outBuf(rowsQ * H * Dv * dtypeBytes(spec.outType));
    std::vector<float> lse(rowsQ * H);
    auto qD = describe<3>(qBuf.data(), {rowsQ, H, D});
    auto qpD = describe<1>(qPos.data(), {rowsQ});
    auto qsD = describe<1>(qSeq.data(), {rowsQ});
    auto lensD = describe<1>(lens.data(), {rowsQ});
    auto poutD = describe<4>(pout.data(), {rowsQ, S, H, Dv});
    auto plseD = describe<3>(plse.data(), {rowsQ, S, H});
    auto outD = describe<3>(outBuf.data(), {rowsQ, H, Dv});
    auto lseD = describe<2>(lse.data(), {rowsQ, H});
    // Caller-supplied parallelism over the (query row, KV head, split) items.
    int64_t work = rowsQ * Hkv * S;
    unsigned nThreads = std::max<int64_t>(1, std::min<int64_t>(threads, work));
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < nThreads; ++t)
      pool.emplace_back([&, t] {
        int64_t begin = work * t / nThreads, end = work * (t + 1) / nThreads;
        PackedArgs a;
        a.memref(&qD).memref(&qpD).memref(&qsD);
        addCache(a);
        a.memref(&lensD);
        for (void *in : inputDescriptors)
          a.memref(in);
        a.memref(&poutD).memref(&plseD).scalar(&begin).scalar(&end);
        (*splitFn)(a.data());
      });
    for (std::thread &t : pool)
      t.join();
    int64_t begin = 0, end = rowsQ * H;
    PackedArgs m;
    m.memref(&poutD).memref(&plseD);
    for (void *in : inputDescriptors)
      m.memref(in);
    m.memref(&outD);
    if (spec.lse)
      m.memref(&lseD);
    m.scalar(&begin).scalar(&end);
    (*mergeFn)(m.data());
    std::vector<float> out = decode(outBuf, spec.outType);
    for (int64_t c = 0; c < H * Dv; ++c)
      if (out[n * H * Dv + c] != 0.0f) // also catches NaN
        return error("decode of the empty sequence 1 gave " + llvm::Twine(std::to_string(out[n * H * Dv + c])) +
                     ", not 0");
    std::copy(out.begin(), out.begin() + n * H * Dv, result.begin() + i0 * H * Dv);
    std::copy(lse.begin(), lse.begin() + n * H, lseResult.begin() + i0 * H);
  }
  std::string err;
  if (!writeNpy(opts.out, makeNpyF32({lq, H, Dv}, result), err))
    return error(err);
  if (!opts.lseOut.empty()) {
    if (!spec.lse)
      return error("--lse-out needs a spec with 'lse = true'");
    if (!writeNpy(opts.lseOut, makeNpyF32({lq, H}, lseResult), err))
      return error(err);
  }
  return 0;
}
} // namespace

int attnc::runExec(const Spec &specIn, const ExecOptions &opts) {
  Spec spec = specIn;
  if (!opts.dtype.empty()) {
    DType t;
    if (opts.dtype == "f32") t = DType::F32;
    else if (opts.dtype == "bf16") t = DType::BF16;
    else if (opts.dtype == "f16") t = DType::F16;
    else return error("--dtype must be f32, bf16 or f16, found '" + opts.dtype + "'");
    spec.qType = spec.kType = spec.vType = spec.outType = t;
  }

  if (opts.decode) {
    if (std::string why = missingCacheKernels(spec); !why.empty())
      return error("spec '" + spec.name + "': decode kernels for " + why + " are not generated yet");
    if (spec.cache.kind == CacheKind::Ring && opts.queryChunk > 1)
      return error("--query-chunk " + llvm::Twine(opts.queryChunk) +
                   ": a ring cache decodes one query per append (appending later tokens overwrites "
                   "the window of earlier queries)");
  }
  std::string err;
  NpyArray q, k, v;
  if (!readTokens(opts.q, "Q", spec.heads, spec.headDim, q, err) ||
      !readTokens(opts.k, "K", spec.kvHeads, spec.headDim, k, err) ||
      !readTokens(opts.v, "V", spec.kvHeads, spec.valueDim, v, err))
    return error(err);
  int64_t lq = q.shape[0], lk = k.shape[0];
  if (v.shape[0] != lk)
    return error("K has " + llvm::Twine(lk) + " tokens but V has " + llvm::Twine(v.shape[0]));

  std::vector<int64_t> qPos(lq), kPos(lk);
  for (int64_t j = 0; j < lk; ++j)
    kPos[j] = j;
  for (int64_t i = 0; i < lq; ++i)
    qPos[i] = lk - lq + i;
  if (!opts.positions.empty()) {
    NpyArray p;
    if (!readNpy(opts.positions, p, err))
      return error(err);
    if (p.shape.size() != 1 || p.shape[0] != lq)
      return error(opts.positions + ": positions must have shape [" + llvm::Twine(lq) +
                   "] (one per query), found " + p.shapeString());
    qPos = p.asInts();
  }

  // Kernel inputs, in declaration order.
  std::vector<std::vector<char>> inputData(spec.inputs.size());
  std::vector<std::vector<int64_t>> inputShapes(spec.inputs.size());
  for (size_t n = 0; n < spec.inputs.size(); ++n) {
    const KernelInput &in = spec.inputs[n];
    auto it = opts.inputs.find(in.name);
    if (it == opts.inputs.end())
      return error("spec '" + spec.name + "' needs kernel input '" + in.name +
                   "': pass --input " + in.name + "=FILE.npy");
    NpyArray a;
    if (!readNpy(it->second, a, err))
      return error(err);
    if (a.shape.size() != in.dims.size())
      return error(it->second + ": kernel input '" + in.name + "' must have " +
                   llvm::Twine(in.dims.size()) + " dimensions, found " + a.shapeString());
    for (size_t d = 0; d < in.dims.size(); ++d) {
      int64_t fixed = 0;
      if (!llvm::StringRef(in.dims[d]).getAsInteger(10, fixed) && fixed != a.shape[d])
        return error(it->second + ": dimension " + llvm::Twine(d) + " of '" + in.name +
                     "' must be " + llvm::Twine(fixed) + ", found " + a.shapeString());
    }
    inputShapes[n] = a.shape;
    std::vector<char> &bytes = inputData[n];
    bytes.resize(a.numElements() * dtypeBytes(in.dtype));
    bool isFloat = in.dtype == DType::F32 || in.dtype == DType::F16 || in.dtype == DType::BF16;
    if (isFloat) {
      bytes = encode(a.asDoubles(), in.dtype);
    } else {
      std::vector<int64_t> ints = a.asInts();
      for (size_t e = 0; e < ints.size(); ++e) {
        int64_t x = ints[e];
        std::memcpy(bytes.data() + e * dtypeBytes(in.dtype), &x, dtypeBytes(in.dtype));
      }
    }
  }
  for (const auto &kv : opts.inputs) {
    bool known = false;
    for (const KernelInput &in : spec.inputs)
      known |= in.name == kv.first;
    if (!known)
      return error("spec '" + spec.name + "' has no kernel input '" + kv.first + "'");
  }

  // Compile in process.
  mlir::DialectRegistry registry;
  registerAttnDialects(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerAMXDialectTranslation(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(context, {spec});
  if (!module)
    return error("could not generate MLIR for '" + spec.name + "'");
  // The JIT targets the host, with its features: AMX tiles where it has them.
  mlir::attn::LoweringOptions lowering;
  {
    std::string features;
    for (auto &f : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") + std::string(f.second ? "+" : "-") + f.first().str();
    lowering.amxBf16 = !opts.noAmx && mlir::attn::featuresHaveAmxBf16(features);
    llvm::SmallVector<llvm::StringRef> list;
    llvm::StringRef(features).split(list, ',');
    lowering.nativeBf16 = llvm::is_contained(list, "+avx512bf16");
  }
  mlir::PassManager pm(&context);
  mlir::attn::buildLowerToLLVMPipeline(pm, lowering);
  if (mlir::failed(pm.run(*module)))
    return error("lowering '" + spec.name + "' to LLVM failed");

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser(); // the AMX permission request is inline asm
  // ExecutionEngineOptions holds a function_ref: the transformer must outlive
  // create().
  std::function<llvm::Error(llvm::Module *)> optimize =
      mlir::makeOptimizingTransformer(2, 0, nullptr);
  mlir::ExecutionEngineOptions engineOptions;
  engineOptions.transformer = optimize;
  auto engine = mlir::ExecutionEngine::create(*module, engineOptions);
  if (!engine) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << engine.takeError();
    return error("JIT compilation failed: " + msg);
  }

  std::vector<Descriptor<1>> in1;
  std::vector<Descriptor<2>> in2;
  in1.reserve(spec.inputs.size());
  in2.reserve(spec.inputs.size());
  std::vector<void *> inputDescriptors;
  for (size_t n = 0; n < spec.inputs.size(); ++n) {
    if (inputShapes[n].size() == 1) {
      in1.push_back(describe<1>(inputData[n].data(), inputShapes[n]));
      inputDescriptors.push_back(&in1.back());
    } else {
      in2.push_back(describe<2>(inputData[n].data(), inputShapes[n]));
      inputDescriptors.push_back(&in2.back());
    }
  }
  if (opts.decode)
    return runDecodeSteps(spec, opts, **engine, q, k, v, qPos, inputDescriptors);

  // Buffers in the kernel's element types.
  std::vector<char> qBuf = encode(q.asDoubles(), spec.qType);
  std::vector<char> kBuf = encode(k.asDoubles(), spec.kType);
  std::vector<char> vBuf = encode(v.asDoubles(), spec.vType);
  std::vector<char> outBuf(lq * spec.heads * spec.valueDim * dtypeBytes(spec.outType));
  std::vector<float> lse(spec.lse ? lq * spec.heads : 0);

  auto qD = describe<3>(qBuf.data(), {lq, spec.heads, spec.headDim});
  auto kD = describe<3>(kBuf.data(), {lk, spec.kvHeads, spec.headDim});
  auto vD = describe<3>(vBuf.data(), {lk, spec.kvHeads, spec.valueDim});
  auto qpD = describe<1>(qPos.data(), {lq});
  auto kpD = describe<1>(kPos.data(), {lk});
  auto outD = describe<3>(outBuf.data(), {lq, spec.heads, spec.valueDim});
  auto lseD = describe<2>(lse.data(), {lq, spec.heads});
  int64_t batch = 0;

  // f32 scratch for the rotated Q and K (and the far branch of a remap).
  bool twoBranches = spec.position.kind == PositionKind::RoPE &&
                     spec.position.remap.kind != RopeRemapKind::None;
  std::vector<float> qf(lq * spec.heads * spec.headDim), kf(lk * spec.kvHeads * spec.headDim);
  std::vector<float> qg(twoBranches ? qf.size() : 0), kg(twoBranches ? kf.size() : 0);
  auto qfD = describe<3>(qf.data(), {lq, spec.heads, spec.headDim});
  auto kfD = describe<3>(kf.data(), {lk, spec.kvHeads, spec.headDim});
  auto qgD = describe<3>(qg.data(), {lq, spec.heads, spec.headDim});
  auto kgD = describe<3>(kg.data(), {lk, spec.kvHeads, spec.headDim});

  // The C interface takes a pointer per memref; packed args point at those.
  auto pack = [](std::vector<void *> &pointers) {
    std::vector<void *> packed;
    for (void *&p : pointers)
      packed.push_back(&p);
    return packed;
  };
  std::vector<void *> prepPointers = {&qD, &kD, &qpD, &kpD, &qfD, &kfD};
  if (twoBranches) {
    prepPointers.push_back(&qgD);
    prepPointers.push_back(&kgD);
  }
  std::vector<void *> prepPacked = pack(prepPointers);
  std::string prefix = "_mlir_ciface_" + spec.name;
  if (llvm::Error e = (*engine)->invokePacked(prefix + "_prefill_prepare", prepPacked)) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << e;
    return error("running the kernel failed: " + msg);
  }

  std::vector<void *> rowPointers = {&qfD, &kfD};
  if (twoBranches) {
    rowPointers.push_back(&qgD);
    rowPointers.push_back(&kgD);
  }
  rowPointers.insert(rowPointers.end(), {&vD, &qpD, &kpD});
  rowPointers.insert(rowPointers.end(), inputDescriptors.begin(), inputDescriptors.end());
  rowPointers.push_back(&outD);
  if (spec.lse)
    rowPointers.push_back(&lseD);

  auto rowsFn = (*engine)->lookupPacked(prefix + "_prefill_rows");
  if (!rowsFn) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << rowsFn.takeError();
    return error("kernel entry point missing: " + msg);
  }
  // Caller-supplied parallelism: contiguous slices of the (query, head) work
  // items, one per thread.
  int64_t work = lq * spec.heads;
  unsigned threads = opts.threads ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::max<int64_t>(1, std::min<int64_t>(threads, work));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      int64_t begin = work * t / threads, end = work * (t + 1) / threads;
      std::vector<void *> pointers = rowPointers;
      std::vector<void *> packed = pack(pointers);
      // batch sits after k_pos; begin/end close the argument list.
      packed.insert(packed.begin() + (twoBranches ? 7 : 5), &batch);
      packed.push_back(&begin);
      packed.push_back(&end);
      (*rowsFn)(packed.data());
    });
  }
  for (std::thread &t : pool)
    t.join();

  std::vector<float> out = decode(outBuf, spec.outType);
  if (!writeNpy(opts.out, makeNpyF32({lq, spec.heads, spec.valueDim}, out), err))
    return error(err);
  if (!opts.lseOut.empty()) {
    if (!spec.lse)
      return error("--lse-out needs a spec with 'lse = true'");
    if (!writeNpy(opts.lseOut, makeNpyF32({lq, spec.heads}, lse), err))
      return error(err);
  }
  return 0;
}
