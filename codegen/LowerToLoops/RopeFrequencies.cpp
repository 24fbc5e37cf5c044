//===- RopeFrequencies.cpp - Inverse frequencies of each RoPE scaling -----===//
#include "codegen/LowerToLoops/RopeFrequencies.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr double kPi = 3.14159265358979323846;

double asDouble(FloatAttr a) { return a.getValueAsDouble(); }

/// The pair index whose wavelength completes `rotations` turns over the
/// original context (YaRN's correction dimension, in HF's dimension space).
double yarnCorrectionDim(double rotations, double dim, double base,
                         double originalContext) {
  return dim * std::log(originalContext / (rotations * 2 * kPi)) /
         (2 * std::log(base));
}
} // namespace

RopeFrequencies mlir::attn::computeRopeFrequencies(RopeAttr rope) {
  RopeFrequencies f;
  const int64_t r = rope.getRotaryDim();
  const int64_t half = r / 2;
  double theta = asDouble(rope.getTheta());
  f.rotaryDim = r;
  f.theta = theta;
  auto base = [&](double t) {
    std::vector<double> inv(half);
    for (int64_t j = 0; j < half; ++j)
      inv[j] = std::pow(t, -2.0 * j / r);
    return inv;
  };
  Attribute scaling = rope.getScaling();
  if (!scaling) {
    f.invFreq = base(theta);
  } else if (auto s = dyn_cast<LinearScalingAttr>(scaling)) {
    f.invFreq = base(theta);
    for (double &x : f.invFreq)
      x /= asDouble(s.getFactor());
  } else if (auto s = dyn_cast<NTKScalingAttr>(scaling)) {
    f.invFreq = base(theta * std::pow(asDouble(s.getFactor()),
                                      double(r) / double(r - 2)));
  } else if (auto s = dyn_cast<DynamicNTKScalingAttr>(scaling)) {
    f.invFreq = base(theta);
    f.dynamicNTK = true;
    f.factor = asDouble(s.getFactor());
    f.originalContext = s.getOriginalContext();
  } else if (auto s = dyn_cast<YarnScalingAttr>(scaling)) {
    double factor = asDouble(s.getFactor());
    double orig = s.getOriginalContext();
    double low = std::floor(
        yarnCorrectionDim(asDouble(s.getBetaFast()), r, theta, orig));
    double high = std::ceil(
        yarnCorrectionDim(asDouble(s.getBetaSlow()), r, theta, orig));
    low = std::max(low, 0.0);
    high = std::min(high, double(r - 1));
    if (low == high)
      high += 0.001; // HF's guard against a zero-width ramp
    std::vector<double> extrapolation = base(theta);
    f.invFreq.resize(half);
    for (int64_t j = 0; j < half; ++j) {
      double ramp = std::clamp((j - low) / (high - low), 0.0, 1.0);
      double extrapolationWeight = 1.0 - ramp;
      f.invFreq[j] = extrapolation[j] / factor * (1.0 - extrapolationWeight) +
                     extrapolation[j] * extrapolationWeight;
    }
    f.attentionFactor = asDouble(s.getAttentionFactor());
  } else if (auto s = dyn_cast<Llama3ScalingAttr>(scaling)) {
    double factor = asDouble(s.getFactor());
    double low = asDouble(s.getLowFreqFactor());
    double high = asDouble(s.getHighFreqFactor());
    double orig = s.getOriginalContext();
    double lowWavelen = orig / low, highWavelen = orig / high;
    f.invFreq = base(theta);
    for (double &x : f.invFreq) {
      double wavelen = 2 * kPi / x;
      if (wavelen < highWavelen)
        continue;
      if (wavelen > lowWavelen) {
        x /= factor;
        continue;
      }
      double smooth = (orig / wavelen - low) / (high - low);
      x = (1 - smooth) * x / factor + smooth * x;
    }
  } else if (auto s = dyn_cast<LongRopeScalingAttr>(scaling)) {
    std::vector<double> b = base(theta);
    ArrayRef<double> shortF = s.getShortFactor().asArrayRef();
    ArrayRef<double> longF = s.getLongFactor().asArrayRef();
    f.invFreq.resize(half);
    f.invFreqLong.resize(half);
    for (int64_t j = 0; j < half; ++j) {
      f.invFreq[j] = b[j] / shortF[j];
      f.invFreqLong[j] = b[j] / longF[j];
    }
    f.attentionFactor = asDouble(s.getAttentionFactor());
    f.originalContext = s.getOriginalContext();
  } else {
    f.invFreq = base(theta);
  }
  // The tables are f32, as in HF (docs/semantics.md §5.1): checkpoints see the
  // frequencies they were trained with. Angles are then formed in f64.
  for (std::vector<double> *table : {&f.invFreq, &f.invFreqLong})
    for (double &x : *table)
      x = (double)(float)x;
  return f;
}
