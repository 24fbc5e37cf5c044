//===- attnc.cpp - The attnc compiler driver ------------------------------===//
//
//   attnc [--emit=ast|spec|mlir|llvm] SPEC.attn [-o OUT]
//   attnc build SPEC.attn... -o DIR [--name LIB] [--mcpu CPU] [--no-shared]
//   attnc exec SPEC.attn --q Q.npy --k K.npy --v V.npy --out O.npy
//              [--dtype f32|bf16|f16] [--positions P.npy] [--input NAME=X.npy]
//
// Each --emit rung stops the pipeline one stage further: the syntax tree, the
// checked spec with every default resolved, the attn dialect, then the
// kernels in the LLVM dialect.
//
//===----------------------------------------------------------------------===//
#include "dsl/AST.h"
#include "dsl/Diagnostics.h"
#include "dsl/Frontend.h"
#include "dsl/MLIRGen.h"
#include "codegen/Passes.h"
#include "passes/Passes.h"
#include "tools/RegisterAll.h"
#include "tools/attnc/Build.h"
#include "tools/attnc/Exec.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

#include "mlir/Pass/PassManager.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

namespace {
enum class Emit { AST, Spec, MLIR, LLVM, PTX };

cl::OptionCategory category("attnc options");
cl::SubCommand execCommand("exec", "Run a spec's prefill kernel on .npy inputs");
cl::SubCommand buildCommand("build", "Compile specs into a kernel library (.a, .so, .h)");
cl::list<std::string> buildInputs(cl::Positional, cl::desc("<spec.attn>..."),
                                  cl::OneOrMore, cl::sub(buildCommand));
cl::opt<std::string> buildOut("o", cl::desc("Output directory"), cl::Required,
                              cl::sub(buildCommand));
cl::opt<std::string> buildName("name", cl::desc("Library name (default: the first spec file's stem)"),
                               cl::sub(buildCommand));
cl::opt<std::string> buildCpu("mcpu", cl::desc("Target CPU (default: native, with its features)"),
                              cl::init("native"), cl::sub(buildCommand));
cl::opt<bool> buildNoShared("no-shared", cl::desc("Only the static library"),
                            cl::sub(buildCommand));
cl::opt<bool> noAmx("no-amx",
                    cl::desc("Keep bf16 prefill products on AVX-512 FMAs even where the target "
                             "has AMX-BF16 (also: ATTNC_NO_AMX=1)"),
                    cl::sub(buildCommand), cl::sub(execCommand));
cl::list<std::string> buildGpuArchs(
    "gpu-arch", cl::desc("Also build the GPU kernels (lib<name>_gpu) for these architectures"),
    cl::value_desc("sm_80,sm_90"), cl::CommaSeparated, cl::sub(buildCommand));
cl::opt<bool> buildGpuEmulation(
    "gpu-emulation",
    cl::desc("Testing aid: also compile the tensor-core GPU kernels for the CPU, to run on the "
             "emulation runtime of test/GPU/Inputs/fake_cuda.c (the kernels of the highest --gpu-arch: "
             "wgmma for sm_90a)"),
    cl::sub(buildCommand));
cl::opt<unsigned> buildGpuBlockQueries(
    "gpu-block-queries",
    cl::desc("Queries per tensor-core prefill block at most: 128 (default), or 64 to keep blocks of one "
             "warpgroup above head dim 64 (to time the two shapes side by side)"),
    cl::init(128), cl::sub(buildCommand));
cl::opt<unsigned> buildGpuStages(
    "gpu-stages",
    cl::desc("Shared buffers per K and V tile in the tensor-core prefill: 1 (default), or 2 to issue each "
             "tile's copies a tile and a half ahead (where the block's shared memory allows)"),
    cl::init(1), cl::sub(buildCommand));
cl::opt<unsigned> buildGpuKeyTile(
    "gpu-key-tile",
    cl::desc("Keys per tensor-core prefill tile: 16, 32, 64 or 128 (default: 64, or 32 above head dim 128 "
             "or with two row tiles per warp, halved for lse)"),
    cl::init(0), cl::sub(buildCommand));
cl::opt<bool> buildGpuOverlap(
    "gpu-overlap",
    cl::desc("sm_90a: issue QK^T of the next key tile and P V of this one without waiting, so the softmax "
             "runs while the tensor cores do (FlashAttention-3's intra-warpgroup pipelining; two stages)"),
    cl::sub(buildCommand));
cl::opt<std::string> buildPtxas("ptxas", cl::desc("ptxas for --gpu-arch (default: PATH, /usr/local/cuda/bin)"),
                                cl::sub(buildCommand));
cl::opt<std::string> buildLibdevice(
    "libdevice", cl::desc("libdevice bitcode for --gpu-arch"),
    cl::init("/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"), cl::sub(buildCommand));
cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<spec.attn>"),
                                   cl::init("-"), cl::cat(category),
                                   cl::sub(cl::SubCommand::getTopLevel()),
                                   cl::sub(execCommand));
cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                    cl::value_desc("filename"), cl::init("-"),
                                    cl::cat(category));
cl::opt<Emit> emit(
    "emit", cl::desc("What to produce"), cl::init(Emit::MLIR),
    cl::values(clEnumValN(Emit::AST, "ast", "the syntax tree"),
               clEnumValN(Emit::Spec, "spec",
                          "the checked spec with every default resolved"),
               clEnumValN(Emit::MLIR, "mlir", "the attn dialect"),
               clEnumValN(Emit::LLVM, "llvm",
                          "the kernels lowered to the LLVM dialect"),
               clEnumValN(Emit::PTX, "ptx", "the GPU kernels as PTX (NVVM)")),
    cl::cat(category));
cl::opt<std::string> gpuArch("gpu-arch", cl::desc("GPU architecture for --emit=ptx"),
                             cl::init("sm_80"), cl::cat(category));
cl::opt<std::string> libdevicePath(
    "libdevice", cl::desc("libdevice bitcode linked into GPU kernels"),
    cl::init("/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"), cl::cat(category));

// attnc exec
cl::opt<std::string> execQ("q", cl::desc("Queries [Lq, heads, D] (float32 .npy)"),
                           cl::Required, cl::sub(execCommand));
cl::opt<std::string> execK("k", cl::desc("Keys [Lk, kv_heads, D] (float32 .npy)"),
                           cl::Required, cl::sub(execCommand));
cl::opt<std::string> execV("v", cl::desc("Values [Lk, kv_heads, Dv] (float32 .npy)"),
                           cl::Required, cl::sub(execCommand));
cl::opt<std::string> execOut("out", cl::desc("Output [Lq, heads, Dv] (float32 .npy)"),
                             cl::Required, cl::sub(execCommand));
cl::opt<std::string> execLseOut("lse-out", cl::desc("Log-sum-exp [Lq, heads] (.npy)"),
                                cl::sub(execCommand));
cl::opt<std::string> execDType("dtype", cl::desc("Compute dtype override: f32, bf16, f16"),
                               cl::sub(execCommand));
cl::opt<std::string> execPositions("positions",
                                   cl::desc("Query positions [Lq] (int .npy)"),
                                   cl::sub(execCommand));
cl::opt<unsigned> execThreads("threads",
                               cl::desc("Worker threads (default: one per core)"),
                               cl::init(0), cl::sub(execCommand));
cl::list<std::string> execInputs("input", cl::desc("Kernel input NAME=FILE.npy"),
                                 cl::sub(execCommand));
cl::opt<bool> execDecode("decode",
                         cl::desc("Run the cache kernels: append K/V to the spec's cache, "
                                  "then one decode step per query"),
                         cl::sub(execCommand));
cl::opt<unsigned> execSplits("splits", cl::desc("--decode: KV splits per sequence (LSE-merged)"),
                             cl::init(3), cl::sub(execCommand));
cl::opt<unsigned> execAppendChunk("append-chunk",
                                  cl::desc("--decode: tokens per append call before the queries"),
                                  cl::init(7), cl::sub(execCommand));
cl::opt<unsigned> execQueryChunk(
    "query-chunk",
    cl::desc("--decode: queries per decode call, each seeing the tokens up to its own "
             "(a chunk of prefill over the cache; a ring takes 1)"),
    cl::init(1), cl::sub(execCommand));
cl::opt<uint64_t> execSeed("seed", cl::desc("--decode: seed of the physical page order"),
                           cl::init(1), cl::sub(execCommand));
cl::opt<std::string> execTraceDir(
    "trace-dir",
    cl::desc("--decode: write the run's buffers and calls to DIR (trace.txt), for the GPU check "
             "(bench/gpu/gpu_check.cpp) to replay"),
    cl::value_desc("DIR"), cl::sub(execCommand));
} // namespace

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(category);
  mlir::attn::registerAttnCodegenPasses();
  mlir::attn::registerAttnTransformsPasses();
  cl::ParseCommandLineOptions(argc, argv, "attnc: attention spec compiler\n");

  auto fileOrErr = MemoryBuffer::getFileOrSTDIN(inputFilename, /*IsText=*/true);
  if (std::error_code ec = fileOrErr.getError()) {
    WithColor::error(errs(), "attnc")
        << "cannot read '" << inputFilename << "': " << ec.message() << "\n";
    return 1;
  }
  SourceMgr sourceMgr;
  unsigned bufferId = sourceMgr.AddNewSourceBuffer(std::move(*fileOrErr), SMLoc());
  attnc::DiagnosticEngine diag(sourceMgr);

  std::string errorMessage;
  auto output = mlir::openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    WithColor::error(errs(), "attnc") << errorMessage << "\n";
    return 1;
  }

  if (buildCommand) {
    std::vector<attnc::Spec> all;
    for (const std::string &file : buildInputs) {
      std::optional<std::vector<attnc::Spec>> specs = attnc::loadSpecFile(file);
      if (!specs)
        return 1;
      all.insert(all.end(), specs->begin(), specs->end());
    }
    attnc::BuildOptions options;
    options.outDir = buildOut;
    options.libName = buildName.empty()
                          ? llvm::sys::path::stem(buildInputs.front()).str()
                          : std::string(buildName);
    options.cpu = buildCpu;
    options.noShared = buildNoShared;
    options.noAmx = noAmx || attnc::amxDisabledByEnvironment();
    options.gpuArchs.assign(buildGpuArchs.begin(), buildGpuArchs.end());
    options.ptxas = buildPtxas;
    options.libdevice = buildLibdevice;
    options.gpuEmulation = buildGpuEmulation;
    if (buildGpuBlockQueries != 64 && buildGpuBlockQueries != 128) {
      WithColor::error(errs(), "attnc build") << "--gpu-block-queries takes 64 or 128\n";
      return 1;
    }
    options.gpuBlockQueries = buildGpuBlockQueries;
    if (buildGpuStages != 1 && buildGpuStages != 2) {
      WithColor::error(errs(), "attnc build") << "--gpu-stages takes 1 or 2\n";
      return 1;
    }
    options.gpuStages = buildGpuStages;
    if (buildGpuKeyTile != 0 && buildGpuKeyTile != 16 && buildGpuKeyTile != 32 && buildGpuKeyTile != 64 &&
        buildGpuKeyTile != 128) {
      WithColor::error(errs(), "attnc build") << "--gpu-key-tile takes 16, 32, 64 or 128\n";
      return 1;
    }
    options.gpuKeyTile = buildGpuKeyTile;
    options.gpuOverlap = buildGpuOverlap;
    return attnc::runBuild(all, options);
  }

  if (execCommand) {
    std::optional<std::vector<attnc::Spec>> specs = attnc::loadSpecFile(inputFilename);
    if (!specs)
      return 1;
    if (specs->size() != 1) {
      WithColor::error(errs(), "attnc exec")
          << inputFilename << " holds " << specs->size()
          << " specs; exec runs a file with exactly one\n";
      return 1;
    }
    attnc::ExecOptions options;
    options.q = execQ;
    options.k = execK;
    options.v = execV;
    options.out = execOut;
    options.lseOut = execLseOut;
    options.dtype = execDType;
    options.positions = execPositions;
    options.threads = execThreads;
    options.decode = execDecode;
    options.splits = execSplits;
    options.appendChunk = execAppendChunk;
    options.queryChunk = execQueryChunk;
    options.seed = execSeed;
    options.traceDir = execTraceDir;
    options.noAmx = noAmx || attnc::amxDisabledByEnvironment();
    for (const std::string &in : execInputs) {
      size_t eq = in.find('=');
      if (eq == std::string::npos || eq == 0) {
        WithColor::error(errs(), "attnc exec")
            << "--input expects NAME=FILE.npy, found '" << in << "'\n";
        return 1;
      }
      options.inputs[in.substr(0, eq)] = in.substr(eq + 1);
    }
    return attnc::runExec(specs->front(), options);
  }

  std::unique_ptr<attnc::ast::Module> module =
      attnc::parseSpecBuffer(sourceMgr, bufferId, diag);
  if (!module)
    return 1;
  if (emit == Emit::AST) {
    attnc::dumpAST(*module, output->os());
    output->keep();
    return 0;
  }
  std::optional<std::vector<attnc::Spec>> specs =
      attnc::analyzeModule(*module, diag);
  if (!specs)
    return 1;
  if (emit == Emit::Spec) {
    for (const attnc::Spec &spec : *specs)
      attnc::printSpec(spec, output->os());
    output->keep();
    return 0;
  }

  mlir::DialectRegistry registry;
  attnc::registerGPUCompilation(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> ir = attnc::mlirGen(context, *specs);
  if (!ir)
    return 1;
  if (emit == Emit::PTX) {
    if (!llvm::sys::fs::exists(libdevicePath)) {
      WithColor::error(errs(), "attnc")
          << "libdevice not found at '" << libdevicePath
          << "' (install the CUDA toolkit or pass --libdevice)\n";
      return 1;
    }
    mlir::PassManager pm(&context);
    mlir::attn::buildLowerToPTXPipeline(pm, gpuArch, libdevicePath);
    if (mlir::failed(pm.run(*ir)))
      return 1;
    bool any = false;
    ir->walk([&](mlir::gpu::BinaryOp binary) {
      for (mlir::Attribute object : binary.getObjects()) {
        // The serialized PTX carries a trailing NUL for the driver API.
        output->os() << cast<mlir::gpu::ObjectAttr>(object).getObject().getValue().rtrim('\0');
        any = true;
      }
    });
    if (!any) {
      WithColor::error(errs(), "attnc") << "no GPU binary was produced\n";
      return 1;
    }
    output->keep();
    return 0;
  }
  if (emit == Emit::LLVM) {
    mlir::PassManager pm(&context);
    mlir::attn::buildLowerToLLVMPipeline(pm);
    if (mlir::failed(pm.run(*ir)))
      return 1;
  }
  ir->print(output->os());
  output->keep();
  return 0;
}
