// Residual trunks of the baselines (SimBa, BRO), built from layers.h:
//   SimBa (Lee et al. 2025): Linear(H) -> { x + W2 ReLU(W1 LN(x)) } x L (W1 expands to 4H)
//                            -> LN -> Linear(out)
//   BroNet (Nauman et al. 2024): Linear(H) -> LN -> ReLU -> { x + LN(W2 ReLU(LN(W1 x))) } x L
//                            -> Linear(out)
// No batch statistics, so there is no train/eval mode. One ParamSet holds every parameter;
// caches for up to `max_rows` rows are allocated once and forward/backward never allocate.
#pragma once
#include <vector>

#include "crossq/nn/params.h"
#include "crossq/core/rng.h"

namespace crossq::nn {

enum class ResKind { kSimba, kBro };

struct ResNetConfig {
  ResKind kind = ResKind::kSimba;
  int in = 0;            // input features
  int hidden = 512;      // residual stream width H
  int blocks = 2;        // residual blocks L
  int out = 1;           // output features
  int expansion = 4;     // SimBa's inner width E = expansion * H (BroNet's blocks are H wide)
  float ln_eps = 1e-5f;  // LayerNorm epsilon (PyTorch's default)
  float weight_decay = 0.f;  // AdamW decay of every tensor
  int max_rows = 256;
};

class ResNet {
 public:
  ResNet() = default;
  ResNet(const ResNetConfig& cfg, Rng& rng);

  const ResNetConfig& config() const { return cfg_; }
  ParamSet& params() { return ps_; }
  const ParamSet& params() const { return ps_; }

  // forward on N rows of x (N,in); returns (N,out), valid until the next forward
  const float* forward(const float* x, int N);
  // backward of the last forward; parameter gradients into params().g when param_grads, the
  // input gradient into dx (N,in) when not null
  void backward(const float* dout, bool param_grads, float* dx);
  // fresh parameters (PyTorch Linear init, LN scale 1 and shift 0) and zeroed Adam moments
  void reinitialize(Rng& rng);
  // dense weight tensor indices in order (diagnostics)
  const std::vector<int>& dense_weights() const { return dense_; }
  // fraction of hidden ReLU units zero on every row of the last forward
  double dead_fraction() const;

 private:
  struct Block {
    // SimBa: ln_g, ln_b, w1 (E,H), b1, w2 (H,E), b2. BroNet: w1, b1, g1, be1, w2, b2, g2, be2
    int w1 = -1, b1 = -1, w2 = -1, b2 = -1, g1 = -1, be1 = -1, g2 = -1, be2 = -1;
    std::vector<float> out;                  // (rows, H) block output
    std::vector<float> ln, xhat, rstd, h;    // SimBa caches: (rows,H) (rows,H) (rows) (rows,E)
    std::vector<float> tmp, xhat2, rstd2;    // BroNet extras: (rows,H) (rows,H) (rows)
  };

  ResNetConfig cfg_;
  ParamSet ps_;
  int in_w_ = -1, in_b_ = -1, in_g_ = -1, in_be_ = -1;  // stem Linear (+ BroNet's LN)
  int fin_g_ = -1, fin_b_ = -1;                          // SimBa's final LN
  int out_w_ = -1, out_b_ = -1;
  std::vector<Block> blocks_;
  std::vector<float> stem_, stem_xhat_, stem_rstd_, stem_out_;  // (rows,H) (rows,H) (rows) (rows,H)
  std::vector<float> fin_, fin_xhat_, fin_rstd_;                // SimBa: (rows,H) (rows,H) (rows)
  std::vector<float> out_;                                      // (rows, out)
  std::vector<float> d0_, d1_, da_, db_;                        // backward scratch
  std::vector<int> dense_;
  const float* last_x_ = nullptr;
  int last_n_ = 0;
};

}  // namespace crossq::nn
