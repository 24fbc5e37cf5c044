//===- Reference.cpp - The float64 reference of one attention call --------===//
//
// Every formula here is transcribed from docs/semantics.md (section numbers
// in the comments). Loops are deliberately naive: one (query, head) row at a
// time, every score materialized, a two-pass softmax in double.
//
//===----------------------------------------------------------------------===//
#include "tools/reference/Reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace attnc;

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kInf = std::numeric_limits<double>::infinity();

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}

/// Everything an expression or mask may read for one (query, key, head).
struct PairContext {
  const Spec &spec;
  const ReferenceInputs &in;
  int64_t head, kvHead, qPos, kPos, qLen, kLen, batch;
  double score;
};

/// Reads kernel input `name` at `idx`; 0 when the index is out of range
/// (the kernel's guarded load, semantics.md §10).
double readInput(const ReferenceInputs &in, const std::string &name,
                 const std::vector<int64_t> &idx) {
  auto it = in.inputs.find(name);
  if (it == in.inputs.end())
    return 0;
  const RefTensor &t = it->second;
  if (idx.size() != t.shape.size())
    return 0;
  int64_t flat = 0;
  for (size_t d = 0; d < idx.size(); ++d) {
    if (idx[d] < 0 || idx[d] >= t.shape[d])
      return 0;
    flat = flat * t.shape[d] + idx[d];
  }
  return t.values[flat];
}

/// Evaluates a typed expression in double. Int-typed nodes hold integral
/// values and use C semantics (truncating `/`, `%` with the dividend's sign);
/// Bool nodes are 0 or 1.
double evalExpr(const Expr &e, const PairContext &c) {
  auto arg = [&](size_t n) { return evalExpr(*e.operands[n], c); };
  switch (e.kind) {
  case ExprKind::IntConst:
  case ExprKind::BoolConst:
    return (double)e.intValue;
  case ExprKind::FloatConst:
    return e.floatValue;
  case ExprKind::Var:
    switch (e.var) {
    case ExprVar::Batch: return (double)c.batch;
    case ExprVar::Head: return (double)c.head;
    case ExprVar::KVHead: return (double)c.kvHead;
    case ExprVar::QPos: return (double)c.qPos;
    case ExprVar::KPos: return (double)c.kPos;
    case ExprVar::QLen: return (double)c.qLen;
    case ExprVar::KLen: return (double)c.kLen;
    case ExprVar::Score: return c.score;
    }
    return 0;
  case ExprKind::Input: {
    std::vector<int64_t> idx;
    for (size_t n = 0; n < e.operands.size(); ++n)
      idx.push_back((int64_t)arg(n));
    return readInput(c.in, e.inputName, idx);
  }
  case ExprKind::Unary:
    if (e.op == ExprOp::Not)
      return arg(0) != 0 ? 0.0 : 1.0;
    return -arg(0);
  case ExprKind::Binary: {
    double a = arg(0), b = arg(1);
    bool isInt = e.type == ExprType::Int;
    switch (e.op) {
    case ExprOp::Add: return a + b;
    case ExprOp::Sub: return a - b;
    case ExprOp::Mul: return a * b;
    case ExprOp::Div:
      if (isInt) {
        int64_t ib = (int64_t)b;
        return ib == 0 ? 0.0 : (double)((int64_t)a / ib);
      }
      return a / b;
    case ExprOp::Rem:
      if (isInt) {
        int64_t ib = (int64_t)b;
        return ib == 0 ? 0.0 : (double)((int64_t)a % ib);
      }
      return std::fmod(a, b);
    case ExprOp::Pow: return std::pow(a, b);
    case ExprOp::Eq: return a == b;
    case ExprOp::Ne: return a != b;
    case ExprOp::Lt: return a < b;
    case ExprOp::Le: return a <= b;
    case ExprOp::Gt: return a > b;
    case ExprOp::Ge: return a >= b;
    case ExprOp::And: return (a != 0) && (b != 0);
    case ExprOp::Or: return (a != 0) || (b != 0);
    case ExprOp::Neg: return -a;
    case ExprOp::Not: return a == 0;
    }
    return 0;
  }
  case ExprKind::Select:
    return arg(0) != 0 ? arg(1) : arg(2);
  case ExprKind::Call: {
    double a = arg(0);
    switch (e.callee) {
    case ExprCallee::Tanh: return std::tanh(a);
    case ExprCallee::Exp: return std::exp(a);
    case ExprCallee::Log: return std::log(a);
    case ExprCallee::Sqrt: return std::sqrt(a);
    case ExprCallee::Abs: return std::fabs(a);
    case ExprCallee::Min: return std::min(a, arg(1));
    case ExprCallee::Max: return std::max(a, arg(1));
    case ExprCallee::Floor: return std::floor(a);
    case ExprCallee::Ceil: return std::ceil(a);
    }
    return 0;
  }
  case ExprKind::Cast:
    return arg(0);
  }
  return 0;
}

const Mask *maskForHead(const Spec &spec, int64_t h) {
  for (const HeadMask &m : spec.masks)
    if (h >= m.headBegin && h < m.headEnd)
      return m.mask.get();
  return nullptr; // full
}

const Expr *scoreForHead(const Spec &spec, int64_t h) {
  for (const HeadScore &s : spec.scores)
    if (h >= s.headBegin && h < s.headEnd)
      return s.score.get();
  return nullptr; // identity
}

/// Rotates x (D values) in place at RoPE position `pos` (§5.1).
void rotate(std::vector<double> &x, double pos, const std::vector<double> &invFreq,
            double af, RopeLayout layout, int64_t r) {
  int64_t half = r / 2;
  for (int64_t j = 0; j < half; ++j) {
    double angle = pos * invFreq[j];
    double c = af * std::cos(angle), s = af * std::sin(angle);
    int64_t a = layout == RopeLayout::HalfSplit ? j : 2 * j;
    int64_t b = layout == RopeLayout::HalfSplit ? j + half : 2 * j + 1;
    double xa = x[a], xb = x[b];
    x[a] = xa * c - xb * s;
    x[b] = xb * c + xa * s;
  }
}
} // namespace

double attnc::roundToDType(double x, DType type) {
  if (type == DType::F32)
    return (double)(float)x;
  if (type != DType::BF16 && type != DType::F16)
    return x;
  if (!std::isfinite(x) || x == 0)
    return x;
  // Significand bits p (including the implicit one) and the minimum normal
  // exponent; below it the spacing stays that of the smallest binade.
  int p = type == DType::BF16 ? 8 : 11;
  int minExp = type == DType::BF16 ? -126 : -14;
  double maxFinite = type == DType::BF16 ? 3.3895313892515355e38 : 65504.0;
  int e = std::ilogb(x);
  e = std::max(e, minExp);
  double ulp = std::ldexp(1.0, e - (p - 1));
  double y = std::nearbyint(x / ulp) * ulp; // default mode: ties to even
  // Overflow: rounding to nearest gives inf once |x| >= max + ulp/2.
  if (std::fabs(y) > maxFinite)
    return std::copysign(kInf, x);
  return y;
}

std::vector<double> attnc::referenceInvFreq(const Position &pos, int64_t seqLen) {
  const RopeScaling &sc = pos.scaling;
  const int64_t r = pos.rotaryDim, half = r / 2;
  const double theta = pos.theta;
  auto base = [&](double t) {
    std::vector<double> inv(half);
    for (int64_t j = 0; j < half; ++j)
      inv[j] = std::pow(t, -2.0 * (double)j / (double)r);
    return inv;
  };
  std::vector<double> inv = base(theta);
  switch (sc.kind) {
  case RopeScalingKind::None:
    break;
  case RopeScalingKind::Linear:
    for (double &x : inv)
      x /= sc.factor;
    break;
  case RopeScalingKind::NTK:
    inv = base(theta * std::pow(sc.factor, (double)r / (double)(r - 2)));
    break;
  case RopeScalingKind::DynamicNTK: {
    double L = (double)seqLen, L0 = (double)sc.originalContext;
    if (L > L0)
      inv = base(theta * std::pow(sc.factor * L / L0 - (sc.factor - 1),
                                  (double)r / (double)(r - 2)));
    break;
  }
  case RopeScalingKind::YaRN: {
    // §5.4 (HF _compute_yarn_parameters).
    double L0 = (double)sc.originalContext;
    auto corr = [&](double n) {
      return (double)r * std::log(L0 / (n * 2 * kPi)) / (2 * std::log(theta));
    };
    double low = std::max(std::floor(corr(sc.betaFast)), 0.0);
    double high = std::min(std::ceil(corr(sc.betaSlow)), (double)(r - 1));
    if (low == high)
      high += 0.001;
    for (int64_t j = 0; j < half; ++j) {
      double ramp = std::clamp(((double)j - low) / (high - low), 0.0, 1.0);
      double b = inv[j];
      inv[j] = (b / sc.factor) * ramp + b * (1 - ramp);
    }
    break;
  }
  case RopeScalingKind::Llama3: {
    // §5.5 (HF _compute_llama3_parameters).
    double L0 = (double)sc.originalContext;
    double lamLo = L0 / sc.lowFreqFactor, lamHi = L0 / sc.highFreqFactor;
    for (double &x : inv) {
      double lam = 2 * kPi / x;
      if (lam < lamHi)
        continue;
      if (lam > lamLo) {
        x = x / sc.factor;
        continue;
      }
      double mu = (L0 / lam - sc.lowFreqFactor) / (sc.highFreqFactor - sc.lowFreqFactor);
      x = (1 - mu) * x / sc.factor + mu * x;
    }
    break;
  }
  case RopeScalingKind::LongRoPE: {
    bool useLong = seqLen > sc.originalContext;
    const std::vector<double> &f = useLong ? sc.longFactor : sc.shortFactor;
    for (int64_t j = 0; j < half; ++j)
      inv[j] = inv[j] / (j < (int64_t)f.size() ? f[j] : 1.0);
    break;
  }
  }
  // §5.1: the inverse-frequency table is f32.
  for (double &x : inv)
    x = (double)(float)x;
  return inv;
}

int64_t attnc::referenceT5Bucket(int64_t rp, bool bidirectional, int64_t nb,
                                 int64_t maxDistance) {
  int64_t n = nb, ret = 0;
  if (bidirectional) {
    n = nb / 2;
    if (rp > 0)
      ret = n;
    rp = rp < 0 ? -rp : rp;
  } else {
    rp = -std::min<int64_t>(rp, 0);
  }
  int64_t exact = n / 2;
  if (rp < exact)
    return ret + rp;
  double big = (double)exact + std::log((double)rp / (double)exact) /
                                   std::log((double)maxDistance / (double)exact) *
                                   (double)(n - exact);
  int64_t large = (int64_t)big; // toward zero; the argument is >= exact
  return ret + std::min<int64_t>(large, n - 1);
}

bool attnc::referenceMaskKeeps(const Mask &m, const Spec &spec,
                               const ReferenceInputs &in, int64_t head,
                               int64_t qPos, int64_t kPos) {
  const int64_t d = qPos - kPos;
  switch (m.kind) {
  case MaskKind::Full:
    return true;
  case MaskKind::Causal:
    return kPos <= qPos;
  case MaskKind::Window:
    return -m.right <= d && d < m.left;
  case MaskKind::Sinks:
    return kPos < m.count;
  case MaskKind::Dilated:
    return d >= 0 && d < m.window * m.dilation && (d - m.offset) % m.dilation == 0;
  case MaskKind::Global: {
    if (qPos < m.count || kPos < m.count)
      return true;
    for (int64_t t : m.tokens)
      if (qPos == t || kPos == t)
        return true;
    return false;
  }
  case MaskKind::Document: {
    auto it = in.inputs.find(m.input);
    if (it == in.inputs.end() || it->second.shape.empty())
      return false;
    int64_t n = it->second.shape[0];
    if (qPos < 0 || qPos >= n || kPos < 0 || kPos >= n)
      return false;
    return it->second.values[qPos] == it->second.values[kPos];
  }
  case MaskKind::PrefixLM: {
    int64_t p = m.length;
    if (!m.input.empty()) {
      auto it = in.inputs.find(m.input);
      if (it != in.inputs.end() && !it->second.shape.empty() && in.batch >= 0 &&
          in.batch < it->second.shape[0])
        p = (int64_t)it->second.values[in.batch];
    }
    return kPos <= qPos || kPos < p;
  }
  case MaskKind::Chunked:
    return floorDiv(qPos + m.offset, m.size) == floorDiv(kPos + m.offset, m.size);
  case MaskKind::Predicate: {
    int64_t g = head / (spec.heads / spec.kvHeads);
    PairContext c{spec, in, head, g, qPos, kPos, in.lq, in.lk, in.batch, 0.0};
    return evalExpr(*m.predicate, c) != 0;
  }
  case MaskKind::And:
    for (const MaskPtr &o : m.operands)
      if (!referenceMaskKeeps(*o, spec, in, head, qPos, kPos))
        return false;
    return true;
  case MaskKind::Or:
    for (const MaskPtr &o : m.operands)
      if (referenceMaskKeeps(*o, spec, in, head, qPos, kPos))
        return true;
    return false;
  case MaskKind::Not:
    return !referenceMaskKeeps(*m.operands[0], spec, in, head, qPos, kPos);
  }
  return true;
}

bool attnc::referenceAttention(const Spec &spec, const ReferenceInputs &in,
                               ReferenceResult &res, std::string &error) {
  const int64_t H = spec.heads, G = spec.kvHeads, D = spec.headDim, Dv = spec.valueDim;
  const int64_t Lq = in.lq, Lk = in.lk;
  if (H <= 0 || G <= 0 || H % G != 0) {
    error = "spec '" + spec.name + "' has an invalid head configuration";
    return false;
  }
  if ((int64_t)in.q.size() != Lq * H * D || (int64_t)in.k.size() != Lk * G * D ||
      (int64_t)in.v.size() != Lk * G * Dv) {
    error = "Q/K/V sizes do not match [Lq, heads, D] / [Lk, kv_heads, D|Dv]";
    return false;
  }
  for (const KernelInput &ki : spec.inputs)
    if (!in.inputs.count(ki.name)) {
      error = "missing kernel input '" + ki.name + "'";
      return false;
    }

  // §4: default positions are bottom-right aligned.
  std::vector<int64_t> qPos = in.qPos, kPos = in.kPos;
  if (qPos.empty()) {
    qPos.resize(Lq);
    for (int64_t i = 0; i < Lq; ++i)
      qPos[i] = Lk - Lq + i;
  }
  if (kPos.empty()) {
    kPos.resize(Lk);
    for (int64_t j = 0; j < Lk; ++j)
      kPos[j] = j;
  }
  if ((int64_t)qPos.size() != Lq || (int64_t)kPos.size() != Lk) {
    error = "positions do not match Lq / Lk";
    return false;
  }

  // §5: RoPE. Branch 0 rotates at the positions themselves; branch 1 is the
  // far branch of a remap (§5.6).
  const Position &P = spec.position;
  const bool rope = P.kind == PositionKind::RoPE && P.rotaryDim > 0;
  const RopeRemapKind remap = rope ? P.remap.kind : RopeRemapKind::None;
  const int64_t seqLen = in.seqLen >= 0 ? in.seqLen : Lk;
  std::vector<double> invFreq;
  double af = 1;
  if (rope) {
    invFreq = referenceInvFreq(P, seqLen);
    if (P.scaling.kind == RopeScalingKind::YaRN || P.scaling.kind == RopeScalingKind::LongRoPE)
      af = P.scaling.attentionFactor;
  }
  auto rotated = [&](const double *src, int64_t pos) {
    std::vector<double> x(src, src + D);
    if (rope)
      rotate(x, (double)pos, invFreq, af, P.layout, P.rotaryDim);
    return x;
  };
  // Keys, per branch: [Lk][G] vectors of D.
  std::vector<std::vector<double>> kNear(Lk * G), kFar;
  for (int64_t j = 0; j < Lk; ++j)
    for (int64_t g = 0; g < G; ++g)
      kNear[j * G + g] = in.keysRotated ? std::vector<double>(&in.k[(j * G + g) * D], &in.k[(j * G + g) * D] + D)
                                        : rotated(&in.k[(j * G + g) * D], kPos[j]);
  if (remap != RopeRemapKind::None) {
    kFar.resize(Lk * G);
    for (int64_t j = 0; j < Lk; ++j)
      for (int64_t g = 0; g < G; ++g) {
        int64_t p = remap == RopeRemapKind::ReRoPE ? 0 : floorDiv(kPos[j], P.remap.group);
        kFar[j * G + g] = rotated(&in.k[(j * G + g) * D], p);
      }
  }

  std::string sinkName =
      spec.normalizer.kind == NormalizerKind::SoftmaxSinks ? spec.normalizer.sinks : "";

  res.out.assign(Lq * H * Dv, 0.0);
  res.lse.assign(Lq * H, -kInf);
  res.fullyMasked.assign(Lq * H, 0);
  std::vector<double> s(Lk);
  std::vector<char> kept(Lk);
  for (int64_t i = 0; i < Lq; ++i) {
    const int64_t qp = qPos[i];
    for (int64_t h = 0; h < H; ++h) {
      const int64_t g = h / (H / G);
      // The query, with ReRoPE's log-n scale applied to every dim first.
      std::vector<double> q(&in.q[(i * H + h) * D], &in.q[(i * H + h) * D] + D);
      if (remap == RopeRemapKind::ReRoPE && P.remap.logScaleBase > 0) {
        double f = std::max(1.0, std::log((double)qp + 1) / std::log(P.remap.logScaleBase));
        for (double &x : q)
          x *= f;
      }
      std::vector<double> qNear = q, qFar;
      if (rope)
        rotate(qNear, (double)qp, invFreq, af, P.layout, P.rotaryDim);
      int64_t remapWindow = P.remap.window;
      if (remap != RopeRemapKind::None) {
        qFar = q;
        int64_t p = remap == RopeRemapKind::ReRoPE
                        ? remapWindow
                        : floorDiv(qp, P.remap.group) + remapWindow - remapWindow / P.remap.group;
        rotate(qFar, (double)p, invFreq, af, P.layout, P.rotaryDim);
      }
      const Mask *mask = maskForHead(spec, h);
      const Expr *score = scoreForHead(spec, h);

      bool nanRow = false;
      double m = -kInf;
      for (int64_t j = 0; j < Lk; ++j) {
        const int64_t kp = kPos[j];
        kept[j] = 0;
        // §7: masked pairs are -inf whatever the score; the order of the
        // steps below does not matter for them.
        if (mask && !referenceMaskKeeps(*mask, spec, in, h, qp, kp))
          continue;
        bool far = remap != RopeRemapKind::None && qp - kp >= remapWindow;
        const std::vector<double> &qv = far ? qFar : qNear;
        const std::vector<double> &kv = far ? kFar[j * G + g] : kNear[j * G + g];
        double dot = 0;
        for (int64_t c = 0; c < D; ++c)
          dot += qv[c] * kv[c];
        double x = spec.scale * dot; // §1: scale,
        if (score) {                  // then the score expression,
          PairContext ctx{spec, in, h, g, qp, kp, Lq, Lk, in.batch, x};
          x = evalExpr(*score, ctx);
        }
        if (P.kind == PositionKind::ALiBi) { // then the bias (§6).
          double slope = h < (int64_t)P.slopes.size() ? P.slopes[h] : 0.0;
          x += -slope * (double)(qp - kp);
        } else if (P.kind == PositionKind::T5Bias) {
          int64_t bucket = referenceT5Bucket(kp - qp, P.bidirectional, P.buckets, P.maxDistance);
          x += readInput(in, P.table, {h, bucket});
        }
        if (x == -kInf)
          continue; // a score expression that yields -inf acts as a mask
        if (std::isnan(x) || x == kInf)
          nanRow = true;
        kept[j] = 1;
        s[j] = x;
        m = std::max(m, x);
      }

      double *out = &res.out[(i * H + h) * Dv];
      double &lse = res.lse[i * H + h];
      // §3: the extra denominator term and m'.
      bool hasExtra = spec.normalizer.kind != NormalizerKind::Softmax;
      double extra = 0; // its logit
      if (spec.normalizer.kind == NormalizerKind::SoftmaxSinks)
        extra = readInput(in, sinkName, {h});
      if (nanRow) {
        for (int64_t c = 0; c < Dv; ++c)
          out[c] = std::nan("");
        lse = std::nan("");
        continue;
      }
      if (m == -kInf) { // fully masked row
        res.fullyMasked[i * H + h] = 1;
        lse = hasExtra ? extra : -kInf;
        continue;
      }
      double mp = hasExtra ? std::max(m, extra) : m;
      double den = hasExtra ? std::exp(extra - mp) : 0.0;
      for (int64_t j = 0; j < Lk; ++j)
        if (kept[j])
          den += std::exp(s[j] - mp);
      for (int64_t j = 0; j < Lk; ++j) {
        if (!kept[j])
          continue;
        double w = std::exp(s[j] - mp) / den;
        const double *v = &in.v[(j * G + g) * Dv];
        for (int64_t c = 0; c < Dv; ++c)
          out[c] += w * v[c];
      }
      lse = mp + std::log(den);
    }
  }
  return true;
}

void attnc::referenceRotate(const Spec &spec, double *x, int64_t pos, int64_t seqLen) {
  const Position &P = spec.position;
  if (P.kind != PositionKind::RoPE || P.rotaryDim == 0)
    return;
  double af = P.scaling.kind == RopeScalingKind::YaRN || P.scaling.kind == RopeScalingKind::LongRoPE
                  ? P.scaling.attentionFactor
                  : 1.0;
  std::vector<double> v(x, x + spec.headDim);
  rotate(v, (double)pos, referenceInvFreq(P, seqLen), af, P.layout, P.rotaryDim);
  std::copy(v.begin(), v.end(), x);
}

std::vector<double> attnc::referenceFP8Grid(FP8Format format) {
  // e4m3fn: bias 7, 3 mantissa bits, code 0x7F is NaN; e5m2: bias 15, 2 bits,
  // exponent 31 is inf/NaN.
  const bool e4m3 = format == FP8Format::E4M3;
  const int mbits = e4m3 ? 3 : 2, bias = e4m3 ? 7 : 15;
  const int last = e4m3 ? 0x7E : 0x7B;
  std::vector<double> grid;
  for (int code = 0; code <= last; ++code) {
    int e = code >> mbits, m = code & ((1 << mbits) - 1);
    grid.push_back(e == 0 ? std::ldexp((double)m, 1 - bias - mbits)
                          : std::ldexp(1.0 + (double)m / (1 << mbits), e - bias));
  }
  return grid;
}

void attnc::referenceQuantizeGroup(const CacheQuant &quant, double *const *x, int64_t n) {
  if (quant.kind == QuantKind::None || n == 0)
    return;
  if (quant.kind == QuantKind::Int4) {
    double mn = *x[0], mx = *x[0];
    for (int64_t c = 1; c < n; ++c) {
      mn = std::min(mn, *x[c]);
      mx = std::max(mx, *x[c]);
    }
    // f32 arithmetic where the stored minimum and scale come from.
    const float fmn = (float)mn, scale = ((float)mx - fmn) / 15.0f;
    for (int64_t c = 0; c < n; ++c) {
      double q = scale == 0 ? 0 : std::nearbyint((double)(((float)*x[c] - fmn) / scale));
      q = std::min(15.0, std::max(0.0, q));
      *x[c] = q * scale + fmn;
    }
    return;
  }
  double a = 0;
  for (int64_t c = 0; c < n; ++c)
    a = std::max(a, std::fabs(*x[c]));
  if (quant.kind == QuantKind::Int8) {
    const float scale = (float)a / 127.0f; // f32 division, as the scale is stored
    for (int64_t c = 0; c < n; ++c) {
      double q = scale == 0 ? 0 : std::nearbyint((double)((float)*x[c] / scale));
      q = std::min(127.0, std::max(-127.0, q));
      *x[c] = q * scale;
    }
    return;
  }
  // FP8: the nearest grid value (ties to the even code), saturating at F.
  const std::vector<double> grid = referenceFP8Grid(quant.format);
  const float scale = (float)a / (float)grid.back();
  for (int64_t c = 0; c < n; ++c) {
    double y = scale == 0 ? 0 : std::fabs((double)((float)*x[c] / scale));
    size_t best = 0;
    for (size_t i = 1; i < grid.size(); ++i) {
      double d = std::fabs(grid[i] - y), db = std::fabs(grid[best] - y);
      if (d < db || (d == db && i % 2 == 0))
        best = i;
    }
    *x[c] = std::copysign(grid[best] * scale, *x[c]);
  }
}

void attnc::referenceQuantizeRow(const CacheQuant &quant, double *x, int64_t n) {
  const int64_t group = quant.kind == QuantKind::Int4 ? quant.group : n;
  std::vector<double *> ptrs;
  for (int64_t o = 0; o < n; o += group) {
    ptrs.clear();
    for (int64_t c = o; c < std::min(n, o + group); ++c)
      ptrs.push_back(x + c);
    referenceQuantizeGroup(quant, ptrs.data(), ptrs.size());
  }
}
