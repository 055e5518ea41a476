// Pieces both agent families share: the temperature's Adam step, the MSE critic loss, the
// rows [s, a] of a critic's input, and the StateRef helpers of their checkpoints.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "crossq/agents/agent.h"
#include "crossq/nn/params.h"

namespace crossq {

// one Adam step on a scalar (temperature, KL weight): m holds its two moments, steps its count
void adam_scalar(float& x, float* m, int64_t& steps, double grad, float lr, float beta1, float beta2, float eps);

// SAC's temperature step (Haarnoja et al. 2018): loss = -log_alpha (log pi + target_entropy)
// with log pi detached, plain Adam on log_alpha; returns the loss
double temperature_step(float& log_alpha, float* m, int64_t& steps, double logp_mean, float target_entropy,
                        const nn::AdamConfig& opt);

// mean over B of (q - y)^2, and its gradient 2 (q - y) / B into dq; q, y, dq are (B)
double mse_loss(float* dq, const float* q, const float* y, int B);

// writes the rows [obs_n, act_n] of a critic's input: x is (B, O + A), obs (B, O), act (B, A)
void fill_rows(float* x, const float* obs, const float* act, int B, int O, int A);

// checkpoint entries of an array, a scalar, and a network's parameters (with its optimizer)
template <class V>
StateRef state_array(const std::string& name, V& v) {
  return {name, v.data(), v.size() * sizeof(typename V::value_type)};
}
template <class S>
StateRef state_scalar(const std::string& name, S& s) {
  return {name, &s, sizeof(S)};
}
void add_param_state(std::vector<StateRef>& out, const std::string& prefix, nn::ParamSet& ps, bool optimizer);

}  // namespace crossq
