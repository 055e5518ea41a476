#include "crossq/tasks/tolerance.h"

#include <cmath>
#include <stdexcept>

namespace crossq {

double tolerance(double x, double lo, double hi, double margin, Sigmoid sigmoid,
                 double value_at_margin) {
  if (lo > hi) throw std::invalid_argument("tolerance: lower bound above upper bound");
  if (margin < 0) throw std::invalid_argument("tolerance: margin must be non-negative");
  if (lo <= x && x <= hi) return 1.0;
  if (margin == 0.0) return 0.0;
  const double v = value_at_margin;
  const double d = (x < lo ? lo - x : x - hi) / margin;
  switch (sigmoid) {
    case Sigmoid::kGaussian: {
      if (!(v > 0 && v < 1))
        throw std::invalid_argument("tolerance: gaussian value_at_margin must be in (0, 1)");
      const double s = std::sqrt(-2.0 * std::log(v));
      return std::exp(-0.5 * (d * s) * (d * s));
    }
    case Sigmoid::kLinear: {
      if (!(v >= 0 && v < 1))
        throw std::invalid_argument("tolerance: linear value_at_margin must be in [0, 1)");
      const double ds = d * (1.0 - v);
      return ds < 1.0 ? 1.0 - ds : 0.0;
    }
    case Sigmoid::kQuadratic: {
      if (!(v >= 0 && v < 1))
        throw std::invalid_argument("tolerance: quadratic value_at_margin must be in [0, 1)");
      const double ds = d * std::sqrt(1.0 - v);
      return ds < 1.0 ? 1.0 - ds * ds : 0.0;
    }
  }
  return 0.0;
}

}  // namespace crossq
