#include "crossq/agents/common.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace crossq {

void adam_scalar(float& x, float* m, int64_t& steps, double g, float lr, float b1, float b2, float eps) {
  ++steps;
  m[0] = b1 * m[0] + (1.f - b1) * static_cast<float>(g);
  m[1] = b2 * m[1] + (1.f - b2) * static_cast<float>(g * g);
  const double bc1 = 1.0 - std::pow(static_cast<double>(b1), static_cast<double>(steps));
  const double bc2 = 1.0 - std::pow(static_cast<double>(b2), static_cast<double>(steps));
  const double denom = std::sqrt(m[1]) / std::sqrt(bc2) + eps;
  x -= static_cast<float>(lr / bc1 * m[0] / denom);
}

double temperature_step(float& log_alpha, float* m, int64_t& steps, double logp_mean, float target_entropy,
                        const nn::AdamConfig& opt) {
  const double loss = -log_alpha * (logp_mean + target_entropy);
  adam_scalar(log_alpha, m, steps, -(logp_mean + target_entropy), opt.lr, opt.beta1, opt.beta2, opt.eps);
  return loss;
}

double mse_loss(float* dq, const float* q, const float* y, int B) {
  double loss = 0;
  const float scale = 2.f / static_cast<float>(B);
  for (int n = 0; n < B; ++n) {
    const float e = q[n] - y[n];
    loss += static_cast<double>(e) * e;
    dq[n] = scale * e;
  }
  return loss / B;
}

void fill_rows(float* x, const float* obs, const float* act, int B, int O, int A) {
  const size_t D = static_cast<size_t>(O + A);
  for (int n = 0; n < B; ++n) {
    std::copy_n(obs + static_cast<size_t>(n) * O, O, x + n * D);
    std::copy_n(act + static_cast<size_t>(n) * A, A, x + n * D + O);
  }
}

void add_param_state(std::vector<StateRef>& out, const std::string& p, nn::ParamSet& ps, bool optimizer) {
  out.push_back(state_array(p + ".w", ps.w));
  if (optimizer) {
    out.push_back(state_array(p + ".m", ps.m));
    out.push_back(state_array(p + ".v", ps.v));
    out.push_back(state_scalar(p + ".steps", ps.steps));
  }
}

std::vector<StateRef> Agent::policy_state() {
  std::vector<StateRef> out;
  auto starts = [](const std::string& n, const char* p) { return n.rfind(p, 0) == 0; };
  auto ends = [](const std::string& n, const char* s) {
    const size_t k = std::strlen(s);
    return n.size() >= k && n.compare(n.size() - k, k, s) == 0;
  };
  for (const StateRef& r : state()) {
    const std::string& n = r.name;
    if (!(starts(n, "actor.") || starts(n, "opt_actor.") || starts(n, "obs_norm."))) continue;
    if (ends(n, ".m") || ends(n, ".v") || ends(n, ".steps")) continue;
    out.push_back(r);
  }
  return out;
}

}  // namespace crossq
