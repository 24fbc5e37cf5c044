//===- Spec.cpp - Names and printing of the resolved spec model -----------===//

#include "dsl/Spec.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace attnc;

const char *attnc::dtypeName(DType t) {
  switch (t) {
  case DType::F32: return "f32";
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  case DType::I8: return "i8";
  case DType::U8: return "u8";
  }
  return "?";
}

std::string attnc::formatDouble(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  // Integral values print without exponent (10000, not 1e+04).
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  // The shortest %g precision that round-trips: 0.1 prints as 0.1, not as
  // 0.10000000000000001, and tests can compare exact values.
  for (int p = 1; p <= 17; ++p) {
    snprintf(buf, sizeof(buf), "%.*g", p, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  return buf;
}

/// A float constant always shows a '.' or exponent, to tell it from an int.
static std::string formatFloatConst(double v) {
  std::string s = formatDouble(v);
  if (s.find_first_of(".eni") == std::string::npos)
    s += ".0";
  return s;
}

static const char *varName(ExprVar v) {
  switch (v) {
  case ExprVar::Batch: return "batch";
  case ExprVar::Head: return "head";
  case ExprVar::KVHead: return "kv_head";
  case ExprVar::QPos: return "q_pos";
  case ExprVar::KPos: return "k_pos";
  case ExprVar::QLen: return "q_len";
  case ExprVar::KLen: return "k_len";
  case ExprVar::Score: return "score";
  }
  return "?";
}

static const char *opName(ExprOp op) {
  switch (op) {
  case ExprOp::Neg: return "neg";
  case ExprOp::Not: return "not";
  case ExprOp::Add: return "add";
  case ExprOp::Sub: return "sub";
  case ExprOp::Mul: return "mul";
  case ExprOp::Div: return "div";
  case ExprOp::Rem: return "rem";
  case ExprOp::Pow: return "pow";
  case ExprOp::Eq: return "eq";
  case ExprOp::Ne: return "ne";
  case ExprOp::Lt: return "lt";
  case ExprOp::Le: return "le";
  case ExprOp::Gt: return "gt";
  case ExprOp::Ge: return "ge";
  case ExprOp::And: return "and";
  case ExprOp::Or: return "or";
  }
  return "?";
}

static const char *calleeName(ExprCallee c) {
  switch (c) {
  case ExprCallee::Tanh: return "tanh";
  case ExprCallee::Exp: return "exp";
  case ExprCallee::Log: return "log";
  case ExprCallee::Sqrt: return "sqrt";
  case ExprCallee::Abs: return "abs";
  case ExprCallee::Min: return "min";
  case ExprCallee::Max: return "max";
  case ExprCallee::Floor: return "floor";
  case ExprCallee::Ceil: return "ceil";
  }
  return "?";
}

static const char *typeSuffix(ExprType t) {
  switch (t) {
  case ExprType::Int: return ".i";
  case ExprType::Float: return ".f";
  case ExprType::Bool: return ".b";
  }
  return "";
}

void attnc::printExpr(const Expr &e, llvm::raw_ostream &os) {
  auto operands = [&]() {
    for (const ExprPtr &o : e.operands) {
      os << ' ';
      printExpr(*o, os);
    }
    os << ')';
  };
  switch (e.kind) {
  case ExprKind::IntConst:
    os << e.intValue;
    return;
  case ExprKind::FloatConst:
    os << formatFloatConst(e.floatValue);
    return;
  case ExprKind::BoolConst:
    os << (e.intValue ? "true" : "false");
    return;
  case ExprKind::Var:
    os << varName(e.var);
    return;
  case ExprKind::Input:
    os << "(input " << e.inputName;
    operands();
    return;
  case ExprKind::Unary:
  case ExprKind::Binary: {
    bool arith = e.op != ExprOp::Not && e.op != ExprOp::And &&
                 e.op != ExprOp::Or && e.op != ExprOp::Eq &&
                 e.op != ExprOp::Ne && e.op != ExprOp::Lt &&
                 e.op != ExprOp::Le && e.op != ExprOp::Gt && e.op != ExprOp::Ge;
    os << '(' << opName(e.op) << (arith ? typeSuffix(e.type) : "");
    operands();
    return;
  }
  case ExprKind::Select:
    os << "(select" << typeSuffix(e.type);
    operands();
    return;
  case ExprKind::Call: {
    bool typed = e.callee == ExprCallee::Abs || e.callee == ExprCallee::Min ||
                 e.callee == ExprCallee::Max;
    os << '(' << calleeName(e.callee) << (typed ? typeSuffix(e.type) : "");
    operands();
    return;
  }
  case ExprKind::Cast:
    os << "(float";
    operands();
    return;
  }
}

void attnc::printMask(const Mask &m, llvm::raw_ostream &os) {
  switch (m.kind) {
  case MaskKind::Full: os << "full"; return;
  case MaskKind::Causal: os << "causal"; return;
  case MaskKind::Window:
    os << "window(left=" << m.left << ", right=" << m.right << ')';
    return;
  case MaskKind::Sinks: os << "sinks(" << m.count << ')'; return;
  case MaskKind::Dilated:
    os << "dilated(window=" << m.window << ", dilation=" << m.dilation
       << ", offset=" << m.offset << ')';
    return;
  case MaskKind::Global:
    if (m.tokens.empty()) {
      os << "global(first=" << m.count << ')';
      return;
    }
    os << "global(tokens=[";
    for (size_t i = 0; i < m.tokens.size(); ++i)
      os << (i ? ", " : "") << m.tokens[i];
    os << "])";
    return;
  case MaskKind::Document: os << "document(ids=" << m.input << ')'; return;
  case MaskKind::PrefixLM:
    os << "prefix_lm(length=";
    if (m.input.empty())
      os << m.length;
    else
      os << m.input;
    os << ')';
    return;
  case MaskKind::Chunked:
    os << "chunked(size=" << m.size << ", offset=" << m.offset << ')';
    return;
  case MaskKind::Predicate:
    os << "predicate(";
    if (m.predicate)
      printExpr(*m.predicate, os);
    os << ')';
    return;
  case MaskKind::And:
  case MaskKind::Or:
  case MaskKind::Not:
    os << '('
       << (m.kind == MaskKind::And ? "and" : m.kind == MaskKind::Or ? "or" : "not");
    for (const MaskPtr &o : m.operands) {
      os << ' ';
      printMask(*o, os);
    }
    os << ')';
    return;
  }
}

static const char *scalingName(RopeScalingKind k) {
  switch (k) {
  case RopeScalingKind::None: return "none";
  case RopeScalingKind::Linear: return "linear";
  case RopeScalingKind::NTK: return "ntk";
  case RopeScalingKind::DynamicNTK: return "dynamic_ntk";
  case RopeScalingKind::YaRN: return "yarn";
  case RopeScalingKind::Llama3: return "llama3";
  case RopeScalingKind::LongRoPE: return "longrope";
  }
  return "?";
}

static const char *granularityName(QuantGranularity g) {
  return g == QuantGranularity::PerToken ? "per_token" : "per_channel";
}

static void printList(const std::vector<double> &values,
                      llvm::raw_ostream &os) {
  os << '[';
  for (size_t i = 0; i < values.size(); ++i)
    os << (i ? ", " : "") << formatDouble(values[i]);
  os << ']';
}

static void printPosition(const Position &p, llvm::raw_ostream &os) {
  switch (p.kind) {
  case PositionKind::None:
    os << "  position: none\n";
    return;
  case PositionKind::RoPE: {
    os << "  position: rope\n";
    os << "    theta: " << formatDouble(p.theta) << '\n';
    os << "    rotary_dim: " << p.rotaryDim << '\n';
    os << "    layout: "
       << (p.layout == RopeLayout::HalfSplit ? "half_split" : "interleaved")
       << '\n';
    os << "    apply: " << (p.apply == RopeApply::OnWrite ? "on_write" : "on_read")
       << '\n';
    const RopeScaling &s = p.scaling;
    os << "    scaling: " << scalingName(s.kind) << '\n';
    switch (s.kind) {
    case RopeScalingKind::None:
      break;
    case RopeScalingKind::Linear:
    case RopeScalingKind::NTK:
      os << "      factor: " << formatDouble(s.factor) << '\n';
      break;
    case RopeScalingKind::DynamicNTK:
      os << "      factor: " << formatDouble(s.factor) << '\n';
      os << "      original_context: " << s.originalContext << '\n';
      break;
    case RopeScalingKind::YaRN:
      os << "      factor: " << formatDouble(s.factor) << '\n';
      os << "      original_context: " << s.originalContext << '\n';
      os << "      beta_fast: " << formatDouble(s.betaFast) << '\n';
      os << "      beta_slow: " << formatDouble(s.betaSlow) << '\n';
      os << "      attention_factor: " << formatDouble(s.attentionFactor) << '\n';
      break;
    case RopeScalingKind::Llama3:
      os << "      factor: " << formatDouble(s.factor) << '\n';
      os << "      low_freq_factor: " << formatDouble(s.lowFreqFactor) << '\n';
      os << "      high_freq_factor: " << formatDouble(s.highFreqFactor) << '\n';
      os << "      original_context: " << s.originalContext << '\n';
      break;
    case RopeScalingKind::LongRoPE:
      os << "      original_context: " << s.originalContext << '\n';
      os << "      max_context: " << s.maxContext << '\n';
      os << "      factor: " << formatDouble(s.factor) << '\n';
      os << "      attention_factor: " << formatDouble(s.attentionFactor) << '\n';
      os << "      short_factor: ";
      printList(s.shortFactor, os);
      os << "\n      long_factor: ";
      printList(s.longFactor, os);
      os << '\n';
      break;
    }
    const RopeRemap &r = p.remap;
    switch (r.kind) {
    case RopeRemapKind::None:
      os << "    remap: none\n";
      break;
    case RopeRemapKind::ReRoPE:
      os << "    remap: rerope(window=" << r.window
         << ", log_scale_base=" << formatDouble(r.logScaleBase) << ")\n";
      break;
    case RopeRemapKind::SelfExtend:
      os << "    remap: self_extend(group=" << r.group << ", window=" << r.window
         << ")\n";
      break;
    }
    return;
  }
  case PositionKind::ALiBi:
    os << "  position: alibi\n";
    if (p.explicitSlopes)
      os << "    max_bias: explicit\n";
    else
      os << "    max_bias: " << formatDouble(p.maxBias) << '\n';
    os << "    slopes: ";
    printList(p.slopes, os);
    os << '\n';
    return;
  case PositionKind::T5Bias:
    os << "  position: t5_bias\n";
    os << "    table: " << p.table << '\n';
    os << "    buckets: " << p.buckets << '\n';
    os << "    max_distance: " << p.maxDistance << '\n';
    os << "    bidirectional: " << (p.bidirectional ? "true" : "false") << '\n';
    return;
  }
}

void attnc::printSpec(const Spec &s, llvm::raw_ostream &os) {
  os << "spec " << s.name << '\n';
  os << "  heads: " << s.heads << '\n';
  os << "  kv_heads: " << s.kvHeads << '\n';
  os << "  head_dim: " << s.headDim << '\n';
  os << "  value_dim: " << s.valueDim << '\n';
  os << "  q_dtype: " << dtypeName(s.qType) << '\n';
  os << "  k_dtype: " << dtypeName(s.kType) << '\n';
  os << "  v_dtype: " << dtypeName(s.vType) << '\n';
  os << "  out_dtype: " << dtypeName(s.outType) << '\n';
  os << "  accum: " << dtypeName(s.accumType) << '\n';
  os << "  scale: " << formatDouble(s.scale) << '\n';
  os << "  lse: " << (s.lse ? "true" : "false") << '\n';
  printPosition(s.position, os);

  for (const HeadMask &m : s.masks) {
    os << "  mask[" << m.headBegin << ':' << m.headEnd << "]: ";
    if (m.mask)
      printMask(*m.mask, os);
    os << '\n';
  }
  if (s.scores.empty())
    os << "  score: identity\n";
  for (const HeadScore &sc : s.scores) {
    os << "  score[" << sc.headBegin << ':' << sc.headEnd << "]: ";
    if (sc.score)
      printExpr(*sc.score, os);
    else
      os << "identity";
    os << '\n';
  }

  switch (s.normalizer.kind) {
  case NormalizerKind::Softmax: os << "  normalizer: softmax\n"; break;
  case NormalizerKind::SoftmaxSinks:
    os << "  normalizer: softmax(sinks=" << s.normalizer.sinks << ")\n";
    break;
  case NormalizerKind::OffByOne: os << "  normalizer: off_by_one\n"; break;
  }
  os << "  tile: [" << s.qTile << ", " << s.kTile << "]\n";
  const BlockLayout &b = s.blocks;
  switch (b.kind) {
  case BlockLayoutKind::FromMask: os << "  blocks: from_mask\n"; break;
  case BlockLayoutKind::SlidingBlocks:
    os << "  blocks: sliding_blocks(window=" << b.window << ", global="
       << b.global << ")\n";
    break;
  case BlockLayoutKind::BigBird:
    os << "  blocks: bigbird(window=" << b.window << ", global=" << b.global
       << ", random=" << b.random << ", seed=" << b.seed << ")\n";
    break;
  case BlockLayoutKind::Dynamic:
    os << "  blocks: dynamic(top_k=" << b.topK << ")\n";
    break;
  }

  const Cache &c = s.cache;
  const char *layout = c.layout == CacheLayout::NHD ? "nhd" : "hnd";
  switch (c.kind) {
  case CacheKind::Contiguous:
    os << "  cache: contiguous(layout=" << layout << ", capacity=" << c.capacity
       << ")\n";
    break;
  case CacheKind::Paged:
    os << "  cache: paged(page_size=" << c.pageSize << ", layout=" << layout
       << ")\n";
    break;
  case CacheKind::Ring:
    os << "  cache: ring(sinks=" << c.sinks << ", window=" << c.window << ")\n";
    break;
  }
  const CacheQuant &q = c.quant;
  switch (q.kind) {
  case QuantKind::None: os << "    quant: none\n"; break;
  case QuantKind::Int8:
    os << "    quant: int8(granularity=" << granularityName(q.granularity)
       << ")\n";
    break;
  case QuantKind::FP8:
    os << "    quant: fp8(format="
       << (q.format == FP8Format::E4M3 ? "e4m3" : "e5m2")
       << ", granularity=" << granularityName(q.granularity) << ")\n";
    break;
  case QuantKind::Int4:
    os << "    quant: int4(group=" << q.group << ", keys="
       << granularityName(q.keys) << ", values=" << granularityName(q.values)
       << ")\n";
    break;
  }

  for (const KernelInput &in : s.inputs) {
    os << "  input " << in.name << ": " << dtypeName(in.dtype) << '[';
    for (size_t i = 0; i < in.dims.size(); ++i)
      os << (i ? ", " : "") << in.dims[i];
    os << "]\n";
  }
}

QuantLayout attnc::quantLayout(const Spec &spec) {
  const CacheQuant &q = spec.cache.quant;
  QuantLayout l;
  if (q.kind == QuantKind::None)
    return l;
  l.quantized = true;
  if (q.kind == QuantKind::Int4) {
    l.asymmetric = true;
    l.codesPerByte = 2;
    l.keys = {q.keys == QuantGranularity::PerChannel, q.group};
    l.values = {q.values == QuantGranularity::PerChannel, q.group};
    return l;
  }
  // int8/fp8: per-token scales cover the whole row, per-channel groups are
  // 32 tokens.
  bool pc = q.granularity == QuantGranularity::PerChannel;
  l.keys = {pc, pc ? 32 : spec.headDim};
  l.values = {pc, pc ? 32 : spec.valueDim};
  return l;
}

std::string attnc::missingCacheKernels(const Spec &spec) {
  QuantLayout l = quantLayout(spec);
  if (!l.quantized)
    return "";
  if (l.codesPerByte == 2 && (spec.headDim % 2 || spec.valueDim % 2))
    return "int4 quantization with an odd head dimension";
  if (!l.anyPerChannel())
    return "";
  if (spec.cache.kind == CacheKind::Ring)
    return "per_channel quantization on a ring cache";
  if (l.keys.perChannel && l.values.perChannel && l.keys.group != l.values.group)
    return "per_channel token groups of different sizes";
  if (spec.cache.kind == CacheKind::Paged && spec.cache.pageSize % l.tokenGroup())
    return "per_channel token groups that do not divide the page size";
  return "";
}
