//===- BuildGPU.cpp - attnc build --gpu-arch: the GPU kernel library ------===//
//
// Ahead of time, in process up to PTX: specs -> attn dialect -> kernels
// outlined into a gpu.module -> NVVM -> PTX (LLVM's NVPTX back end), once per
// architecture; `ptxas` (CUDA toolkit, build time only) assembles each PTX to
// a cubin. The cubins and the PTX of the lowest architecture (for newer
// devices, compiled by the driver) are embedded in an object file made by
// LLVM; generated C host glue launches the kernels through the CUDA driver API
// (runtime/gpu/attnc_cuda.h, copied next to it and opened with dlopen, so the
// library links without CUDA). The glue's memref parameters are checked
// against the gpu.func signatures, so a kernel whose arguments change fails
// the build instead of reading garbage on the device.
//
//===----------------------------------------------------------------------===//
#include "tools/attnc/Build.h"

#include "codegen/Passes.h"
#include "dsl/MLIRGen.h"
#include "tools/RegisterAll.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <map>

using namespace attnc;

namespace {

// The loader's text (runtime/gpu/attnc_cuda.h), embedded at build time.
const char kLoaderHeader[] =
#include "attnc_cuda_h.inc"
    ;

int error(const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), "attnc build") << msg << "\n";
  return 1;
}

const char *cType(DType t) { return cElementType(t); }

/// One parameter of a GPU kernel as the C glue fills it: a dense memref at
/// device pointer `ptr` with C expressions for its sizes, or a scalar.
struct KernelArg {
  std::string ptr;                // empty: a scalar
  std::vector<std::string> dims;  // memref sizes, or the scalar's expression
};

/// The arguments of NAME_prefill_prepare / NAME_prefill_rows (minus begin,
/// end), in the order of the CPU header's wrappers (Build.cpp).
void prefillArgs(const Spec &s, bool far, std::vector<KernelArg> &prepare,
                 std::vector<KernelArg> &rows) {
  const std::string H = std::to_string(s.heads), G = std::to_string(s.kvHeads),
                    D = std::to_string(s.headDim), Dv = std::to_string(s.valueDim);
  KernelArg qf{"qf", {"lq", H, D}}, kf{"kf", {"lk", G, D}}, qg{"qg", {"lq", H, D}},
      kg{"kg", {"lk", G, D}}, qPos{"q_pos", {"lq"}}, kPos{"k_pos", {"lk"}};
  prepare = {{"q", {"lq", H, D}}, {"k", {"lk", G, D}}, qPos, kPos, qf, kf};
  rows = {qf, kf};
  if (far) {
    prepare.push_back(qg), prepare.push_back(kg);
    rows.push_back(qg), rows.push_back(kg);
  }
  rows.push_back({"v", {"lk", G, Dv}});
  rows.push_back(qPos), rows.push_back(kPos);
  rows.push_back({"", {"batch"}});
  for (const KernelInput &in : s.inputs) {
    KernelArg a{in.name, {in.name + "_n0"}};
    if (in.dims.size() == 2)
      a.dims.push_back(in.name + "_n1");
    rows.push_back(a);
  }
  rows.push_back({"out", {"lq", H, Dv}});
  if (s.lse)
    rows.push_back({"lse", {"lq", H}});
}

/// The arguments of the tensor-core pair (attn-lower-prefill-tensor-core):
/// prepare and rows with the f32 K scratch `kf` replaced by the rotated K in
/// the dtype (kh: kf's first half) and, for variants that return lse, its
/// rounded remainder (kl: the second half), so `kf` keeps its size in the ABI.
void tensorCoreArgs(const Spec &s, const std::vector<KernelArg> &prepare, const std::vector<KernelArg> &rows,
                    std::vector<KernelArg> &tok, std::vector<KernelArg> &tc) {
  const std::string G = std::to_string(s.kvHeads), D = std::to_string(s.headDim);
  KernelArg kh{"kf", {"lk", G, D}},
      kl{"(char *)kf + lk * " + std::to_string(s.kvHeads * s.headDim * 2), {"lk", G, D}};
  auto replaceKf = [&](const std::vector<KernelArg> &from, std::vector<KernelArg> &to) {
    for (const KernelArg &a : from) {
      if (a.ptr != "kf") {
        to.push_back(a);
        continue;
      }
      to.push_back(kh);
      if (s.lse)
        to.push_back(kl);
    }
  };
  replaceKf(prepare, tok);
  replaceKf(rows, tc);
}

/// Empty when `args` fill the gpu.func's parameters (memref ranks, scalars),
/// else what differs.
std::string checkSignature(mlir::gpu::GPUFuncOp f, const std::vector<KernelArg> &args) {
  auto inputs = f.getFunctionType().getInputs();
  if (inputs.size() != args.size())
    return std::to_string(inputs.size()) + " parameters, the C glue passes " +
           std::to_string(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    auto m = mlir::dyn_cast<mlir::MemRefType>(inputs[i]);
    if (args[i].ptr.empty() ? (bool)m : (!m || m.getRank() != (int64_t)args[i].dims.size()))
      return "parameter " + std::to_string(i) + " is not what the C glue passes";
  }
  return "";
}

void emitPushes(llvm::raw_ostream &os, const std::vector<KernelArg> &args, const char *indent = "  ") {
  os << indent << "n = 0;\n";
  for (const KernelArg &a : args) {
    if (a.ptr.empty()) {
      os << indent << "n = attnc_cuda_push_scalar(p, n, " << a.dims[0] << ");\n";
      continue;
    }
    os << indent << "{ const int64_t d[] = {";
    for (size_t i = 0; i < a.dims.size(); ++i)
      os << (i ? ", " : "") << a.dims[i];
    os << "}; n = attnc_cuda_push_view(p, n, " << a.ptr << ", " << a.dims.size() << ", d); }\n";
  }
}

/// One spec's case of a by-name entry (LIB_gpu_prefill, _prefill_varlen):
/// the argument struct's inputs, lse and far scratch checked, then
/// `call` (up to its kernel inputs) completed from the struct.
std::string byNameCase(const Spec &s, bool far, std::string call) {
  for (size_t i = 0; i < s.inputs.size(); ++i)
    call += ", a->inputs[" + std::to_string(i) + "].data, a->inputs[" + std::to_string(i) + "].n0" +
            (s.inputs[i].dims.size() == 2 ? ", a->inputs[" + std::to_string(i) + "].n1" : "");
  call += std::string(", a->out") + (s.lse ? ", a->lse" : "") + ", a->qf, a->kf" + (far ? ", a->qg, a->kg" : "") +
          ", a->stream)";
  return "  if (!strcmp(spec, \"" + s.name + "\")) {\n" + "    if (a->num_inputs != " +
         std::to_string(s.inputs.size()) + (s.lse ? " || !a->lse" : "") + (far ? " || !a->qg || !a->kg" : "") +
         ") {\n" + "      attnc_cuda_fail(&library, \"" + s.name + " takes " + std::to_string(s.inputs.size()) +
         " kernel input(s)" + (s.lse ? ", an lse buffer" : "") + (far ? ", qg and kg scratch" : "") + "\");\n" +
         "      return -1;\n    }\n" + "    return " + call + ";\n  }\n";
}

/// The tensor-core pair in the glue, up to its kernel's launch: both
/// functions looked up, the preparation launched (a token per thread over
/// max(lq, lk) tokens), the kernel's parameters pushed.
void emitTensorCorePrepare(llvm::raw_ostream &c, const std::string &tokName, const std::string &tcName,
                           const std::vector<KernelArg> &tok, const std::vector<KernelArg> &tc) {
  c << "    if (attnc_cuda_function(&library, \"" << tokName << "\", &prepare) ||\n"
    << "        attnc_cuda_function(&library, \"" << tcName << "\", &rows)) return -1;\n";
  emitPushes(c, tok, "    ");
  c << "    /* RoPE preparation: one token per thread. */\n"
    << "    items = lq > lk ? lq : lk;\n"
    << "    if (attnc_cuda_launch(&library, prepare, \"" << tokName
    << "\", (unsigned)((items + 127) / 128), 1, 128, p, n, stream)) return -1;\n";
  emitPushes(c, tc, "    ");
}

/// The ragged-batch forms of the tensor-core pair's arguments: the device
/// offsets cu_q, cu_k (nseq + 1 each) after the preparation's, and in place
/// of the kernel's batch index.
void varlenArgs(const std::vector<KernelArg> &tok, const std::vector<KernelArg> &tc, std::vector<KernelArg> &varTok,
                std::vector<KernelArg> &varTc) {
  KernelArg cuQ{"cu_q", {"nseq + 1"}}, cuK{"cu_k", {"nseq + 1"}};
  varTok = tok;
  varTok.push_back(cuQ), varTok.push_back(cuK);
  varTc.clear();
  for (const KernelArg &a : tc) {
    if (a.ptr.empty() && a.dims.size() == 1 && a.dims[0] == "batch") {
      varTc.push_back(cuQ), varTc.push_back(cuK);
      continue;
    }
    varTc.push_back(a);
  }
}

/// The tensor-core kernel's launch (its parameters pushed): a block per
/// (query tile of `queries`, head[, entry of `entries`]), the block shape and
/// dynamic shared memory of `shape` (NAME_prefill_tc_gpu) in the loaded image.
void emitTensorCoreLaunch(llvm::raw_ostream &c, const std::string &kernel, const std::string &shape, int64_t heads,
                          const std::string &queries, const std::string &entries = "") {
  c << "    items = " << shape << "_block_queries();\n";
  if (entries.empty())
    c << "    return attnc_cuda_launch_shared(&library, rows, \"" << kernel << "\", (unsigned)((" << queries
      << " + items - 1) / items), " << heads << ", ";
  else
    c << "    return attnc_cuda_launch_grid(&library, rows, \"" << kernel << "\", (unsigned)((" << queries
      << " + items - 1) / items), " << heads << ", (unsigned)" << entries << ", ";
  c << shape << "_block_threads(), " << shape << "_dynamic_shared(), p, n, stream);\n";
}

/// NAME_prefill_varlen_gpu: a ragged batch (cumulative sequence lengths,
/// as the CPU header's NAME_prefill_varlen). With tensor cores, two launches
/// whatever the batch: the varlen preparation (a packed token per thread)
/// and the varlen tensor-core kernel (grid: the longest sequence's query
/// tiles x heads x sequences). Otherwise NAME_prefill_gpu per sequence, at
/// the host offsets. The host copy of the offsets is validated (and gives
/// the longest sequence) so the device never reads a bad one.
std::string emitVarlenGlue(const Spec &s, bool far, bool tc, const std::vector<KernelArg> &tok,
                           const std::vector<KernelArg> &tcArgs, const std::map<std::string, mlir::gpu::GPUFuncOp> &funcs,
                           llvm::raw_ostream &c, llvm::raw_ostream &h, llvm::raw_ostream &dispatch) {
  const std::string n = s.name, H = std::to_string(s.heads), G = std::to_string(s.kvHeads),
                    D = std::to_string(s.headDim), Dv = std::to_string(s.valueDim);
  const std::string tokName = n + "_prefill_varlen_prepare_tok_gpu", tcName = n + "_prefill_varlen_tc_gpu";
  // The packed totals stand in for lq and lk; the batch index is the
  // sequence (cu_q, cu_k replace it).
  std::vector<KernelArg> varTok, varTc;
  varlenArgs(tok, tcArgs, varTok, varTc);
  if (tc)
    for (auto [kernel, args] : {std::pair{tokName, &varTok}, std::pair{tcName, &varTc}}) {
      auto it = funcs.find(kernel);
      if (it == funcs.end())
        return "no GPU kernel " + kernel;
      if (std::string why = checkSignature(it->second, *args); !why.empty())
        return kernel + " has " + why;
    }
  const std::string q = cType(s.qType), k = cType(s.kType), v = cType(s.vType), o = cType(s.outType);
  std::string inputs, inputsPass;
  for (const KernelInput &in : s.inputs) {
    inputs += ", const " + std::string(cType(in.dtype)) + " *" + in.name + ", int64_t " + in.name + "_n0" +
              (in.dims.size() == 2 ? ", int64_t " + in.name + "_n1" : "");
    inputsPass += ", " + in.name + ", " + in.name + "_n0" + (in.dims.size() == 2 ? ", " + in.name + "_n1" : "");
  }
  const std::string signature =
      "int " + n + "_prefill_varlen_gpu(const " + q + " *q, const " + k + " *k, const " + v +
      " *v, const int64_t *q_pos, const int64_t *k_pos, const int64_t *cu_q, const int64_t *cu_k, "
      "const int64_t *cu_q_host, const int64_t *cu_k_host, int64_t nseq" + inputs + ", " + o + " *out" +
      (s.lse ? ", float *lse" : "") + ", float *qf, float *kf" + (far ? ", float *qg, float *kg" : "") +
      ", void *stream)";
  h << "/* " << n << ", a ragged batch: sequence b is queries cu_q[b] .. cu_q[b+1]-1 and keys\n"
    << " * cu_k[b] .. cu_k[b+1]-1 of the packed buffers (batch index b); cu_q, cu_k on the device,\n"
    << " * cu_q_host, cu_k_host the same nseq + 1 offsets on the host (from 0, never decreasing);\n"
    << " * scratch qf, kf (qg, kg) sized for the packed totals. */\n"
    << signature << ";\n\n";
  dispatch << byNameCase(s, far, n + "_prefill_varlen_gpu(a->q, a->k, a->v, a->q_pos, a->k_pos, a->cu_q, a->cu_k, "
                                     "a->cu_q_host, a->cu_k_host, a->nseq");
  c << signature << " {\n"
    << "  int64_t b, lq, lk, longest = 0;\n"
    << "  if (!cu_q || !cu_k || !cu_q_host || !cu_k_host || nseq < 0 || cu_q_host[0] != 0 || cu_k_host[0] != 0) {\n"
    << "    attnc_cuda_fail(&library, \"" << n
    << "_prefill_varlen_gpu: cu_q, cu_k and their host copies must be given and start at 0\");\n"
    << "    return -1;\n  }\n"
    << "  for (b = 0; b < nseq; ++b) {\n"
    << "    lq = cu_q_host[b + 1] - cu_q_host[b], lk = cu_k_host[b + 1] - cu_k_host[b];\n"
    << "    if (lq < 0 || lk < 0) {\n"
    << "      attnc_cuda_fail(&library, \"" << n
    << "_prefill_varlen_gpu: sequence %lld has a negative length\", (long long)b);\n"
    << "      return -1;\n    }\n"
    << "    if (lq > longest) longest = lq;\n  }\n"
    << "  if (nseq == 0 || cu_q_host[nseq] == 0) return 0;\n";
  if (tc) {
    c << "  if (attnc_cuda_tensor_cores()) {\n"
      << "    uint64_t p[ATTNC_CUDA_MAX_PARAMS];\n    int n;\n    attnc_CUfunction prepare, rows;\n"
      << "    int64_t items;\n"
      << "    if (nseq > 65535) {\n"
      << "      attnc_cuda_fail(&library, \"" << n
      << "_prefill_varlen_gpu: %lld sequences, over the grid's 65535\", (long long)nseq);\n"
      << "      return -1;\n    }\n"
      << "    /* The packed totals (the scratch's sizes). */\n"
      << "    lq = cu_q_host[nseq], lk = cu_k_host[nseq];\n";
    emitTensorCorePrepare(c, tokName, tcName, varTok, varTc);
    // The varlen kernel comes from the same builder as NAME_prefill_tc: the
    // same block shape and window.
    const std::string shape = n + "_prefill_tc_gpu";
    c << "    /* A block per (query tile, head, sequence); tiles past a sequence's queries return. */\n";
    emitTensorCoreLaunch(c, tcName, shape, s.heads, "longest", "nseq");
    c << "  }\n";
  }
  c << "  /* CUDA cores: the single-sequence kernels per sequence. */\n"
    << "  for (b = 0; b < nseq; ++b) {\n"
    << "    const int64_t q0 = cu_q_host[b], k0 = cu_k_host[b];\n"
    << "    lq = cu_q_host[b + 1] - q0, lk = cu_k_host[b + 1] - k0;\n"
    << "    if (lq == 0) continue;\n"
    << "    if (" << n << "_prefill_gpu(q + q0 * " << H << " * " << D << ", lq, k + k0 * " << G << " * " << D
    << ", v + k0 * " << G << " * " << Dv << ", lk, q_pos + q0, k_pos + k0, b" << inputsPass << ", out + q0 * "
    << H << " * " << Dv << (s.lse ? ", lse + q0 * " + H : std::string()) << ", qf + q0 * " << H << " * " << D
    << ", kf + k0 * " << G << " * " << D
    << (far ? ", qg + q0 * " + H + " * " + D + ", kg + k0 * " + G + " * " + D : std::string())
    << ", stream)) return -1;\n  }\n  return 0;\n}\n\n";
  return "";
}

struct Arch {
  std::string name; // sm_80
  int major = 0;
  std::string ptx;
  std::string cubin;
};

/// Writes `bytes` to `path`.
bool writeFile(const std::string &path, llvm::StringRef bytes, std::string &err) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec) {
    err = "cannot write '" + path + "': " + ec.message();
    return false;
  }
  out << bytes;
  return true;
}

/// An object file defining the cubins, their sizes and the PTX as global
/// constants (hidden, so a shared library does not export them).
bool emitImagesObject(const std::string &lib, const std::vector<Arch> &archs,
                      const std::string &path, std::string &err) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::LLVMContext ctx;
  llvm::Module m(lib + "_gpu_images", ctx);
  std::string triple = llvm::sys::getDefaultTargetTriple();
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target)
    return false;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, "x86-64", "", llvm::TargetOptions(), llvm::Reloc::PIC_));
  if (!machine) {
    err = "no target machine for " + triple;
    return false;
  }
  m.setDataLayout(machine->createDataLayout());
  m.setTargetTriple(triple);
  auto addBytes = [&](const std::string &name, llvm::StringRef bytes, bool nul) {
    llvm::Constant *init = llvm::ConstantDataArray::getString(ctx, bytes, nul);
    auto *g = new llvm::GlobalVariable(m, init->getType(), true, llvm::GlobalValue::ExternalLinkage,
                                       init, name);
    g->setVisibility(llvm::GlobalValue::HiddenVisibility);
    g->setAlignment(llvm::Align(16));
    auto *size = new llvm::GlobalVariable(
        m, llvm::Type::getInt64Ty(ctx), true, llvm::GlobalValue::ExternalLinkage,
        llvm::ConstantInt::get(llvm::Type::getInt64Ty(ctx), bytes.size()), name + "_size");
    size->setVisibility(llvm::GlobalValue::HiddenVisibility);
  };
  for (const Arch &a : archs)
    addBytes("attnc_gpu_" + lib + "_" + a.name, a.cubin, false);
  addBytes("attnc_gpu_" + lib + "_ptx", archs.front().ptx, true);
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec) {
    err = "cannot write '" + path + "': " + ec.message();
    return false;
  }
  llvm::legacy::PassManager pm;
  if (machine->addPassesToEmitFile(pm, out, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    err = "the host target cannot emit object files";
    return false;
  }
  pm.run(m);
  return true;
}

const char *cTypeOf(mlir::Type t) {
  if (t.isF32()) return "float";
  if (t.isBF16() || t.isF16()) return "uint16_t";
  if (t.isInteger(8)) return "int8_t";
  if (t.isInteger(32)) return "int32_t";
  if (t.isInteger(64)) return "int64_t";
  return "?";
}

/// One memref parameter of a cache kernel, by its `attn.arg_name`.
struct CacheBuffer {
  std::string name;
  mlir::MemRefType type;
};

/// The named memref parameters of the CPU-twin function `f` (cloned into the
/// gpu.module with its argument names), in order; scalars are skipped.
std::vector<CacheBuffer> namedBuffers(mlir::func::FuncOp f) {
  std::vector<CacheBuffer> out;
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    if (auto m = mlir::dyn_cast<mlir::MemRefType>(f.getArgumentTypes()[i]))
      if (auto name = f.getArgAttrOfType<mlir::StringAttr>(i, "attn.arg_name"))
        out.push_back({name.getValue().str(), m});
  return out;
}

/// `{ "name", rank, {sizes, -1 = any} }` rows of a buffer table.
void emitShapeTable(llvm::raw_ostream &os, const std::string &table, const std::vector<CacheBuffer> &bufs) {
  os << "static const attnc_gpu_shape " << table << "[] = {\n";
  for (const CacheBuffer &b : bufs) {
    os << "  {\"" << b.name << "\", " << b.type.getRank() << ", {";
    for (int64_t d = 0; d < 4; ++d)
      os << (d ? ", " : "")
         << (d < b.type.getRank() && !b.type.isDynamicDim(d) ? b.type.getDimSize(d) : -1);
    os << "}},\n";
  }
  os << "};\n";
}

/// The header's description of a buffer list: "name [a][?] type".
std::string describeBuffers(const std::vector<CacheBuffer> &bufs) {
  std::string text;
  for (size_t i = 0; i < bufs.size(); ++i) {
    text += (i ? ", " : "") + bufs[i].name + " ";
    for (int64_t d = 0; d < bufs[i].type.getRank(); ++d)
      text += bufs[i].type.isDynamicDim(d) ? "[?]" : "[" + std::to_string(bufs[i].type.getDimSize(d)) + "]";
    text += std::string(" ") + cTypeOf(bufs[i].type.getElementType());
  }
  return text;
}

/// Wraps `text` into comment lines of at most ~100 columns.
std::string commentLines(const std::string &text, const std::string &prefix = " * ") {
  std::string out, line;
  llvm::SmallVector<llvm::StringRef> words;
  llvm::StringRef(text).split(words, ' ', -1, false);
  for (llvm::StringRef w : words) {
    if (!line.empty() && line.size() + w.size() + 1 > 96) {
      out += prefix + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w.str();
  }
  if (!line.empty())
    out += prefix + line + "\n";
  return out;
}

/// The decode and append entry points of one spec (attn-lower-cache-kernels
/// kernels outlined by attn-outline-gpu-kernels): C glue, header text and the
/// by-name dispatch cases; an error message on a signature mismatch.
std::string emitCacheGlue(const std::string &lib, const std::string &n, int64_t H, int64_t Hkv,
                          mlir::gpu::GPUModuleOp gm, std::map<std::string, mlir::gpu::GPUFuncOp> &funcs,
                          llvm::raw_ostream &c, llvm::raw_ostream &h, llvm::raw_ostream &decodeCases,
                          llvm::raw_ostream &appendCases) {
  auto split = gm.lookupSymbol<mlir::func::FuncOp>(n + "_decode_split");
  auto merge = gm.lookupSymbol<mlir::func::FuncOp>(n + "_decode_merge");
  auto append = gm.lookupSymbol<mlir::func::FuncOp>(n + "_append");
  if (!split || !merge || !append || !funcs.count(n + "_decode_split_gpu") ||
      !funcs.count(n + "_decode_merge_gpu") || !funcs.count(n + "_append_gpu"))
    return "no decode/append kernels";
  std::vector<CacheBuffer> splitBufs = namedBuffers(split), mergeBufs = namedBuffers(merge),
                           appendBufs = namedBuffers(append);
  // Decode buffers: the split's, then the merge's outputs (out [, lse]).
  std::vector<CacheBuffer> decodeBufs = splitBufs;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < splitBufs.size(); ++i)
    index[splitBufs[i].name] = i;
  for (const CacheBuffer &b : mergeBufs)
    if (!index.count(b.name)) {
      index[b.name] = decodeBufs.size();
      decodeBufs.push_back(b);
    }
  for (const char *need : {"q", "part_out", "part_lse", "out"})
    if (!index.count(need))
      return std::string("no buffer '") + need + "'";
  // The kernels' parameters: the buffers (and scalars) in their order.
  auto argsOf = [&](mlir::func::FuncOp f, const std::vector<CacheBuffer> &bufs, unsigned scalarsAtEnd,
                    std::vector<KernelArg> &args) -> std::string {
    unsigned nb = 0;
    for (unsigned i = 0; i + scalarsAtEnd < f.getNumArguments(); ++i) {
      auto m = mlir::dyn_cast<mlir::MemRefType>(f.getArgumentTypes()[i]);
      if (!m)
        return "an unnamed scalar parameter";
      size_t at = index.count(bufs[nb].name) ? index[bufs[nb].name] : nb;
      KernelArg a{"b[" + std::to_string(at) + "].data", {}};
      for (int64_t d = 0; d < m.getRank(); ++d)
        a.dims.push_back("b[" + std::to_string(at) + "].sizes[" + std::to_string(d) + "]");
      args.push_back(a);
      ++nb;
    }
    return "";
  };
  std::vector<KernelArg> splitArgs, mergeArgs, appendArgs;
  if (std::string why = argsOf(split, splitBufs, 2, splitArgs); !why.empty())
    return why;
  if (std::string why = argsOf(merge, mergeBufs, 2, mergeArgs); !why.empty())
    return why;
  index.clear();
  for (size_t i = 0; i < appendBufs.size(); ++i)
    index[appendBufs[i].name] = i;
  if (std::string why = argsOf(append, appendBufs, 2, appendArgs); !why.empty())
    return why;
  appendArgs.push_back({"", {"seq"}});
  appendArgs.push_back({"", {"len"}});
  appendArgs.push_back({"status", {"1"}});
  for (auto [kernel, args] : {std::pair{n + "_decode_split_gpu", &splitArgs},
                              std::pair{n + "_decode_merge_gpu", &mergeArgs},
                              std::pair{n + "_append_gpu", &appendArgs}})
    if (std::string why = checkSignature(funcs[kernel], *args); !why.empty())
      return kernel + " has " + why;
  int64_t hb = 1, blockThreads = 0;
  if (auto a = split->getAttrOfType<mlir::IntegerAttr>("attn.heads_per_block"))
    hb = a.getInt();
  int64_t itemsPerRow = Hkv / hb;
  if (auto a = split->getAttrOfType<mlir::IntegerAttr>("attn.items_per_row"))
    itemsPerRow = a.getInt();
  if (auto a = split->getAttrOfType<mlir::IntegerAttr>("attn.block_threads"))
    blockThreads = a.getInt();

  // Index of each decode buffer whose first size is the query rows.
  std::vector<size_t> rowBufs;
  for (size_t i = 0; i < decodeBufs.size(); ++i)
    if (llvm::is_contained({"q", "q_pos", "q_seq", "lens", "part_out", "part_lse", "out", "lse"},
                           decodeBufs[i].name))
      rowBufs.push_back(i);
  const size_t pOut = [&] {
    for (size_t i = 0; i < decodeBufs.size(); ++i)
      if (decodeBufs[i].name == "part_out")
        return i;
    return size_t(0);
  }();
  emitShapeTable(c, n + "_decode_shapes", decodeBufs);
  emitShapeTable(c, n + "_append_shapes", appendBufs);
  c << "int " << n << "_decode_gpu(const " << lib << "_gpu_buffer *b, int64_t num, void *stream) {\n"
    << "  uint64_t p[ATTNC_CUDA_MAX_PARAMS];\n  int n;\n  attnc_CUfunction split, merge;\n"
    << "  int64_t rows, splits, items;\n"
    << "  static const int row_buffers[] = {";
  for (size_t i : rowBufs)
    c << i << ", ";
  c << "};\n"
    << "  if (check_buffers(\"" << n << "_decode_gpu\", " << n << "_decode_shapes, " << decodeBufs.size()
    << ", b, num)) return -1;\n"
    << "  rows = b[0].sizes[0];\n  splits = b[" << pOut << "].sizes[1];\n"
    << "  for (n = 0; n < (int)(sizeof row_buffers / sizeof row_buffers[0]); ++n)\n"
    << "    if (b[row_buffers[n]].sizes[0] != rows) {\n"
    << "      attnc_cuda_fail(&library, \"" << n << "_decode_gpu: %s has %lld rows, q has %lld\",\n"
    << "                      " << n << "_decode_shapes[row_buffers[n]].name, (long long)b[row_buffers[n]].sizes[0], (long long)rows);\n"
    << "      return -1;\n    }\n"
    << "  if (splits < 1) {\n"
    << "    attnc_cuda_fail(&library, \"" << n << "_decode_gpu: part_out must have at least one split\");\n"
    << "    return -1;\n  }\n"
    << "  if (rows == 0) return 0;\n"
    << "  if (attnc_cuda_function(&library, \"" << n << "_decode_split_gpu\", &split) ||\n"
    << "      attnc_cuda_function(&library, \"" << n << "_decode_merge_gpu\", &merge)) return -1;\n";
  emitPushes(c, splitArgs);
  c << "  items = rows * " << itemsPerRow << " * splits;\n";
  if (blockThreads)
    c << "  /* One (row, KV head" << (itemsPerRow > Hkv ? ", query heads" : "") << ", split) item per block of "
      << blockThreads << " threads. */\n"
      << "  if (attnc_cuda_launch(&library, split, \"" << n << "_decode_split_gpu\", (unsigned)items, 1, "
      << blockThreads << ", p, n, stream)) return -1;\n";
  else
    c << "  /* One (row, block of " << hb << " KV head(s), split) item per thread. */\n"
      << "  if (attnc_cuda_launch(&library, split, \"" << n << "_decode_split_gpu\", (unsigned)((items + 127) / 128), 1, 128, p, n, stream)) return -1;\n";
  emitPushes(c, mergeArgs);
  c << "  /* The LSE merge: one (row, head) item per thread. */\n"
    << "  items = rows * " << H << ";\n"
    << "  return attnc_cuda_launch(&library, merge, \"" << n << "_decode_merge_gpu\", (unsigned)((items + 127) / 128), 1, 128, p, n, stream);\n}\n\n";
  c << "int " << n << "_append_gpu(const " << lib << "_gpu_buffer *b, int64_t num, int64_t seq, int64_t len, int32_t *status, void *stream) {\n"
    << "  uint64_t p[ATTNC_CUDA_MAX_PARAMS];\n  int n;\n  attnc_CUfunction f;\n"
    << "  if (check_buffers(\"" << n << "_append_gpu\", " << n << "_append_shapes, " << appendBufs.size()
    << ", b, num)) return -1;\n"
    << "  if (b[1].sizes[0] != b[0].sizes[0] || b[2].sizes[0] != b[0].sizes[0]) {\n"
    << "    attnc_cuda_fail(&library, \"" << n << "_append_gpu: k, v and pos must have the same tokens (%lld, %lld, %lld)\",\n"
    << "                    (long long)b[0].sizes[0], (long long)b[1].sizes[0], (long long)b[2].sizes[0]);\n"
    << "    return -1;\n  }\n"
    << "  if (seq < 0 || len < 0 || !status) {\n"
    << "    attnc_cuda_fail(&library, \"" << n << "_append_gpu: negative seq or len, or no status word\");\n"
    << "    return -1;\n  }\n"
    << "  if (attnc_cuda_function(&library, \"" << n << "_append_gpu\", &f)) return -1;\n";
  emitPushes(c, appendArgs);
  int64_t appendThreads = 0;
  if (auto a = append->getAttrOfType<mlir::IntegerAttr>("attn.block_threads"))
    appendThreads = a.getInt();
  if (appendThreads)
    c << "  /* A token per block of " << appendThreads << " threads (at least one block: the status). */\n"
      << "  return attnc_cuda_launch(&library, f, \"" << n << "_append_gpu\", (unsigned)(b[0].sizes[0] > 0 ? b[0].sizes[0] : 1), 1, "
      << appendThreads << ", p, n, stream);\n}\n\n";
  else
    c << "  /* One thread: the status checks cover the whole call. */\n"
      << "  return attnc_cuda_launch(&library, f, \"" << n << "_append_gpu\", 1, 1, 1, p, n, stream);\n}\n\n";

  h << "/* " << n << " decode: buffers " << decodeBufs.size() << ", in this order:\n"
    << commentLines(describeBuffers(decodeBufs) + ".") << " * Splits S = part_out's second size; "
    << itemsPerRow << " x rows x S split items, then the merge. */\n"
    << "int " << n << "_decode_gpu(const " << lib << "_gpu_buffer *b, int64_t num, void *stream);\n"
    << "/* " << n << " append: buffers " << appendBufs.size() << ", in this order:\n"
    << commentLines(describeBuffers(appendBufs) + ".") << " */\n"
    << "int " << n << "_append_gpu(const " << lib << "_gpu_buffer *b, int64_t num, int64_t seq, int64_t len, int32_t *status, void *stream);\n\n";
  decodeCases << "  if (!strcmp(spec, \"" << n << "\")) return " << n << "_decode_gpu(b, num, stream);\n";
  appendCases << "  if (!strcmp(spec, \"" << n << "\")) return " << n
              << "_append_gpu(b, num, seq, len, status, stream);\n";
  return "";
}

/// NAME_prefill_cache_gpu: a chunk of queries over one sequence of the
/// spec's cache (contiguous or paged, any quantization) on tensor cores.
/// Three launches: NAME_cache_gather_tok copies the sequence's first `len`
/// rows out of the cache (a (token, KV head) per thread: pages looked up, dequantized,
/// rounded to the spec's K and V types, keys as stored) with their
/// positions into the workspace, NAME_prefill_cache_prepare_tok rotates the
/// queries (and the keys only if the cache keeps them un-rotated), and
/// NAME_prefill_tc runs the chunk over those rows as a prefill. Every query
/// sees the sequence's first `len` tokens under the spec's mask by
/// positions (batch index = seq). `emitted` is false where the spec has no
/// such kernels (no tensor-core prefill, a ring); an error message on a
/// signature mismatch.
std::string emitPrefillCacheGlue(const std::string &lib, const Spec &s, bool far, mlir::gpu::GPUModuleOp gm,
                                 std::map<std::string, mlir::gpu::GPUFuncOp> &funcs, llvm::raw_ostream &c,
                                 llvm::raw_ostream &h, llvm::raw_ostream &cases, llvm::raw_ostream &workspaceCases,
                                 llvm::raw_ostream &varlenCases, bool &emitted) {
  emitted = false;
  const std::string n = s.name, gatherName = n + "_cache_gather_tok_gpu",
                    tokName = n + "_prefill_cache_prepare_tok_gpu", tcName = n + "_prefill_tc_gpu";
  auto gather = gm.lookupSymbol<mlir::func::FuncOp>(n + "_cache_gather_tok");
  auto split = gm.lookupSymbol<mlir::func::FuncOp>(n + "_decode_split");
  auto merge = gm.lookupSymbol<mlir::func::FuncOp>(n + "_decode_merge");
  if (!gather || !split || !merge || !funcs.count(gatherName) || !funcs.count(tokName) || !funcs.count(tcName))
    return "";
  const std::string H = std::to_string(s.heads), G = std::to_string(s.kvHeads), D = std::to_string(s.headDim),
                    Dv = std::to_string(s.valueDim);
  auto find = [](const std::vector<CacheBuffer> &from, const std::string &name) -> const CacheBuffer * {
    for (const CacheBuffer &b : from)
      if (b.name == name)
        return &b;
    return nullptr;
  };
  std::vector<CacheBuffer> splitBufs = namedBuffers(split), mergeBufs = namedBuffers(merge),
                           gatherBufs = namedBuffers(gather);
  // The buffers: q, q_pos, the cache's, the kernel inputs, out [, lse],
  // the workspace.
  std::vector<CacheBuffer> bufs;
  for (const char *name : {"q", "q_pos"}) {
    const CacheBuffer *b = find(splitBufs, name);
    if (!b)
      return std::string("no decode buffer '") + name + "'";
    bufs.push_back(*b);
  }
  const size_t cacheAt = bufs.size();
  for (const CacheBuffer &b : gatherBufs)
    if (!llvm::is_contained({"k_rows", "v_rows", "pos_rows"}, b.name))
      bufs.push_back(b);
  const size_t cacheCount = bufs.size() - cacheAt, inputsAt = bufs.size();
  for (const KernelInput &in : s.inputs) {
    const CacheBuffer *b = find(splitBufs, in.name);
    if (!b)
      return "no decode buffer for the kernel input '" + in.name + "'";
    bufs.push_back(*b);
  }
  const size_t outAt = bufs.size();
  for (const char *name : {"out", "lse"})
    if (const CacheBuffer *b = find(mergeBufs, name))
      bufs.push_back(*b);
    else if (std::string(name) == "out" || s.lse)
      return std::string("no decode buffer '") + name + "'";
  const size_t workspaceAt = bufs.size();
  bufs.push_back({"workspace", mlir::MemRefType::get({mlir::ShapedType::kDynamic},
                                                     mlir::IntegerType::get(gm.getContext(), 8))});
  auto indexOf = [&](const std::string &name) -> long {
    for (size_t i = cacheAt; i < cacheAt + cacheCount; ++i)
      if (bufs[i].name == name)
        return (long)i;
    return -1;
  };
  const long pageTable = indexOf("page_table"), kCache = indexOf("k_cache"), posCache = indexOf("pos_cache");
  if (kCache < 0 || posCache < 0)
    return "no k_cache or pos_cache";
  int64_t pageSize = 0;
  if (pageTable >= 0) {
    auto t = bufs[posCache].type; // [pages][page_size]
    if (t.isDynamicDim(1))
      return "a paged cache whose page size is not static";
    pageSize = t.getDimSize(1);
  }

  // The gather's parameters: the cache buffers, the workspace's rows, seq.
  std::vector<KernelArg> gatherArgs;
  for (size_t i = cacheAt; i < cacheAt + cacheCount; ++i) {
    KernelArg a{"b[" + std::to_string(i) + "].data", {}};
    for (int64_t d = 0; d < bufs[i].type.getRank(); ++d)
      a.dims.push_back("b[" + std::to_string(i) + "].sizes[" + std::to_string(d) + "]");
    gatherArgs.push_back(a);
  }
  gatherArgs.push_back({"k", {"lk", G, D}});
  gatherArgs.push_back({"v", {"lk", G, Dv}});
  gatherArgs.push_back({"k_pos", {"lk"}});
  gatherArgs.push_back({"", {"seq"}});
  // The prefill's, over the gathered rows (C names as in NAME_prefill_gpu).
  std::vector<KernelArg> prepare, rows, tok, tcArgs;
  prefillArgs(s, far, prepare, rows);
  tensorCoreArgs(s, prepare, rows, tok, tcArgs);
  for (auto [kernel, args] : {std::pair{gatherName, &gatherArgs}, std::pair{tokName, &tok}, std::pair{tcName, &tcArgs}})
    if (std::string why = checkSignature(funcs[kernel], *args); !why.empty())
      return kernel + " has " + why;

  // The tensor-core prefill takes bf16 or f16 K and V (2 bytes); f32 for completeness.
  auto bytesOf = [](DType t) -> int64_t { return t == DType::F32 ? 4 : 2; };
  const int64_t kBytes = bytesOf(s.kType), vBytes = bytesOf(s.vType);
  const std::string qRow = H + " * " + D + " * 4", kRow = G + " * " + D + " * 4";
  std::string sizes = "ws_round(lq * " + qRow + ") + ws_round(len * " + kRow + ")";
  if (far)
    sizes += " + ws_round(lq * " + qRow + ") + ws_round(len * " + kRow + ")";
  sizes += " + ws_round(len * " + G + " * " + D + " * " + std::to_string(kBytes) + ") + ws_round(len * " + G +
           " * " + Dv + " * " + std::to_string(vBytes) + ") + ws_round(len * 8)";
  c << "int64_t " << n << "_prefill_cache_gpu_workspace(int64_t lq, int64_t len) {\n"
    << "  if (lq < 0 || len < 0) return -1;\n"
    << "  return " << sizes << ";\n}\n\n";
  emitShapeTable(c, n + "_prefill_cache_shapes", bufs);
  const std::string what = n + "_prefill_cache_gpu", vwhat = n + "_prefill_cache_varlen_gpu";
  // The body of `if (...) {`: the error set, -1 returned; `in` indents it.
  auto failOf = [&](const std::string &fn, const std::string &fmt, const std::string &args,
                    const std::string &in = "") {
    return in + "    attnc_cuda_fail(&library, \"" + fn + ": " + fmt + "\"" + (args.empty() ? "" : ", " + args) +
           ");\n" + in + "    return -1;\n" + in + "  }\n";
  };
  auto fail = [&](const std::string &fmt, const std::string &args) { return failOf(what, fmt, args); };
  // Shared by both entry points: the kernel inputs' locals, bound to the
  // buffers from `at` on; the workspace's parts (qf, kf [, qg, kg], then
  // the gathered K, V and positions) for lq queries and len keys.
  auto declareInputs = [&] {
    for (const KernelInput &in : s.inputs)
      c << "  const void *" << in.name << ";\n  int64_t " << in.name << "_n0"
        << (in.dims.size() == 2 ? ", " + in.name + "_n1" : "") << ";\n";
  };
  auto bindInputs = [&](size_t at) {
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      const std::string b = "b[" + std::to_string(at + i) + "]", name = s.inputs[i].name;
      c << "  " << name << " = " << b << ".data;\n  " << name << "_n0 = " << b << ".sizes[0];\n";
      if (s.inputs[i].dims.size() == 2)
        c << "  " << name << "_n1 = " << b << ".sizes[1];\n";
    }
  };
  auto carveWorkspace = [&](const std::string &buffer) {
    c << "  ws = (char *)" << buffer << ".data;\n"
      << "  qf = (float *)ws;\n  ws += ws_round(lq * " << qRow << ");\n"
      << "  kf = (float *)ws;\n  ws += ws_round(len * " << kRow << ");\n";
    if (far)
      c << "  qg = (float *)ws;\n  ws += ws_round(lq * " << qRow << ");\n"
        << "  kg = (float *)ws;\n  ws += ws_round(len * " << kRow << ");\n";
    c << "  k = ws;\n  ws += ws_round(len * " << G << " * " << D << " * " << kBytes << ");\n"
      << "  v = ws;\n  ws += ws_round(len * " << G << " * " << Dv << " * " << vBytes << ");\n"
      << "  k_pos = (const int64_t *)ws;\n";
  };
  // The gather's launch over `tokens` tokens (a C expression), `args` pushed.
  auto launchGather = [&](const std::vector<KernelArg> &args, const std::string &tokens) {
    emitPushes(c, args, "    ");
    c << "    items = " << tokens << " * " << G << ";\n"
      << "    if (attnc_cuda_launch(&library, gather, \"" << gatherName
      << "\", (unsigned)((items + 127) / 128), 1, 128, p, n, stream)) return -1;\n";
  };
  // A function's opening: its signature and the locals both share.
  auto open = [&](const std::string &signature, const std::string &moreInts, const std::string &morePtrs) {
    c << signature << " {\n"
      << "  uint64_t p[ATTNC_CUDA_MAX_PARAMS];\n  int n;\n  attnc_CUfunction gather, prepare, rows;\n"
      << "  int64_t items, lq, lk, sequences, capacity, need" << moreInts << ";\n"
      << "  const void *q, *k, *v;\n  const int64_t *q_pos, *k_pos" << morePtrs << ";\n  void *out;\n"
      << "  float *lse, *qf, *kf" << (far ? ", *qg, *kg" : "") << ";\n  char *ws;\n";
    declareInputs();
  };
  open("int " + what + "(const " + lib + "_gpu_buffer *b, int64_t num, int64_t seq, int64_t len, void *stream)",
       ", batch", "");
  c << "  if (check_buffers(\"" << what << "\", " << n << "_prefill_cache_shapes, " << bufs.size()
    << ", b, num)) return -1;\n"
    << "  lq = b[0].sizes[0];\n"
    << "  if (b[1].sizes[0] != lq || b[" << outAt << "].sizes[0] != lq"
    << (s.lse ? " || b[" + std::to_string(outAt + 1) + "].sizes[0] != lq" : "") << ") {\n"
    << fail(std::string(s.lse ? "q_pos, out and lse" : "q_pos and out") + " must have q's %lld rows", "(long long)lq");
  if (pageTable >= 0)
    c << "  sequences = b[" << pageTable << "].sizes[0];\n  capacity = b[" << pageTable << "].sizes[1] * "
      << pageSize << ";\n";
  else
    c << "  sequences = b[" << kCache << "].sizes[0];\n  capacity = b[" << posCache << "].sizes[1];\n";
  c << "  if (seq < 0 || seq >= sequences) {\n"
    << fail("sequence %lld is not in the cache (%lld sequences)", "(long long)seq, (long long)sequences")
    << "  if (len < 0 || len > capacity) {\n"
    << fail("len %lld is past the cache's capacity of %lld tokens", "(long long)len, (long long)capacity")
    << "  need = " << n << "_prefill_cache_gpu_workspace(lq, len);\n"
    << "  if (b[" << workspaceAt << "].sizes[0] < need) {\n"
    << fail("the workspace has %lld bytes, needs %lld (" + n + "_prefill_cache_gpu_workspace)",
            "(long long)b[" + std::to_string(workspaceAt) + "].sizes[0], (long long)need")
    << "  if (!attnc_cuda_tensor_cores()) {\n"
    << fail("runs on tensor cores only (ATTNC_GPU_CUDA_CORES is set)", "")
    << "  if (lq == 0) return 0;\n"
    << "  q = b[0].data;\n  q_pos = (const int64_t *)b[1].data;\n  out = b[" << outAt << "].data;\n"
    << "  lse = " << (s.lse ? "(float *)b[" + std::to_string(outAt + 1) + "].data" : std::string("NULL")) << ";\n"
    << "  (void)lse;\n";
  bindInputs(inputsAt);
  c << "  /* The workspace: qf, kf" << (far ? ", qg, kg" : "") << " (the prefill's scratch), then the gathered K, V and positions. */\n";
  carveWorkspace("b[" + std::to_string(workspaceAt) + "]");
  c << "  lk = len;\n  batch = seq;\n"
    << "  if (len > 0) {\n"
    << "    if (attnc_cuda_function(&library, \"" << gatherName << "\", &gather)) return -1;\n";
  c << "    /* The sequence's rows out of the cache: a (token, KV head) per thread. */\n";
  launchGather(gatherArgs, "len");
  c << "  }\n  {\n";
  emitTensorCorePrepare(c, tokName, tcName, tok, tcArgs);
  c << "    /* Tensor cores: a block per (query tile, head), its shape the loaded image's. */\n";
  emitTensorCoreLaunch(c, tcName, tcName, s.heads, "lq");
  c << "  }\n}\n\n";

  h << "/* " << n << ", prefill over the cache (tensor cores): the queries q [lq][" << H << "][" << D
    << "] at q_pos attend to\n * the first `len` tokens of cache sequence `seq` under the spec's mask by positions\n"
    << " * (kernel inputs at batch index seq). Buffers " << bufs.size() << ", in this order:\n"
    << commentLines(describeBuffers(bufs) + ".")
    << " * The workspace (device memory) holds at least " << n << "_prefill_cache_gpu_workspace(lq, len)\n"
    << " * bytes. Append the chunk's tokens first (NAME_append_gpu), then call this. */\n"
    << "int64_t " << n << "_prefill_cache_gpu_workspace(int64_t lq, int64_t len);\n"
    << "int " << what << "(const " << lib << "_gpu_buffer *b, int64_t num, int64_t seq, int64_t len, void *stream);\n\n";
  cases << "  if (!strcmp(spec, \"" << n << "\")) return " << what << "(b, num, seq, len, stream);\n";
  workspaceCases << "  if (!strcmp(spec, \"" << n << "\")) return " << n << "_prefill_cache_gpu_workspace(lq, len);\n";

  // A batch (NAME_prefill_cache_varlen_gpu, FlashInfer's batch prefill over
  // a paged cache): entry e is queries cu_q[e] .. cu_q[e+1]-1 over the first
  // cu_k[e+1] - cu_k[e] tokens of cache sequence seq_host[e]. The gather runs
  // once per entry into the packed workspace rows cu_k[e].., then the varlen
  // preparation and tensor-core kernel run the batch in two launches.
  const std::string varTokName = n + "_prefill_cache_varlen_prepare_tok_gpu",
                    varTcName = n + "_prefill_varlen_tc_gpu";
  if (!funcs.count(varTokName) || !funcs.count(varTcName))
    return "no " + varTokName + " or " + varTcName;
  std::vector<CacheBuffer> vbufs(bufs.begin(), bufs.begin() + 2);
  for (const char *name : {"cu_q", "cu_k"})
    vbufs.push_back({name, mlir::MemRefType::get({mlir::ShapedType::kDynamic},
                                                 mlir::IntegerType::get(gm.getContext(), 64))});
  vbufs.insert(vbufs.end(), bufs.begin() + 2, bufs.end());
  auto shifted = [](size_t i) { return std::to_string(i + 2); };
  std::vector<KernelArg> varTok, varTc, varGather;
  varlenArgs(tok, tcArgs, varTok, varTc);
  for (size_t i = cacheAt; i < cacheAt + cacheCount; ++i) {
    KernelArg a{"b[" + shifted(i) + "].data", {}};
    for (int64_t d = 0; d < vbufs[i + 2].type.getRank(); ++d)
      a.dims.push_back("b[" + shifted(i) + "].sizes[" + std::to_string(d) + "]");
    varGather.push_back(a);
  }
  varGather.push_back({"(const char *)k + k0 * " + G + " * " + D + " * " + std::to_string(kBytes), {"lk", G, D}});
  varGather.push_back({"(const char *)v + k0 * " + G + " * " + Dv + " * " + std::to_string(vBytes), {"lk", G, Dv}});
  varGather.push_back({"k_pos + k0", {"lk"}});
  varGather.push_back({"", {"seq"}});
  for (auto [kernel, args] : {std::pair{varTokName, &varTok}, std::pair{varTcName, &varTc}})
    if (std::string why = checkSignature(funcs[kernel], *args); !why.empty())
      return kernel + " has " + why;
  emitShapeTable(c, n + "_prefill_cache_varlen_shapes", vbufs);
  auto vfail = [&](const std::string &fmt, const std::string &args, const std::string &in = "") {
    return failOf(vwhat, fmt, args, in);
  };
  const std::string vOut = shifted(outAt), vWs = shifted(workspaceAt);
  open("int " + vwhat + "(const " + lib + "_gpu_buffer *b, int64_t num, int64_t nseq, const int64_t *seq_host,\n"
       "    const int64_t *cu_q_host, const int64_t *cu_k_host, void *stream)",
       ", len, seq, e, k0, longest = 0", ", *cu_q, *cu_k");
  c << "  if (check_buffers(\"" << vwhat << "\", " << n << "_prefill_cache_varlen_shapes, " << vbufs.size()
    << ", b, num)) return -1;\n"
    << "  if (nseq < 0 || nseq > 65535 || !seq_host || !cu_q_host || !cu_k_host || cu_q_host[0] != 0 ||\n"
    << "      cu_k_host[0] != 0) {\n"
    << vfail("nseq must be 0..65535 and seq_host, cu_q_host and cu_k_host given, the offsets from 0", "")
    << "  if (b[2].sizes[0] != nseq + 1 || b[3].sizes[0] != nseq + 1) {\n"
    << vfail("cu_q and cu_k must have nseq + 1 = %lld entries", "(long long)(nseq + 1)");
  if (pageTable >= 0)
    c << "  sequences = b[" << shifted(pageTable) << "].sizes[0];\n  capacity = b[" << shifted(pageTable)
      << "].sizes[1] * " << pageSize << ";\n";
  else
    c << "  sequences = b[" << shifted(kCache) << "].sizes[0];\n  capacity = b[" << shifted(posCache)
      << "].sizes[1];\n";
  c << "  for (e = 0; e < nseq; ++e) {\n"
    << "    lq = cu_q_host[e + 1] - cu_q_host[e], len = cu_k_host[e + 1] - cu_k_host[e];\n"
    << "    if (lq < 0 || len < 0) {\n"
    << vfail("entry %lld has a negative length", "(long long)e", "  ")
    << "    if (seq_host[e] < 0 || seq_host[e] >= sequences) {\n"
    << vfail("entry %lld: sequence %lld is not in the cache (%lld sequences)",
             "(long long)e, (long long)seq_host[e], (long long)sequences", "  ")
    << "    if (len > capacity) {\n"
    << vfail("entry %lld: len %lld is past the cache's capacity of %lld tokens",
             "(long long)e, (long long)len, (long long)capacity", "  ")
    << "    if (lq > longest) longest = lq;\n  }\n"
    << "  lq = cu_q_host[nseq], len = cu_k_host[nseq];\n"
    << "  if (b[0].sizes[0] != lq || b[1].sizes[0] != lq || b[" << vOut << "].sizes[0] != lq"
    << (s.lse ? " || b[" + shifted(outAt + 1) + "].sizes[0] != lq" : "") << ") {\n"
    << vfail(std::string(s.lse ? "q, q_pos, out and lse" : "q, q_pos and out") +
                 " must have cu_q_host[nseq] = %lld rows",
             "(long long)lq")
    << "  need = " << n << "_prefill_cache_gpu_workspace(lq, len);\n"
    << "  if (b[" << vWs << "].sizes[0] < need) {\n"
    << vfail("the workspace has %lld bytes, needs %lld (" + n +
                 "_prefill_cache_gpu_workspace of the total queries and keys)",
             "(long long)b[" + vWs + "].sizes[0], (long long)need")
    << "  if (!attnc_cuda_tensor_cores()) {\n"
    << vfail("runs on tensor cores only (ATTNC_GPU_CUDA_CORES is set)", "")
    << "  if (lq == 0) return 0;\n"
    << "  q = b[0].data;\n  q_pos = (const int64_t *)b[1].data;\n"
    << "  cu_q = (const int64_t *)b[2].data;\n  cu_k = (const int64_t *)b[3].data;\n"
    << "  out = b[" << vOut << "].data;\n"
    << "  lse = " << (s.lse ? "(float *)b[" + shifted(outAt + 1) + "].data" : std::string("NULL")) << ";\n"
    << "  (void)lse;\n";
  bindInputs(inputsAt + 2);
  c << "  /* The workspace as for " << what << ", sized for the totals. */\n";
  carveWorkspace("b[" + vWs + "]");
  c << "  if (len > 0 && attnc_cuda_function(&library, \"" << gatherName << "\", &gather)) return -1;\n"
    << "  /* Each entry's rows out of the cache into packed rows cu_k[e]..: a (token, KV head) per thread. */\n"
    << "  for (e = 0; e < nseq; ++e) {\n"
    << "    k0 = cu_k_host[e];\n    lk = cu_k_host[e + 1] - k0;\n    seq = seq_host[e];\n"
    << "    if (lk == 0) continue;\n";
  launchGather(varGather, "lk");
  c << "  }\n  lk = len;\n  {\n";
  emitTensorCorePrepare(c, varTokName, varTcName, varTok, varTc);
  c << "    /* A block per (query tile, head, entry); tiles past an entry's queries return. */\n";
  emitTensorCoreLaunch(c, varTcName, tcName, s.heads, "longest", "nseq");
  c << "  }\n}\n\n";
  h << "/* " << n << ", a batch over the cache: entry e is queries cu_q[e] .. cu_q[e+1]-1 (packed) over the\n"
    << " * first cu_k[e+1] - cu_k[e] tokens of cache sequence seq_host[e] (entries may share a sequence;\n"
    << " * kernel inputs at batch index e). cu_q, cu_k on the device, the same nseq + 1 offsets on the\n"
    << " * host (from 0, never decreasing). Buffers " << vbufs.size() << ", in this order:\n"
    << commentLines(describeBuffers(vbufs) + ".")
    << " * The workspace holds " << n << "_prefill_cache_gpu_workspace(cu_q_host[nseq], cu_k_host[nseq]) bytes. */\n"
    << "int " << vwhat << "(const " << lib << "_gpu_buffer *b, int64_t num, int64_t nseq, const int64_t *seq_host,\n"
    << "    const int64_t *cu_q_host, const int64_t *cu_k_host, void *stream);\n\n";
  varlenCases << "  if (!strcmp(spec, \"" << n << "\")) return " << vwhat
              << "(b, num, nseq, seq_host, cu_q_host, cu_k_host, stream);\n";
  emitted = true;
  return "";
}

/// The model operations of attn-add-model-ops: LIB_gpu_rmsnorm (a row per
/// block in the GPU pipeline's form) and LIB_gpu_swiglu (an element per
/// thread). An error message on a signature mismatch.
std::string emitModelOpsGlue(const std::string &lib, std::map<std::string, mlir::gpu::GPUFuncOp> &funcs,
                             llvm::raw_ostream &c, llvm::raw_ostream &h) {
  const std::vector<KernelArg> rmsnorm = {{"x", {"rows", "dim"}}, {"w", {"dim"}}, {"out", {"rows", "dim"}},
                                          {"", {"(int64_t)eps_bits"}}},
                               swiglu = {{"gate", {"count"}}, {"up", {"count"}}, {"out", {"count"}}};
  for (auto [kernel, args] : {std::pair{"attnc_model_rmsnorm_rows_gpu", &rmsnorm},
                              std::pair{"attnc_model_swiglu_rows_gpu", &swiglu}}) {
    if (!funcs.count(kernel))
      return std::string("no kernel ") + kernel;
    if (std::string why = checkSignature(funcs[kernel], *args); !why.empty())
      return std::string(kernel) + " has " + why;
  }
  int64_t normThreads = 0;
  if (auto a = funcs["attnc_model_rmsnorm_rows_gpu"]->getAttrOfType<mlir::IntegerAttr>("attn.block_threads"))
    normThreads = a.getInt();
  c << "int " << lib << "_gpu_rmsnorm(const float *x, const float *w, float *out, int64_t rows, int64_t dim,\n"
    << "    float eps, void *stream) {\n"
    << "  uint64_t p[ATTNC_CUDA_MAX_PARAMS];\n  int n;\n  uint32_t eps_bits;\n  attnc_CUfunction f;\n"
    << "  if (rows < 0 || dim <= 0) {\n"
    << "    attnc_cuda_fail(&library, \"" << lib << "_gpu_rmsnorm: %lld rows of %lld\", (long long)rows, (long long)dim);\n"
    << "    return -1;\n  }\n"
    << "  if (rows == 0) return 0;\n"
    << "  memcpy(&eps_bits, &eps, 4);\n"
    << "  if (attnc_cuda_function(&library, \"attnc_model_rmsnorm_rows_gpu\", &f)) return -1;\n";
  emitPushes(c, rmsnorm);
  if (normThreads)
    c << "  /* One row per block of " << normThreads << " threads. */\n"
      << "  if (attnc_cuda_launch(&library, f, \"attnc_model_rmsnorm_rows_gpu\", (unsigned)rows, 1, " << normThreads
      << ", p, n, stream)) return -1;\n  return 0;\n}\n\n";
  else
    c << "  /* One row per thread. */\n"
      << "  return attnc_cuda_launch(&library, f, \"attnc_model_rmsnorm_rows_gpu\", (unsigned)((rows + 127) / 128), 1, 128, p, n, stream);\n}\n\n";
  c
    << "int " << lib << "_gpu_swiglu(const float *gate, const float *up, float *out, int64_t count, void *stream) {\n"
    << "  uint64_t p[ATTNC_CUDA_MAX_PARAMS];\n  int n;\n  attnc_CUfunction f;\n"
    << "  if (count < 0) {\n"
    << "    attnc_cuda_fail(&library, \"" << lib << "_gpu_swiglu: negative count\");\n"
    << "    return -1;\n  }\n"
    << "  if (count == 0) return 0;\n"
    << "  if (attnc_cuda_function(&library, \"attnc_model_swiglu_rows_gpu\", &f)) return -1;\n";
  emitPushes(c, swiglu);
  c << "  /* One element per thread. */\n"
    << "  return attnc_cuda_launch(&library, f, \"attnc_model_swiglu_rows_gpu\", (unsigned)((count + 127) / 128), 1, 128, p, n, stream);\n}\n\n";
  h << "/* The element-wise operations of a llama-family model (attn-add-model-ops), on device\n"
    << " * pointers, enqueued on `stream`: out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w for\n"
    << " * rows x [rows][dim] (out may be x), and out[e] = gate[e] / (1 + exp(-gate[e])) * up[e].\n"
    << " * 0, or -1 with the error set. */\n"
    << "int " << lib << "_gpu_rmsnorm(const float *x, const float *w, float *out, int64_t rows, int64_t dim,\n"
    << "    float eps, void *stream);\n"
    << "int " << lib << "_gpu_swiglu(const float *gate, const float *up, float *out, int64_t count, void *stream);\n\n";
  return "";
}

int run(const std::string &program, const std::vector<llvm::StringRef> &args,
        const std::string &what) {
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(program, args, std::nullopt, {}, 0, 0, &msg);
  if (rc != 0)
    return error(what + " failed" + (msg.empty() ? "" : ": " + msg));
  return 0;
}

} // namespace

void attnc::registerGPUCompilation(mlir::DialectRegistry &registry) {
  registerAttnDialects(registry);
  registry.insert<mlir::gpu::GPUDialect, mlir::NVVM::NVVMDialect>();
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerGPUDialectTranslation(registry);
  mlir::registerNVVMDialectTranslation(registry);
}

int attnc::runBuildGPU(const std::vector<Spec> &specs, const BuildOptions &opts) {
  const std::string lib = opts.libName;
  auto path = [&](const std::string &file) {
    llvm::SmallString<256> p(opts.outDir);
    llvm::sys::path::append(p, file);
    return std::string(p);
  };

  // Architectures: sm_XY, one per compute capability major (a cubin serves
  // every later minor of its major), lowest first.
  std::vector<Arch> archs;
  for (const std::string &name : opts.gpuArchs) {
    unsigned cc = 0;
    // sm_90a: Hopper's arch-specific features (wgmma), which no later
    // architecture runs; no other "a" target has a kernel form here.
    llvm::StringRef number = llvm::StringRef(name).drop_front(3);
    if (name == "sm_90a")
      number = "90";
    if (!llvm::StringRef(name).starts_with("sm_") || number.getAsInteger(10, cc) || cc < 80 || cc > 129)
      // The tensor-core prefill needs sm_80: cp.async, bf16 mma.sync.
      return error("--gpu-arch: '" + name +
                   "' is not an architecture sm_80 .. sm_129 or sm_90a (e.g. sm_80,sm_90a)");
    for (const Arch &a : archs)
      if (a.major == (int)cc / 10)
        return error("--gpu-arch: " + a.name + " and " + name +
                     " serve the same compute capability major; name one");
    archs.push_back({name, (int)cc / 10, "", ""});
  }
  if (archs.empty())
    return error("--gpu-arch names no architecture");
  std::sort(archs.begin(), archs.end(), [](const Arch &a, const Arch &b) { return a.major < b.major; });
  if (!llvm::sys::fs::exists(opts.libdevice))
    return error("libdevice not found at '" + opts.libdevice +
                 "' (install the CUDA toolkit or pass --libdevice)");
  std::string ptxas = opts.ptxas;
  if (ptxas.empty()) {
    if (auto p = llvm::sys::findProgramByName("ptxas"))
      ptxas = *p;
    else if (llvm::sys::fs::can_execute("/usr/local/cuda/bin/ptxas"))
      ptxas = "/usr/local/cuda/bin/ptxas";
    else
      return error("ptxas not found (CUDA toolkit): put it on PATH or pass --ptxas");
  }

  mlir::DialectRegistry registry;
  registerGPUCompilation(registry);
  mlir::MLIRContext context(registry);

  // The C glue, checked against the first architecture's gpu.func signatures.
  std::string glue;
  llvm::raw_string_ostream c(glue);
  std::string header;
  llvm::raw_string_ostream h(header);
  std::string dispatch; // LIB_gpu_prefill's cases
  llvm::raw_string_ostream dc(dispatch);
  std::string decodeCases, appendCases, varlenCases; // LIB_gpu_decode's, LIB_gpu_append's, LIB_gpu_prefill_varlen's
  llvm::raw_string_ostream varlenDispatch(varlenCases);
  // LIB_gpu_prefill_cache's, LIB_gpu_prefill_cache_workspace's, LIB_gpu_prefill_cache_varlen's
  std::string prefillCacheCases, workspaceCases, prefillCacheVarlenCases;
  llvm::raw_string_ostream prefillCacheDispatch(prefillCacheCases), workspaceDispatch(workspaceCases),
      prefillCacheVarlenDispatch(prefillCacheVarlenCases);
  llvm::raw_string_ostream decodeDispatch(decodeCases), appendDispatch(appendCases);
  // kernel -> compute capability major -> bytes of dynamic shared memory,
  // and the block's queries and threads.
  std::map<std::string, std::map<int, int64_t>> dynamicShared, blockQueries, blockThreads;
  std::vector<std::string> tensorCoreKernels; // NAME_prefill_tc_gpu of the specs that have one
  for (Arch &arch : archs) {
    mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(context, specs);
    if (!module)
      return error("could not generate MLIR");
    mlir::PassManager outline(&context);
    mlir::attn::buildOutlineGPUPipeline(outline, mlir::attn::usesWarpgroupMma(arch.name), tensorCoreOptions(opts));
    if (mlir::failed(outline.run(*module)))
      return error("outlining the GPU kernels failed");
    // Each architecture's tensor-core kernels may want dynamic shared memory
    // (the wgmma window): the glue asks for the loaded image's.
    module->walk([&](mlir::gpu::GPUFuncOp f) {
      if (auto bytes = f->getAttrOfType<mlir::IntegerAttr>("attn.dynamic_shared_bytes"))
        dynamicShared[f.getName().str()][arch.major] = bytes.getInt();
      if (auto block = f->getAttrOfType<mlir::DenseI64ArrayAttr>("attn.tensor_core_block");
          block && block.size() == 2) {
        blockQueries[f.getName().str()][arch.major] = block[0];
        blockThreads[f.getName().str()][arch.major] = block[1];
      }
    });
    if (&arch == &archs.front()) {
      std::map<std::string, mlir::gpu::GPUFuncOp> funcs;
      module->walk([&](mlir::gpu::GPUFuncOp f) { funcs[f.getName().str()] = f; });
      for (const Spec &s : specs) {
        const bool far = s.position.kind == PositionKind::RoPE &&
                         s.position.remap.kind != RopeRemapKind::None;
        std::vector<KernelArg> prepare, rows;
        prefillArgs(s, far, prepare, rows);
        const std::string n = s.name, prepName = n + "_prefill_prepare_gpu",
                          rowsName = n + "_prefill_rows_gpu", tokName = n + "_prefill_prepare_tok_gpu",
                          tcName = n + "_prefill_tc_gpu";
        // The tensor-core pair (attn-lower-prefill-tensor-core) takes the
        // same parameters as prepare and rows.
        const bool tc = funcs.count(tcName) && funcs.count(tokName);
        std::vector<KernelArg> tok, tcArgs;
        if (tc)
          tensorCoreArgs(s, prepare, rows, tok, tcArgs);
        std::vector<std::pair<std::string, std::vector<KernelArg> *>> kernels = {{prepName, &prepare},
                                                                                 {rowsName, &rows}};
        if (tc)
          kernels.insert(kernels.end(), {{tokName, &tok}, {tcName, &tcArgs}});
        for (auto [kernel, args] : kernels) {
          auto it = funcs.find(kernel);
          if (it == funcs.end())
            return error("internal: no GPU kernel " + kernel);
          std::string why = checkSignature(it->second, *args);
          if (!why.empty())
            return error("internal: GPU kernel " + kernel + " has " + why);
        }
        const std::string q = cType(s.qType), k = cType(s.kType), v = cType(s.vType),
                          o = cType(s.outType);
        std::string inputs;
        for (const KernelInput &in : s.inputs)
          inputs += ", const " + std::string(cType(in.dtype)) + " *" + in.name + ", int64_t " + in.name +
                    "_n0" + (in.dims.size() == 2 ? ", int64_t " + in.name + "_n1" : "");
        std::string signature =
            "int " + n + "_prefill_gpu(const " + q + " *q, int64_t lq, const " + k + " *k, const " + v +
            " *v, int64_t lk, const int64_t *q_pos, const int64_t *k_pos, int64_t batch" + inputs + ", " +
            o + " *out" + (s.lse ? ", float *lse" : "") + ", float *qf, float *kf" +
            (far ? ", float *qg, float *kg" : "") + ", void *stream)";
        dc << byNameCase(s, far, n + "_prefill_gpu(a->q, a->lq, a->k, a->v, a->lk, a->q_pos, a->k_pos, a->batch");
        h << "/* " << n << ": heads " << s.heads << ", kv_heads " << s.kvHeads << ", head_dim " << s.headDim
          << ", value_dim " << s.valueDim << ", q/k/v/out " << dtypeName(s.qType) << "/" << dtypeName(s.kType)
          << "/" << dtypeName(s.vType) << "/" << dtypeName(s.outType) << ". */\n"
          << signature << ";\n\n";
        if (tc) {
          c << "static unsigned " << tcName << "_dynamic_shared(void);\n"
            << "static unsigned " << tcName << "_block_queries(void);\n"
            << "static unsigned " << tcName << "_block_threads(void);\n";
          tensorCoreKernels.push_back(tcName);
        }
        c << signature << " {\n"
          << "  uint64_t p[ATTNC_CUDA_MAX_PARAMS];\n  int n;\n  attnc_CUfunction prepare, rows;\n"
          << "  int64_t items;\n"
          << "  if (lq < 0 || lk < 0) {\n"
          << "    attnc_cuda_fail(&library, \"" << n << "_prefill_gpu: negative length\");\n"
          << "    return -1;\n  }\n"
          << "  if (lq == 0) return 0;\n";
        if (tc) {
          c << "  if (attnc_cuda_tensor_cores()) {\n";
          emitTensorCorePrepare(c, tokName, tcName, tok, tcArgs);
          c << "    /* Tensor cores: a block per (query tile, head), its shape the loaded image's. */\n";
          emitTensorCoreLaunch(c, tcName, tcName, s.heads, "lq");
          c << "  }\n";
        }
        c << "  if (attnc_cuda_function(&library, \"" << prepName << "\", &prepare) ||\n"
          << "      attnc_cuda_function(&library, \"" << rowsName << "\", &rows)) return -1;\n";
        emitPushes(c, prepare);
        c << "  /* RoPE preparation: one thread (the kernel's own loop). */\n"
          << "  if (attnc_cuda_launch(&library, prepare, \"" << prepName << "\", 1, 1, 1, p, n, stream)) return -1;\n";
        emitPushes(c, rows);
        c << "  /* One (query, head) item per thread; the kernel ignores items past lq * heads. */\n"
          << "  items = lq * " << s.heads << ";\n"
          << "  return attnc_cuda_launch(&library, rows, \"" << rowsName
          << "\", (unsigned)((items + 127) / 128), 1, 128, p, n, stream);\n}\n\n";
        if (std::string why = emitVarlenGlue(s, far, tc, tok, tcArgs, funcs, c, h, varlenDispatch); !why.empty())
          return error("internal: the GPU ragged-batch prefill of " + n + ": " + why);
        auto gm = *module->getOps<mlir::gpu::GPUModuleOp>().begin();
        if (std::string why = emitCacheGlue(lib, n, s.heads, s.kvHeads, gm, funcs, c, h, decodeDispatch,
                                            appendDispatch);
            !why.empty())
          return error("internal: the GPU cache kernels of " + n + ": " + why);
        bool cachePrefill = false;
        if (std::string why = emitPrefillCacheGlue(lib, s, far, gm, funcs, c, h, prefillCacheDispatch,
                                                   workspaceDispatch, prefillCacheVarlenDispatch, cachePrefill);
            !why.empty())
          return error("internal: the GPU prefill over the cache of " + n + ": " + why);
      }
      if (std::string why = emitModelOpsGlue(lib, funcs, c, h); !why.empty())
        return error("internal: the GPU model operations: " + why);
    }
    mlir::PassManager binary(&context);
    mlir::attn::buildGPUModuleToBinaryPipeline(binary, arch.name, opts.libdevice);
    if (mlir::failed(binary.run(*module)))
      return error("lowering the GPU kernels to PTX for " + arch.name + " failed");
    module->walk([&](mlir::gpu::BinaryOp b) {
      for (mlir::Attribute object : b.getObjects())
        arch.ptx = mlir::cast<mlir::gpu::ObjectAttr>(object).getObject().getValue().rtrim('\0').str();
    });
    if (arch.ptx.empty())
      return error("no PTX was produced for " + arch.name);
    std::string err, ptxPath = path(lib + "_gpu." + arch.name + ".ptx"),
                     cubinPath = path(lib + "_gpu." + arch.name + ".cubin");
    if (!writeFile(ptxPath, arch.ptx, err))
      return error(err);
    if (int rc = run(ptxas, {ptxas, "-arch=" + arch.name, ptxPath, "-o", cubinPath},
                     "ptxas -arch=" + arch.name))
      return rc;
    auto cubin = llvm::MemoryBuffer::getFile(cubinPath);
    if (!cubin)
      return error("cannot read '" + cubinPath + "'");
    arch.cubin = (*cubin)->getBuffer().str();
  }

  // The dynamic shared memory of each tensor-core kernel in the loaded
  // image (the PTX is the lowest architecture's).
  for (const std::string &kernel : tensorCoreKernels)
    for (auto [what, values] : {std::pair{"dynamic_shared", &dynamicShared}, std::pair{"block_queries", &blockQueries},
                                std::pair{"block_threads", &blockThreads}}) {
      std::map<int, int64_t> &perMajor = (*values)[kernel];
      // Every image has the kernel (the same specs lower for each architecture).
      if (perMajor.size() != archs.size() && std::string(what) != "dynamic_shared")
        return error("internal: " + kernel + " states no block shape for every architecture");
      c << "static unsigned " << kernel << "_" << what << "(void) {\n  switch (library.loadedMajor) {\n";
      for (const Arch &a : archs)
        c << "  case " << a.major << ": return " << perMajor[a.major] << "u;\n";
      c << "  default: return " << perMajor[archs.front().major] << "u;\n  }\n}\n\n";
    }

  std::string err;
  std::string imagesPath = path(lib + "_gpu_images.o");
  if (!emitImagesObject(lib, archs, imagesPath, err))
    return error(err);

  // The loader and the glue.
  std::string source;
  llvm::raw_string_ostream src(source);
  src << "/* Generated by attnc build --gpu-arch: host glue of the GPU kernels of " << lib << ". */\n"
      << "#include \"attnc_cuda.h\"\n#include \"" << lib << "_gpu.h\"\n\n";
  for (const Arch &a : archs)
    src << "extern const unsigned char attnc_gpu_" << lib << "_" << a.name << "[];\n"
        << "extern const uint64_t attnc_gpu_" << lib << "_" << a.name << "_size;\n";
  src << "extern const char attnc_gpu_" << lib << "_ptx[];\n\n"
      << "static attnc_cuda_image images[" << archs.size() << "];\n"
      << "static attnc_cuda_library library = ATTNC_CUDA_LIBRARY_INIT(\"" << lib << "_gpu\", images, "
      << archs.size() << ", attnc_gpu_" << lib << "_ptx);\n\n"
      << "__attribute__((constructor)) static void init_images(void) {\n";
  for (size_t i = 0; i < archs.size(); ++i)
    src << "  images[" << i << "].arch = \"" << archs[i].name << "\";\n"
        << "  images[" << i << "].major = " << archs[i].major << ";\n"
        << "  images[" << i << "].image = attnc_gpu_" << lib << "_" << archs[i].name << ";\n"
        << "  images[" << i << "].size = (size_t)attnc_gpu_" << lib << "_" << archs[i].name << "_size;\n";
  src << "}\n\n"
      << "const char *" << lib << "_gpu_error(void) { return library.error; }\n\n"
      << "/* A cache kernel's buffer: its name, rank and sizes (-1: any). */\n"
      << "typedef struct { const char *name; int rank; int64_t sizes[4]; } attnc_gpu_shape;\n\n"
      << "static int check_buffers(const char *what, const attnc_gpu_shape *shapes, int64_t expected,\n"
      << "                         const " << lib << "_gpu_buffer *b, int64_t num) {\n"
      << "  int64_t i, d;\n"
      << "  if (!b || num != expected) {\n"
      << "    attnc_cuda_fail(&library, \"%s takes %lld buffers, got %lld\", what, (long long)expected, (long long)num);\n"
      << "    return -1;\n  }\n"
      << "  for (i = 0; i < num; ++i) {\n"
      << "    if (b[i].rank != shapes[i].rank) {\n"
      << "      attnc_cuda_fail(&library, \"%s: buffer %lld (%s) must have %d dimensions, has %lld\", what,\n"
      << "                      (long long)i, shapes[i].name, shapes[i].rank, (long long)b[i].rank);\n"
      << "      return -1;\n    }\n"
      << "    for (d = 0; d < b[i].rank; ++d)\n"
      << "      if (b[i].sizes[d] < 0 || (shapes[i].sizes[d] >= 0 && b[i].sizes[d] != shapes[i].sizes[d])) {\n"
      << "        attnc_cuda_fail(&library, \"%s: buffer %lld (%s) size %lld is %lld, must be %s%lld\", what,\n"
      << "                        (long long)i, shapes[i].name, (long long)d, (long long)b[i].sizes[d],\n"
      << "                        shapes[i].sizes[d] >= 0 ? \"\" : \">= \", (long long)(shapes[i].sizes[d] >= 0 ? shapes[i].sizes[d] : 0));\n"
      << "        return -1;\n      }\n"
      << "  }\n  return 0;\n}\n\n"
      << "/* Workspace parts start 256-byte aligned. */\n"
      << "static __attribute__((unused)) int64_t ws_round(int64_t bytes) { return (bytes + 255) / 256 * 256; }\n\n"
      << "static const char *const spec_names[] = {";
  for (const Spec &sp : specs)
    src << "\"" << sp.name << "\", ";
  src << "};\n\n"
      << "int64_t " << lib << "_gpu_num_specs(void) { return " << specs.size() << "; }\n"
      << "const char *" << lib << "_gpu_spec_name(int64_t i) {\n"
      << "  return i >= 0 && i < " << specs.size() << " ? spec_names[i] : NULL;\n}\n\n"
      << "int " << lib << "_gpu_prefill(const char *spec, const " << lib << "_gpu_prefill_args *a) {\n"
      << dispatch
      << "  attnc_cuda_fail(&library, \"no spec '%s' in this library\", spec);\n  return -1;\n}\n\n"
      << "int " << lib << "_gpu_prefill_varlen(const char *spec, const " << lib << "_gpu_prefill_varlen_args *a) {\n"
      << varlenCases
      << "  attnc_cuda_fail(&library, \"no spec '%s' in this library\", spec);\n  return -1;\n}\n\n"
      << "int " << lib << "_gpu_prefill_cache(const char *spec, const " << lib
      << "_gpu_buffer *b, int64_t num, int64_t seq,\n    int64_t len, void *stream) {\n"
      << prefillCacheCases
      << "  attnc_cuda_fail(&library, \"no spec '%s' with a prefill over the cache in this library\", spec);\n  return -1;\n}\n\n"
      << "int64_t " << lib << "_gpu_prefill_cache_workspace(const char *spec, int64_t lq, int64_t len) {\n"
      << workspaceCases << "  return -1;\n}\n\n"
      << "int " << lib << "_gpu_prefill_cache_varlen(const char *spec, const " << lib
      << "_gpu_buffer *b, int64_t num, int64_t nseq,\n    const int64_t *seq_host, const int64_t *cu_q_host, "
         "const int64_t *cu_k_host, void *stream) {\n"
      << prefillCacheVarlenCases
      << "  attnc_cuda_fail(&library, \"no spec '%s' with a prefill over the cache in this library\", spec);\n  return -1;\n}\n\n"
      << "int " << lib << "_gpu_decode(const char *spec, const " << lib << "_gpu_buffer *b, int64_t num, void *stream) {\n"
      << decodeCases
      << "  attnc_cuda_fail(&library, \"no spec '%s' with decode kernels in this library\", spec);\n  return -1;\n}\n\n"
      << "int " << lib << "_gpu_append(const char *spec, const " << lib << "_gpu_buffer *b, int64_t num, int64_t seq,\n"
      << "    int64_t len, int32_t *status, void *stream) {\n"
      << appendCases
      << "  attnc_cuda_fail(&library, \"no spec '%s' with append kernels in this library\", spec);\n  return -1;\n}\n\n"
      << "int " << lib << "_gpu_loaded_arch(void) {\n"
      << "  int major;\n  pthread_mutex_lock(&library.lock);\n"
      << "  major = library.loaded ? library.loadedMajor * 10 : -1;\n"
      << "  pthread_mutex_unlock(&library.lock);\n  return major;\n}\n\n"
      << "const char *" << lib << "_gpu_loaded_image(void) {\n"
      << "  const char *name = NULL;\n  int i;\n  pthread_mutex_lock(&library.lock);\n"
      << "  if (library.loaded) {\n    name = \"ptx\";\n"
      << "    for (i = 0; i < library.imageCount; ++i)\n"
      << "      if (library.loadedMajor && library.images[i].major == library.loadedMajor) name = library.images[i].arch;\n"
      << "  }\n  pthread_mutex_unlock(&library.lock);\n  return name;\n}\n\n"
      << glue;

  std::string guard = "ATTNC_" + llvm::StringRef(lib).upper() + "_GPU_H";
  std::string publicHeader;
  llvm::raw_string_ostream ph(publicHeader);
  ph << "/* Generated by attnc build --gpu-arch " << llvm::join(opts.gpuArchs, ",")
     << ": GPU kernels of " << lib << ".\n"
     << " *\n"
     << " * ABI (stable): the CPU library's (" << lib << ".h) with device pointers. Q\n"
     << " * [lq][heads][head_dim], K [lk][kv_heads][head_dim], V [lk][kv_heads][value_dim],\n"
     << " * out [lq][heads][value_dim], lse [lq][heads], positions int64, kernel inputs as\n"
     << " * in the CPU header; qf, kf (and qg, kg) are float scratch of the sizes of Q and K.\n"
     << " * Each NAME_prefill_gpu enqueues its kernels on `stream` (a CUstream; NULL: the\n"
     << " * legacy default stream) of the calling thread's current CUDA context (none\n"
     << " * current: device 0's primary context) and returns 0, or -1 with the reason in\n"
     << " * " << lib << "_gpu_error(). The CUDA driver (libcuda.so.1) is opened on first use.\n"
     << " * Images: cubins for";
  for (const Arch &a : archs)
    ph << " " << a.name;
  ph << ", and PTX (" << archs.front().name << ") for other devices.\n */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* The message of the last failure (empty if none). */\n"
     << "const char *" << lib << "_gpu_error(void);\n"
     << "/* The loaded cubin's architecture (80, 90...), 0 for the PTX, -1 before the first\n"
     << " * successful call. */\n"
     << "int " << lib << "_gpu_loaded_arch(void);\n"
     << "/* The loaded image by name (\"sm_80\", \"sm_90a\"...; \"ptx\"), NULL before the first\n"
     << " * successful call: sm_90 and sm_90a serve the same devices with different kernels. */\n"
     << "const char *" << lib << "_gpu_loaded_image(void);\n\n"
     << "/* By name: the specs of the library, and a call of one spec's NAME_prefill_gpu with\n"
     << " * its arguments in a struct (kernel inputs in the spec's declaration order, n1 = 0\n"
     << " * for 1-D ones; lse, qg, kg only where the spec has them). -1 with the error set\n"
     << " * for an unknown spec or missing arguments. */\n"
     << "typedef struct { const void *data; int64_t n0, n1; } " << lib << "_gpu_input;\n"
     << "typedef struct {\n"
     << "  const void *q, *k, *v;\n  int64_t lq, lk;\n  const int64_t *q_pos, *k_pos;\n  int64_t batch;\n"
     << "  const " << lib << "_gpu_input *inputs;\n  int64_t num_inputs;\n"
     << "  void *out;\n  float *lse, *qf, *kf, *qg, *kg;\n  void *stream;\n"
     << "} " << lib << "_gpu_prefill_args;\n"
     << "int64_t " << lib << "_gpu_num_specs(void);\n"
     << "const char *" << lib << "_gpu_spec_name(int64_t i);\n"
     << "int " << lib << "_gpu_prefill(const char *spec, const " << lib << "_gpu_prefill_args *args);\n\n"
     << "/* Ragged batches by name (NAME_prefill_varlen_gpu): cu_q, cu_k on the device and the\n"
     << " * same nseq + 1 offsets on the host (cu_q_host, cu_k_host). */\n"
     << "typedef struct {\n"
     << "  const void *q, *k, *v;\n  const int64_t *q_pos, *k_pos;\n"
     << "  const int64_t *cu_q, *cu_k, *cu_q_host, *cu_k_host;\n  int64_t nseq;\n"
     << "  const " << lib << "_gpu_input *inputs;\n  int64_t num_inputs;\n"
     << "  void *out;\n  float *lse, *qf, *kf, *qg, *kg;\n  void *stream;\n"
     << "} " << lib << "_gpu_prefill_varlen_args;\n"
     << "int " << lib << "_gpu_prefill_varlen(const char *spec, const " << lib << "_gpu_prefill_varlen_args *args);\n\n"
     << "/* Decode and cache append (docs/kernels.md, \"GPU decode and append\"): the CPU cache\n"
     << " * kernels' buffers, as device buffers (row-major, `rank` sizes), in the order each spec\n"
     << " * lists below; every size fixed by the spec is checked. NAME_decode_gpu runs the\n"
     << " * split-KV items (row, KV heads, split), S = part_out's second size, then the LSE\n"
     << " * merge into out [, lse]. NAME_append_gpu writes tokens len.. of sequence seq and\n"
     << " * stores its status in the device word *status (0, or the CPU append's codes); nothing\n"
     << " * is written unless it is 0. Both enqueue on `stream` and return 0, or -1 with the\n"
     << " * error set for buffers that do not fit. */\n"
     << "typedef struct { void *data; int64_t rank; int64_t sizes[4]; } " << lib << "_gpu_buffer;\n"
     << "int " << lib << "_gpu_decode(const char *spec, const " << lib << "_gpu_buffer *b, int64_t num, void *stream);\n"
     << "int " << lib << "_gpu_append(const char *spec, const " << lib << "_gpu_buffer *b, int64_t num, int64_t seq,\n"
     << "    int64_t len, int32_t *status, void *stream);\n"
     << "/* Prefill over the cache by name (NAME_prefill_cache_gpu: specs with a tensor-core prefill and a\n"
     << " * contiguous or paged cache), and the workspace it needs (-1: no such spec). */\n"
     << "int " << lib << "_gpu_prefill_cache(const char *spec, const " << lib << "_gpu_buffer *b, int64_t num,\n"
     << "    int64_t seq, int64_t len, void *stream);\n"
     << "int64_t " << lib << "_gpu_prefill_cache_workspace(const char *spec, int64_t lq, int64_t len);\n"
     << "int " << lib << "_gpu_prefill_cache_varlen(const char *spec, const " << lib << "_gpu_buffer *b, int64_t num,\n"
     << "    int64_t nseq, const int64_t *seq_host, const int64_t *cu_q_host, const int64_t *cu_k_host, void *stream);\n\n"
     << header << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";

  std::string headerPath = path(lib + "_gpu.h"), loaderPath = path("attnc_cuda.h"),
              sourcePath = path(lib + "_gpu.c"), gluePath = path(lib + "_gpu.o");
  if (!writeFile(headerPath, publicHeader, err) || !writeFile(loaderPath, kLoaderHeader, err) ||
      !writeFile(sourcePath, source, err))
    return error(err);

  llvm::ErrorOr<std::string> cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    cc = llvm::sys::findProgramByName("clang-19");
  if (!cc)
    return error("no C compiler (cc) found for the GPU host glue");
  if (int rc = run(*cc, {*cc, "-std=c99", "-D_GNU_SOURCE", "-O2", "-fPIC", "-Wall", "-c", sourcePath,
                         "-I", opts.outDir, "-o", gluePath},
                   "compiling " + sourcePath))
    return rc;
  std::string archivePath = path("lib" + lib + "_gpu.a");
  {
    std::vector<llvm::NewArchiveMember> members;
    for (const std::string &obj : {gluePath, imagesPath}) {
      auto member = llvm::NewArchiveMember::getFile(obj, /*Deterministic=*/true);
      if (!member)
        return error("cannot archive '" + obj + "'");
      members.push_back(std::move(*member));
    }
    if (llvm::Error e = llvm::writeArchive(archivePath, members, llvm::SymtabWritingMode::NormalSymtab,
                                           llvm::object::Archive::K_GNU, true, false)) {
      std::string msg;
      llvm::raw_string_ostream os(msg);
      os << e;
      return error("writing '" + archivePath + "' failed: " + msg);
    }
  }
  if (!opts.noShared) {
    std::string sharedPath = path("lib" + lib + "_gpu.so");
    if (int rc = run(*cc, {*cc, "-shared", "-o", sharedPath, gluePath, imagesPath, "-ldl", "-lpthread"},
                     "linking " + sharedPath))
      return rc;
  }
  if (opts.verbose) {
    llvm::outs() << "attnc build: GPU kernels of " << specs.size() << " spec(s) -> " << archivePath
                 << (opts.noShared ? "" : ", lib" + lib + "_gpu.so") << ", " << lib << "_gpu.h (cubins";
    for (const Arch &a : archs)
      llvm::outs() << " " << a.name << " " << a.cubin.size() / 1024 << " KiB";
    llvm::outs() << ", PTX " << archs.front().ptx.size() / 1024 << " KiB)\n";
  }
  return 0;
}
