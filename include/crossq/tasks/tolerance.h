// dm_control's reward shaping function (dm_control, Tassa et al. 2018): 1 inside [lo, hi], falling off
// outside over `margin` with a chosen sigmoid. Pure; every DMC reward is built from it.
#pragma once

namespace crossq {

enum class Sigmoid { kGaussian, kLinear, kQuadratic };

// 1 if lo <= x <= hi; with margin 0, 0 outside; otherwise a sigmoid of d = distance to the
// nearest bound / margin that equals `value_at_margin` at d = 1. Throws std::invalid_argument
// if lo > hi, margin < 0, or value_at_margin is outside (0, 1) for the gaussian ([0, 1) for
// linear and quadratic, where 0 means "reaches zero at the margin").
double tolerance(double x, double lo, double hi, double margin = 0.0,
                 Sigmoid sigmoid = Sigmoid::kGaussian, double value_at_margin = 0.1);

}  // namespace crossq
