// tolerance() against values worked out by hand from its definition.
#include <cmath>
#include <limits>
#include <stdexcept>

#include <gtest/gtest.h>

#include "crossq/tasks/tolerance.h"

namespace crossq {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Tolerance, OneInsideTheBoundsIncludingTheEdges) {
  EXPECT_EQ(tolerance(0.5, 0.0, 1.0), 1.0);
  EXPECT_EQ(tolerance(0.0, 0.0, 1.0, 2.0), 1.0);
  EXPECT_EQ(tolerance(1.0, 0.0, 1.0, 2.0, Sigmoid::kLinear, 0.0), 1.0);
  EXPECT_EQ(tolerance(1e9, 1.2, kInf, 0.6), 1.0);
}

TEST(Tolerance, ZeroMarginIsBinary) {
  EXPECT_EQ(tolerance(1.0001, 0.0, 1.0), 0.0);
  EXPECT_EQ(tolerance(-0.0001, 0.0, 1.0), 0.0);
}

TEST(Tolerance, GaussianEqualsValueAtMarginToThePowerDSquared) {
  // one margin away: value_at_margin; two margins away: v^4
  EXPECT_NEAR(tolerance(3.0, 0.0, 1.0, 2.0), 0.1, 1e-15);
  EXPECT_NEAR(tolerance(-2.0, 0.0, 1.0, 1.0), std::pow(0.1, 4), 1e-15);
  EXPECT_NEAR(tolerance(0.3, 0.0, 0.0, 0.6, Sigmoid::kGaussian, 0.5), std::pow(0.5, 0.25),
              1e-15);
}

TEST(Tolerance, LinearFallsToZeroAtMarginOverOneMinusV) {
  // v = 0: 1 - d; v = 0.5: 1 - d/2, zero from d = 2 on
  EXPECT_NEAR(tolerance(7.5, 10.0, kInf, 10.0, Sigmoid::kLinear, 0.0), 0.75, 1e-15);
  EXPECT_EQ(tolerance(-1.0, 10.0, kInf, 10.0, Sigmoid::kLinear, 0.0), 0.0);
  EXPECT_NEAR(tolerance(0.5, 1.0, kInf, 0.5, Sigmoid::kLinear, 0.5), 0.5, 1e-15);
  EXPECT_NEAR(tolerance(0.25, 1.0, kInf, 0.5, Sigmoid::kLinear, 0.5), 0.25, 1e-15);
  EXPECT_EQ(tolerance(-0.1, 1.0, kInf, 0.5, Sigmoid::kLinear, 0.5), 0.0);
}

TEST(Tolerance, QuadraticIsOneMinusDSquared) {
  EXPECT_NEAR(tolerance(0.5, 0.0, 0.0, 1.0, Sigmoid::kQuadratic, 0.0), 0.75, 1e-15);
  EXPECT_NEAR(tolerance(-1.0, 0.0, 0.0, 1.0, Sigmoid::kQuadratic, 0.0), 0.0, 1e-15);
  EXPECT_EQ(tolerance(1.5, 0.0, 0.0, 1.0, Sigmoid::kQuadratic, 0.0), 0.0);
  // v = 0.19: s = 0.9, d = 1 -> 1 - 0.81
  EXPECT_NEAR(tolerance(2.0, 0.0, 1.0, 1.0, Sigmoid::kQuadratic, 0.19), 0.19, 1e-15);
}

TEST(Tolerance, RejectsInvalidArguments) {
  EXPECT_THROW(tolerance(0.0, 1.0, 0.0), std::invalid_argument);
  EXPECT_THROW(tolerance(0.0, 1.0, 2.0, -1.0), std::invalid_argument);
  EXPECT_THROW(tolerance(0.0, 1.0, 2.0, 1.0, Sigmoid::kGaussian, 0.0), std::invalid_argument);
  EXPECT_THROW(tolerance(0.0, 1.0, 2.0, 1.0, Sigmoid::kLinear, 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace crossq
