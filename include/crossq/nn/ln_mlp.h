// TD-MPC2's MLP (Hansen et al., ICLR 2024):
//   { Linear -> [Dropout] -> LayerNorm -> Mish } x layers -> head
// where the head is a plain Linear, or a "normed" Linear whose activation is SimNorm (the
// encoder's and the dynamics' latent). Dropout, when on, follows the first Linear only.
//
// The parameters live in the network; the activations live in an LnMlpCache the caller owns.
// One network can so run several forwards whose backwards are all still to come (the latent
// dynamics unrolled over the horizon) and forwards on both lanes at once (the planner). A
// forward is const; a backward ADDS its parameter gradients to params().g, so a network used
// several times in one loss accumulates them (zero params().g before the first). Nothing
// allocates after construction.
#pragma once
#include <vector>

#include "crossq/nn/params.h"
#include "crossq/core/rng.h"

namespace crossq::nn {

enum class LnHead { kLinear, kSimNorm };

struct LnMlpConfig {
  int in = 0;          // input features
  int hidden = 512;    // units per hidden layer
  int layers = 2;      // hidden (normed, Mish) layers
  int out = 1;         // output features
  LnHead head = LnHead::kLinear;
  int simnorm_group = 8;   // SimNorm's group size (kSimNorm)
  bool dropout = false;    // a dropout mask after the first Linear (the caller passes it)
  float ln_eps = 1e-5f;    // LayerNorm epsilon (PyTorch's default)
  bool zero_head = false;  // the head's weights start at zero (TD-MPC2's reward and Q heads)
};

// the activations of one forward on up to `rows` rows
struct LnMlpCache {
  struct Layer {
    std::vector<float> xhat, ln, out;  // (rows, O) normalized, LayerNorm output, activation output
    std::vector<float> rstd;           // (rows)
  };
  int rows = 0;
  std::vector<Layer> layers;   // the normed layers (the head too when it is normed)
  std::vector<float> out;      // (rows, out) a plain head's output
  std::vector<float> d0, d1;   // backward scratch (rows, widest)
  std::vector<float> dcol;     // (widest) column sums
  const float* x = nullptr;    // the last forward's input and mask (the caller keeps them)
  const float* mask = nullptr;
  int n = 0;
};

class LnMlp {
 public:
  LnMlp() = default;
  // parameters in forward order: l{i}.w (O,I), l{i}.b, l{i}.ln.g, l{i}.ln.b (normed layers);
  // TD-MPC2's init: weights truncated normal (std 0.02, bounds +-2), biases 0, LN 1 and 0
  LnMlp(const LnMlpConfig& cfg, Rng& rng);

  const LnMlpConfig& config() const { return cfg_; }
  ParamSet& params() { return ps_; }
  const ParamSet& params() const { return ps_; }
  // a cache for forwards of up to `rows` rows
  LnMlpCache make_cache(int rows) const;

  // forward on N rows of x (N,in); `mask` (N,hidden) is the dropout mask of the first layer
  // (inverted dropout: entries 0 or 1/(1-p)) or nullptr for none. Returns (N,out) inside the
  // cache. x and mask must stay unchanged until the backward.
  const float* forward(LnMlpCache& c, const float* x, int N, const float* mask = nullptr) const;
  // backward of the cache's forward: dout (N,out); parameter gradients ADDED to params().g
  // when param_grads; the input gradient written to dx (N,in) when dx is not null
  void backward(LnMlpCache& c, const float* dout, bool param_grads, float* dx);

  // fresh parameters (the init above) and zeroed Adam moments
  void reinitialize(Rng& rng);
  const std::vector<int>& dense_weights() const { return dense_; }

 private:
  struct Layer {
    int w = -1, b = -1, g = -1, be = -1;  // be, g: -1 for a plain Linear
    int in = 0, out = 0;
  };
  LnMlpConfig cfg_;
  ParamSet ps_;
  std::vector<Layer> layers_;  // hidden layers, then the head
  std::vector<int> dense_;
};

// TD-MPC2's initializer: N(0, std^2) truncated to [lo, hi] (absolute bounds, as PyTorch's
// trunc_normal_), drawn by rejection
void init_trunc_normal(float* w, long n, double std, double lo, double hi, Rng& rng);

}  // namespace crossq::nn
