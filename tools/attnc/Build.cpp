//===- Build.cpp - attnc build: specs to a kernel library -----------------===//
//
// Ahead of time, in process: specs -> attn dialect -> LLVM dialect -> LLVM IR
// -> optimized x86-64 object code for the chosen CPU. The object is archived
// into a static library and linked into a shared one (the system linker only
// links; the code comes from LLVM's code generator), and a C header with the
// ABI is written next to them.
//
//===----------------------------------------------------------------------===//
#include "tools/attnc/Build.h"

#include "codegen/Passes.h"
#include "dsl/MLIRGen.h"
#include "tools/RegisterAll.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/AMX/AMXToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include <cstdlib>
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>

using namespace attnc;

namespace {

int error(const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), "attnc build") << msg << "\n";
  return 1;
}

const char *cType(DType t) { return cElementType(t); }

/// The C header: memref descriptors, the raw C-interface entry points and
/// Ragged-batch prefill (cumulative sequence lengths, as flash_attn_varlen):
/// the plain-pointer wrappers called once per sequence on offset pointers.
/// Host glue only: every sequence runs the spec's own prepare/rows kernels.
void emitVarlenWrappers(llvm::raw_ostream &os, const Spec &s, bool far) {
  const std::string n = s.name, H = std::to_string(s.heads), Hkv = std::to_string(s.kvHeads);
  const std::string D = std::to_string(s.headDim), Dv = std::to_string(s.valueDim);
  const std::string q = cType(s.qType), k = cType(s.kType), v = cType(s.vType), o = cType(s.outType);
  std::string inputsParams, inputsPass;
  for (const KernelInput &in : s.inputs) {
    inputsParams += ", const " + std::string(cType(in.dtype)) + " *" + in.name + ", int64_t " + in.name + "_n0" +
                    (in.dims.size() == 2 ? ", int64_t " + in.name + "_n1" : "");
    inputsPass += ", " + in.name + ", " + in.name + "_n0" + (in.dims.size() == 2 ? ", " + in.name + "_n1" : "");
  }
  const std::string lseParam = s.lse ? ", float *lse" : "";
  const std::string qOff = "cu_q[b] * " + H, kOff = "cu_k[b] * " + Hkv;
  // Offsets of sequence b in the packed buffers.
  const std::string lens = "    int64_t lq = cu_q[b + 1] - cu_q[b], lk = cu_k[b + 1] - cu_k[b];\n";
  os << "/* Ragged batch (cumulative sequence lengths): sequence b is queries\n"
     << " * cu_q[b] .. cu_q[b+1]-1 and keys cu_k[b] .. cu_k[b+1]-1 of the packed q, k, v,\n"
     << " * q_pos, k_pos, out (and scratch qf, kf, sized for the packed totals), with batch\n"
     << " * index b for the kernel inputs; cu_q and cu_k hold nseq + 1 entries. */\n"
     << "static inline int " << n << "_varlen_check(const int64_t *cu_q, const int64_t *cu_k, int64_t nseq) {\n"
     << "  /* 0, or -1: the offsets do not start at 0 or decrease. */\n"
     << "  if (nseq < 0 || cu_q[0] != 0 || cu_k[0] != 0) return -1;\n"
     << "  for (int64_t b = 0; b < nseq; ++b)\n"
     << "    if (cu_q[b + 1] < cu_q[b] || cu_k[b + 1] < cu_k[b]) return -1;\n"
     << "  return 0;\n}\n\n";
  os << "/* Step 1 of a ragged-batch prefill (returns " << n << "_varlen_check()). */\n"
     << "static inline int " << n << "_prefill_varlen_prepare(const " << q << " *q, const " << k
     << " *k, const int64_t *q_pos, const int64_t *k_pos, const int64_t *cu_q, const int64_t *cu_k, int64_t nseq, "
     << "float *qf, float *kf" << (far ? ", float *qg, float *kg" : "") << ") {\n"
     << "  if (" << n << "_varlen_check(cu_q, cu_k, nseq)) return -1;\n"
     << "  for (int64_t b = 0; b < nseq; ++b) {\n" << lens
     << "    if (lq == 0) continue; /* no query reads this sequence's keys */\n"
     << "    " << n << "_prefill_prepare(q + " << qOff << " * " << D << ", lq, k + " << kOff << " * " << D
     << ", lk, q_pos + cu_q[b], k_pos + cu_k[b], qf + " << qOff << " * " << D << ", kf + " << kOff << " * " << D
     << (far ? ", qg + " + qOff + " * " + D + ", kg + " + kOff + " * " + D : std::string()) << ");\n"
     << "  }\n  return 0;\n}\n\n";
  os << "/* Step 2: work items [begin, end) of [0, cu_q[nseq] * heads) (packed query w / heads,\n"
     << " * head w % heads), from any threads; ranges never share output elements. */\n"
     << "static inline void " << n << "_prefill_varlen_rows(const float *qf, const float *kf"
     << (far ? ", const float *qg, const float *kg" : "") << ", const " << v
     << " *v, const int64_t *q_pos, const int64_t *k_pos, const int64_t *cu_q, const int64_t *cu_k, int64_t nseq"
     << inputsParams << ", " << o << " *out" << lseParam << ", int64_t begin, int64_t end) {\n"
     << "  for (int64_t b = 0; b < nseq; ++b) {\n" << lens
     << "    int64_t first = cu_q[b] * " << H << ", lo = begin > first ? begin : first;\n"
     << "    int64_t hi = end < first + lq * " << H << " ? end : first + lq * " << H << ";\n"
     << "    if (lo >= hi) continue;\n"
     << "    " << n << "_prefill_rows(qf + " << qOff << " * " << D << ", lq, kf + " << kOff << " * " << D << ", lk"
     << (far ? ", qg + " + qOff + " * " + D + ", kg + " + kOff + " * " + D : std::string()) << ", v + " << kOff
     << " * " << Dv << ", q_pos + cu_q[b], k_pos + cu_k[b], b" << inputsPass << ", out + " << qOff << " * " << Dv
     << (s.lse ? ", lse + " + qOff : std::string()) << ", lo - first, hi - first);\n"
     << "  }\n}\n\n";
  os << "/* Both steps on the calling thread; qf/kf scratch as for step 1. */\n"
     << "static inline int " << n << "_prefill_varlen(const " << q << " *q, const " << k << " *k, const " << v
     << " *v, const int64_t *q_pos, const int64_t *k_pos, const int64_t *cu_q, const int64_t *cu_k, int64_t nseq"
     << inputsParams << ", " << o << " *out" << lseParam << ", float *qf, float *kf"
     << (far ? ", float *qg, float *kg" : "") << ") {\n"
     << "  if (" << n << "_prefill_varlen_prepare(q, k, q_pos, k_pos, cu_q, cu_k, nseq, qf, kf"
     << (far ? ", qg, kg" : "") << ")) return -1;\n"
     << "  " << n << "_prefill_varlen_rows(qf, kf" << (far ? ", qg, kg" : "") << ", v, q_pos, k_pos, cu_q, cu_k, nseq"
     << inputsPass << ", out" << (s.lse ? ", lse" : "") << ", 0, cu_q[nseq] * " << H << ");\n"
     << "  return 0;\n}\n\n";
}

/// plain-pointer wrappers.
std::string makeHeader(const std::string &lib, const std::vector<Spec> &specs,
                       const std::string &cacheKernels) {
  std::string guard = "ATTNC_" + llvm::StringRef(lib).upper() + "_H";
  std::string h;
  llvm::raw_string_ostream os(h);
  os << "/* Generated by attnc build: kernels for";
  for (const Spec &s : specs)
    os << " " << s.name;
  os << ".\n"
     << " *\n"
     << " * ABI (stable): every tensor is dense, C order. Q [lq][heads][head_dim],\n"
     << " * K [lk][kv_heads][head_dim], V [lk][kv_heads][value_dim], out\n"
     << " * [lq][heads][value_dim], lse [lq][heads] (float). Positions are int64.\n"
     << " * Element types are the spec's: float, or uint16_t bit patterns of\n"
     << " * bf16 / f16. Semantics: docs/semantics.md.\n"
     << " *\n"
     << " * Threading: NAME_prefill() runs on the calling thread. For parallel\n"
     << " * execution call NAME_prefill_prepare() once, then split the work items\n"
     << " * [0, lq * heads) into ranges and call NAME_prefill_rows() on each range\n"
     << " * from any threads (a caller-supplied parallel-for); ranges never share\n"
     << " * output elements. Scratch: qf = lq*heads*head_dim floats, kf =\n"
     << " * lk*kv_heads*head_dim floats (twice each for specs with a RoPE remap).\n"
     << " * Ragged batches (cumulative sequence lengths): NAME_prefill_varlen_prepare()\n"
     << " * once, then NAME_prefill_varlen_rows() on ranges of [0, cu_q[nseq] * heads).\n"
     << " */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "#ifndef ATTNC_MEMREF_TYPES\n#define ATTNC_MEMREF_TYPES\n";
  for (int r = 1; r <= 4; ++r)
    os << "typedef struct { void *allocated; void *aligned; int64_t offset; int64_t sizes["
       << r << "]; int64_t strides[" << r << "]; } attnc_memref" << r << "d;\n";
  os << "static inline attnc_memref1d attnc_view1d(const void *p, int64_t n0) {\n"
     << "  attnc_memref1d m = {(void *)p, (void *)p, 0, {n0}, {1}}; return m;\n}\n"
     << "static inline attnc_memref2d attnc_view2d(const void *p, int64_t n0, int64_t n1) {\n"
     << "  attnc_memref2d m = {(void *)p, (void *)p, 0, {n0, n1}, {n1, 1}}; return m;\n}\n"
     << "static inline attnc_memref3d attnc_view3d(const void *p, int64_t n0, int64_t n1, int64_t n2) {\n"
     << "  attnc_memref3d m = {(void *)p, (void *)p, 0, {n0, n1, n2}, {n1 * n2, n2, 1}}; return m;\n}\n"
     << "static inline attnc_memref4d attnc_view4d(const void *p, int64_t n0, int64_t n1, int64_t n2, int64_t n3) {\n"
     << "  attnc_memref4d m = {(void *)p, (void *)p, 0, {n0, n1, n2, n3}, {n1 * n2 * n3, n2 * n3, n3, 1}}; return m;\n}\n"
     << "#endif\n\n";
  for (const Spec &s : specs) {
    bool far = s.position.kind == PositionKind::RoPE &&
               s.position.remap.kind != RopeRemapKind::None;
    std::string n = s.name;
    os << "/* " << n << ": heads " << s.heads << ", kv_heads " << s.kvHeads << ", head_dim "
       << s.headDim << ", value_dim " << s.valueDim << ", q/k/v/out " << dtypeName(s.qType)
       << "/" << dtypeName(s.kType) << "/" << dtypeName(s.vType) << "/" << dtypeName(s.outType)
       << (s.lse ? ", returns lse" : "") << ". */\n";
    os << "enum { " << n << "_heads = " << s.heads << ", " << n << "_kv_heads = " << s.kvHeads
       << ", " << n << "_head_dim = " << s.headDim << ", " << n << "_value_dim = " << s.valueDim
       << ", " << n << "_far_branch = " << (far ? 1 : 0) << " };\n";
    // Raw entry points.
    std::string inputsDecl, inputsArgs, inputsViews;
    for (const KernelInput &in : s.inputs) {
      std::string dims = in.dims.size() == 1 ? "1d" : "2d";
      inputsDecl += ", attnc_memref" + dims + " *" + in.name;
      inputsArgs += ", const " + std::string(cType(in.dtype)) + " *" + in.name + ", int64_t " +
                    in.name + "_n0" + (in.dims.size() == 2 ? ", int64_t " + in.name + "_n1" : "");
      inputsViews += in.dims.size() == 1
                         ? "  attnc_memref1d " + in.name + "_m = attnc_view1d(" + in.name + ", " + in.name + "_n0);\n"
                         : "  attnc_memref2d " + in.name + "_m = attnc_view2d(" + in.name + ", " + in.name + "_n0, " + in.name + "_n1);\n";
    }
    std::string farDecl = far ? ", attnc_memref3d *qg, attnc_memref3d *kg" : "";
    os << "void _mlir_ciface_" << n << "_prefill_prepare(attnc_memref3d *q, attnc_memref3d *k, "
       << "attnc_memref1d *q_pos, attnc_memref1d *k_pos, attnc_memref3d *qf, attnc_memref3d *kf"
       << farDecl << ");\n";
    os << "void _mlir_ciface_" << n << "_prefill_rows(attnc_memref3d *qf, attnc_memref3d *kf"
       << farDecl << ", attnc_memref3d *v, attnc_memref1d *q_pos, attnc_memref1d *k_pos, int64_t batch"
       << inputsDecl << ", attnc_memref3d *out" << (s.lse ? ", attnc_memref2d *lse" : "")
       << ", int64_t begin, int64_t end);\n";
    os << "void _mlir_ciface_" << n << "_prefill_kernel(attnc_memref3d *q, attnc_memref3d *k, "
       << "attnc_memref3d *v, attnc_memref1d *q_pos, attnc_memref1d *k_pos, int64_t batch"
       << inputsDecl << ", attnc_memref3d *out" << (s.lse ? ", attnc_memref2d *lse" : "") << ");\n\n";

    std::string q = cType(s.qType), k = cType(s.kType), v = cType(s.vType), o = cType(s.outType);
    std::string lseParam = s.lse ? ", float *lse" : "";
    std::string lseView = s.lse ? "  attnc_memref2d lse_m = attnc_view2d(lse, lq, " + std::to_string(s.heads) + ");\n" : "";
    std::string lseArg = s.lse ? ", &lse_m" : "";
    std::string inputsPass;
    for (const KernelInput &in : s.inputs)
      inputsPass += ", &" + in.name + "_m";
    // Single-threaded wrapper.
    os << "/* Prefill of one sequence on the calling thread. */\n"
       << "static inline void " << n << "_prefill(const " << q << " *q, int64_t lq, const " << k
       << " *k, const " << v << " *v, int64_t lk, const int64_t *q_pos, const int64_t *k_pos, int64_t batch"
       << inputsArgs << ", " << o << " *out" << lseParam << ") {\n"
       << "  attnc_memref3d q_m = attnc_view3d(q, lq, " << s.heads << ", " << s.headDim << ");\n"
       << "  attnc_memref3d k_m = attnc_view3d(k, lk, " << s.kvHeads << ", " << s.headDim << ");\n"
       << "  attnc_memref3d v_m = attnc_view3d(v, lk, " << s.kvHeads << ", " << s.valueDim << ");\n"
       << "  attnc_memref1d qp_m = attnc_view1d(q_pos, lq), kp_m = attnc_view1d(k_pos, lk);\n"
       << inputsViews
       << "  attnc_memref3d out_m = attnc_view3d(out, lq, " << s.heads << ", " << s.valueDim << ");\n"
       << lseView
       << "  _mlir_ciface_" << n << "_prefill_kernel(&q_m, &k_m, &v_m, &qp_m, &kp_m, batch" << inputsPass
       << ", &out_m" << lseArg << ");\n}\n\n";
    // Prepare + rows wrappers.
    std::string farParams = far ? ", float *qg, float *kg" : "";
    std::string farViews = far ? "  attnc_memref3d qg_m = attnc_view3d(qg, lq, " + std::to_string(s.heads) + ", " +
                                     std::to_string(s.headDim) + "), kg_m = attnc_view3d(kg, lk, " +
                                     std::to_string(s.kvHeads) + ", " + std::to_string(s.headDim) + ");\n"
                               : "";
    std::string farArgs = far ? ", &qg_m, &kg_m" : "";
    os << "/* Step 1 of a parallel prefill: rotate/convert Q and K into the scratch. */\n"
       << "static inline void " << n << "_prefill_prepare(const " << q << " *q, int64_t lq, const " << k
       << " *k, int64_t lk, const int64_t *q_pos, const int64_t *k_pos, float *qf, float *kf" << farParams << ") {\n"
       << "  attnc_memref3d q_m = attnc_view3d(q, lq, " << s.heads << ", " << s.headDim << ");\n"
       << "  attnc_memref3d k_m = attnc_view3d(k, lk, " << s.kvHeads << ", " << s.headDim << ");\n"
       << "  attnc_memref1d qp_m = attnc_view1d(q_pos, lq), kp_m = attnc_view1d(k_pos, lk);\n"
       << "  attnc_memref3d qf_m = attnc_view3d(qf, lq, " << s.heads << ", " << s.headDim << ");\n"
       << "  attnc_memref3d kf_m = attnc_view3d(kf, lk, " << s.kvHeads << ", " << s.headDim << ");\n"
       << farViews
       << "  _mlir_ciface_" << n << "_prefill_prepare(&q_m, &k_m, &qp_m, &kp_m, &qf_m, &kf_m" << farArgs << ");\n}\n\n";
    os << "/* Step 2: work items [begin, end) of [0, lq * heads); item w is query w / heads, head w % heads. */\n"
       << "static inline void " << n << "_prefill_rows(const float *qf, int64_t lq, const float *kf, int64_t lk"
       << (far ? ", const float *qg, const float *kg" : "") << ", const " << v
       << " *v, const int64_t *q_pos, const int64_t *k_pos, int64_t batch" << inputsArgs << ", " << o
       << " *out" << lseParam << ", int64_t begin, int64_t end) {\n"
       << "  attnc_memref3d qf_m = attnc_view3d(qf, lq, " << s.heads << ", " << s.headDim << ");\n"
       << "  attnc_memref3d kf_m = attnc_view3d(kf, lk, " << s.kvHeads << ", " << s.headDim << ");\n"
       << farViews
       << "  attnc_memref3d v_m = attnc_view3d(v, lk, " << s.kvHeads << ", " << s.valueDim << ");\n"
       << "  attnc_memref1d qp_m = attnc_view1d(q_pos, lq), kp_m = attnc_view1d(k_pos, lk);\n"
       << inputsViews
       << "  attnc_memref3d out_m = attnc_view3d(out, lq, " << s.heads << ", " << s.valueDim << ");\n"
       << lseView
       << "  _mlir_ciface_" << n << "_prefill_rows(&qf_m, &kf_m" << farArgs << ", &v_m, &qp_m, &kp_m, batch"
       << inputsPass << ", &out_m" << lseArg << ", begin, end);\n}\n\n";
    emitVarlenWrappers(os, s, far);
  }
  os << cacheKernels;
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return h;
}

std::string cTypeOf(mlir::Type t) {
  if (t.isF32()) return "float";
  if (t.isBF16()) return "bf16 bits";
  if (t.isF16()) return "f16 bits";
  if (t.isInteger(8)) return "int8_t";
  if (t.isInteger(32)) return "int32_t";
  if (t.isInteger(64)) return "int64_t";
  return "?";
}

/// C prototypes of the decode/append kernels (attn-lower-cache-kernels),
/// written from their function types and `attn.arg_name` attributes, with
/// each buffer's shape and element type (? = the caller's size).
std::string cacheKernelPrototypes(mlir::ModuleOp module) {
  std::string h;
  llvm::raw_string_ostream os(h);
  for (auto f : module.getOps<mlir::func::FuncOp>()) {
    if (f.getNumArguments() == 0 || !f.getArgAttr(0, "attn.arg_name"))
      continue;
    auto type = f.getFunctionType();
    if (auto hb = f->getAttrOfType<mlir::IntegerAttr>("attn.heads_per_block")) {
      llvm::StringRef variant = f.getSymName();
      variant.consume_back("_decode_split");
      os << "enum { " << variant << "_decode_heads_per_block = " << hb.getInt() << " };\n";
    }
    std::string ret = type.getNumResults() ? "int32_t" : "void";
    os << ret << " _mlir_ciface_" << f.getSymName() << "(";
    for (unsigned i = 0; i < f.getNumArguments(); ++i) {
      auto name = f.getArgAttrOfType<mlir::StringAttr>(i, "attn.arg_name").getValue();
      mlir::Type t = type.getInput(i);
      os << (i ? ",\n    " : "");
      if (auto m = mlir::dyn_cast<mlir::MemRefType>(t)) {
        os << "attnc_memref" << m.getRank() << "d *" << name << " /* [";
        for (unsigned d = 0; d < m.getRank(); ++d) {
          os << (d ? "][" : "");
          if (m.isDynamicDim(d))
            os << "?";
          else
            os << m.getDimSize(d);
        }
        os << "] " << cTypeOf(m.getElementType()) << " */";
      } else {
        os << "int64_t " << name;
      }
    }
    os << ");\n";
  }
  if (h.empty())
    return h;
  return "/* Decode and cache append (docs/kernels.md, \"Decode and append\"). append returns 0, or\n"
         " * 1 past the capacity, 2 a page missing from page_table, 3 no such sequence;\n"
         " * nothing is written unless it returns 0. A decode query row b reads cache\n"
         " * sequence q_seq[b] and sees its first lens[b] tokens (rows of one sequence\n"
         " * with growing lens: prefill or draft tokens over the cache; a ring only at\n"
         " * its full length). decode_split runs the work items [begin, end) of\n"
         " * [0, rows * (kv_heads / NAME_decode_heads_per_block) * S) (S = part_out's second\n"
         " * size; [0, rows * kv_heads * S) always covers them, the rest do nothing), decode_merge the items [begin, end) of [0, rows * heads);\n"
         " * decode runs both with S = 1 on the calling thread. */\n" + h + "\n";
}
} // namespace

const char *attnc::cElementType(DType t) {
  switch (t) {
  case DType::F32: return "float";
  case DType::F16: case DType::BF16: return "uint16_t";
  case DType::I32: return "int32_t";
  case DType::I64: return "int64_t";
  case DType::I8: return "int8_t";
  case DType::U8: return "uint8_t";
  }
  return "void";
}

mlir::attn::AttnLowerPrefillTensorCorePassOptions attnc::tensorCoreOptions(const BuildOptions &options) {
  mlir::attn::AttnLowerPrefillTensorCorePassOptions tensorCore;
  tensorCore.maxBlockQueries = options.gpuBlockQueries;
  tensorCore.stages = options.gpuStages;
  tensorCore.keyTile = options.gpuKeyTile;
  tensorCore.overlap = options.gpuOverlap;
  return tensorCore;
}

bool attnc::amxDisabledByEnvironment() {
  const char *v = std::getenv("ATTNC_NO_AMX");
  return v && *v && std::string(v) != "0";
}

int attnc::runBuild(const std::vector<Spec> &specs, const BuildOptions &opts) {
  auto start = std::chrono::steady_clock::now();
  if (specs.empty())
    return error("no specs to build");
  for (size_t i = 0; i < specs.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (specs[i].name == specs[j].name)
        return error("two specs are named '" + specs[i].name + "'");

  // The target first: its features decide the lowering (AMX tiles).
  llvm::InitializeNativeTarget();
  std::string triple = llvm::sys::getDefaultTargetTriple();
  std::string targetError;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, targetError);
  if (!target)
    return error("no target for " + triple + ": " + targetError);
  std::string cpu = opts.cpu;
  std::string features;
  if (cpu.empty() || cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::StringMap<bool> hostFeatures = llvm::sys::getHostCPUFeatures();
    for (auto &f : hostFeatures)
      features += (features.empty() ? "" : ",") + std::string(f.second ? "+" : "-") + f.first().str();
  }
  mlir::attn::LoweringOptions lowering;
  {
    // An unknown CPU would make LLVM abort deep in code generation.
    std::unique_ptr<llvm::MCSubtargetInfo> sti(
        target->createMCSubtargetInfo(triple, cpu, features));
    if (!sti || !sti->isCPUStringValid(cpu))
      return error("unknown target CPU '" + cpu + "' for " + triple +
                   " (try native, x86-64-v3, x86-64-v4, skylake-avx512, znver4)");
    lowering.amxBf16 = !opts.noAmx && sti->checkFeatures("+amx-bf16,+amx-tile");
    lowering.nativeBf16 = sti->checkFeatures("+avx512bf16");
  }

  mlir::DialectRegistry registry;
  registerAttnDialects(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerAMXDialectTranslation(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(context, specs);
  if (!module)
    return error("could not generate MLIR");
  mlir::PassManager loops(&context);
  if (opts.gpuEmulation) {
    // The CPU twins of every GPU kernel: the model operations too.
    mlir::attn::AttnAddModelOpsPassOptions modelOps;
    modelOps.blockThreads = mlir::attn::kGPUDecodeThreads;
    loops.addPass(mlir::attn::createAttnAddModelOpsPass(modelOps));
    // The tensor-core kernels of the highest --gpu-arch (wgmma for sm_90a).
    std::string highest;
    auto number = [](const std::string &arch) { return std::atoi(arch.c_str() + std::min<size_t>(3, arch.size())); };
    for (const std::string &arch : opts.gpuArchs)
      if (highest.empty() || number(arch) > number(highest))
        highest = arch;
    mlir::attn::AttnLowerPrefillTensorCorePassOptions tensorCore = tensorCoreOptions(opts);
    tensorCore.wgmma = mlir::attn::usesWarpgroupMma(highest);
    loops.addPass(mlir::attn::createAttnLowerPrefillTensorCorePass(tensorCore));
    lowering.cacheChunk = mlir::attn::kGPUCacheChunk;
    lowering.cacheBlockThreads = mlir::attn::kGPUDecodeThreads;
  }
  mlir::attn::buildAttnToLoopsPipeline(loops, lowering);
  if (opts.gpuEmulation)
    loops.addPass(mlir::attn::createAttnEmulateGPUOnCPUPass());
  if (mlir::failed(loops.run(*module)))
    return error("lowering the attn dialect failed");
  std::string cacheKernels = cacheKernelPrototypes(*module);
  mlir::PassManager pm(&context);
  mlir::attn::buildLoopsToLLVMPipeline(pm, lowering);
  if (mlir::failed(pm.run(*module)))
    return error("lowering to the LLVM dialect failed");

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser(); // the AMX permission request is inline asm
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(*module, llvmContext, opts.libName);
  if (!llvmModule)
    return error("translation to LLVM IR failed");

  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return error("cannot create a target machine for CPU '" + cpu + "'");
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);
  auto optimize = mlir::makeOptimizingTransformer(3, 0, machine.get());
  if (llvm::Error e = optimize(llvmModule.get())) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << e;
    return error("LLVM optimization failed: " + msg);
  }

  if (std::error_code ec = llvm::sys::fs::create_directories(opts.outDir))
    return error("cannot create '" + opts.outDir + "': " + ec.message());
  auto path = [&](const std::string &file) {
    llvm::SmallString<256> p(opts.outDir);
    llvm::sys::path::append(p, file);
    return std::string(p);
  };

  // Object code.
  llvm::SmallVector<char, 0> objectBytes;
  {
    llvm::raw_svector_ostream os(objectBytes);
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile))
      return error("the target cannot emit object files");
    codegen.run(*llvmModule);
  }
  std::string objectPath = path(opts.libName + ".o");
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(objectPath, ec);
    if (ec)
      return error("cannot write '" + objectPath + "': " + ec.message());
    out.write(objectBytes.data(), objectBytes.size());
  }

  // Static library.
  std::string archivePath = path("lib" + opts.libName + ".a");
  {
    auto member = llvm::NewArchiveMember::getFile(objectPath, /*Deterministic=*/true);
    if (!member)
      return error("cannot archive '" + objectPath + "'");
    std::vector<llvm::NewArchiveMember> members;
    members.push_back(std::move(*member));
    if (llvm::Error e = llvm::writeArchive(archivePath, members, llvm::SymtabWritingMode::NormalSymtab,
                                           llvm::object::Archive::K_GNU, /*Deterministic=*/true,
                                           /*Thin=*/false)) {
      std::string msg;
      llvm::raw_string_ostream os(msg);
      os << e;
      return error("writing '" + archivePath + "' failed: " + msg);
    }
  }

  // Shared library: link the same object with the system linker driver.
  if (!opts.noShared) {
    std::string sharedPath = path("lib" + opts.libName + ".so");
    llvm::ErrorOr<std::string> linker = llvm::sys::findProgramByName("cc");
    if (!linker)
      linker = llvm::sys::findProgramByName("clang-19");
    if (!linker)
      return error("no C compiler driver (cc) found to link the shared library; use --no-shared");
    std::vector<llvm::StringRef> args = {*linker, "-shared", "-o", sharedPath, objectPath, "-lm"};
    std::string linkError;
    int rc = llvm::sys::ExecuteAndWait(*linker, args, std::nullopt, {}, 0, 0, &linkError);
    if (rc != 0)
      return error("linking '" + sharedPath + "' failed" + (linkError.empty() ? "" : ": " + linkError));
  }

  std::string headerPath = path(opts.libName + ".h");
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(headerPath, ec);
    if (ec)
      return error("cannot write '" + headerPath + "': " + ec.message());
    out << makeHeader(opts.libName, specs, cacheKernels);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (opts.verbose)
    llvm::outs() << "attnc build: " << specs.size() << " spec(s) -> " << archivePath
                 << (opts.noShared ? "" : ", lib" + opts.libName + ".so") << ", " << opts.libName
                 << ".h for " << cpu << " in " << llvm::format("%.2f", seconds) << " s\n";
  if (!opts.gpuArchs.empty())
    return runBuildGPU(specs, opts);
  return 0;
}
