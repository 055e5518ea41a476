// The CrossQ / SAC trunk: [BN(x)] -> { Linear(H) -> ReLU -> [BN] } x L -> Linear(out).
// With norm = none it is SAC's plain MLP. One ParamSet holds every parameter; the BN running
// statistics live apart in `running` (they are state, not parameters). Caches for up to
// `max_rows` rows are allocated once; forward and backward never allocate.
#pragma once
#include <cstdint>
#include <vector>

#include "crossq/nn/params.h"
#include "crossq/core/rng.h"

namespace crossq::nn {

enum class Norm { kNone, kBatchNorm, kBatchRenorm };

struct MlpConfig {
  int in = 0;              // input features
  int hidden = 256;        // units per hidden layer
  int layers = 2;          // hidden layers
  int out = 1;             // output features
  Norm norm = Norm::kNone;
  float bn_momentum = 0.99f;
  float bn_eps = 1e-3f;
  float brn_r_max = 3.f, brn_d_max = 5.f;
  int64_t brn_warmup = 100000;  // plain-BN updates before the renorm corrections start
  float weight_decay = 0.f;     // AdamW decay of every tensor not weight-normalized
  bool weight_norm = false;     // unit-norm rows on the hidden Linear layers (decay 0 there)
  bool weight_norm_bias = false;  // include the bias in the normalized vector
  // orthogonal init (XQC): hidden layers and the first `out - head_split` output rows with gain
  // sqrt 2, the last `head_split` output rows (the actor's log-std head) with gain 1, zero
  // biases; false: PyTorch's Linear default
  bool orthogonal_init = false;
  int head_split = 0;
  int max_rows = 256;           // largest batch forward will see
};

enum class Mode {
  kTrain,        // batch statistics, running statistics updated
  kTrainFrozen,  // batch statistics, running statistics untouched (target networks)
  kEval,         // running statistics
};

class Mlp {
 public:
  Mlp() = default;
  Mlp(const MlpConfig& cfg, Rng& rng);

  const MlpConfig& config() const { return cfg_; }
  ParamSet& params() { return ps_; }
  const ParamSet& params() const { return ps_; }
  std::vector<float>& running() { return running_; }  // BN running mean/var, all layers
  int64_t bn_updates() const { return bn_updates_; }
  void set_bn_updates(int64_t n) { bn_updates_ = n; }
  int64_t* bn_updates_ptr() { return &bn_updates_; }

  // forward on N rows of x (N,in); returns the output (N,out), valid until the next forward
  const float* forward(const float* x, int N, Mode mode);
  // backward of the last forward. dout (N,out). Parameter gradients are written to
  // params().g when param_grads; the input gradient to dx (N,in) when dx is not null.
  void backward(const float* dout, bool param_grads, float* dx);

  // re-initializes every parameter and running statistic (parameter resets)
  void reinitialize(Rng& rng);
  // copies parameters and running statistics from a network of the same shape
  void copy_from(const Mlp& other);

  // diagnostics over the hidden layers of the last forward: fraction of ReLU units that are
  // zero for every row
  double dead_fraction() const;
  // indices of the dense weight tensors, in order
  const std::vector<int>& dense_weights() const { return dense_; }

 private:
  struct BnLayer {
    int gamma = -1, beta = -1;  // tensor indices
    long run_offset = 0;        // mean at running_[off], var at running_[off + C]
    int C = 0;
    std::vector<float> xhat, mean, rstd, r, d;  // caches
  };
  struct Hidden {
    int w = -1, b = -1;       // tensor indices
    std::vector<float> a;     // (rows, H) ReLU output
    std::vector<float> h;     // (rows, H) after BN (== a without BN)
    BnLayer bn;
  };

  // ReLU (in place on `in`, when relu) then BN; the fused kernels unless reference_kernels()
  void bn_forward(BnLayer& bn, float* out, float* in, int N, Mode mode, bool relu);
  // BN's backward, then the ReLU mask of relu_out (nullptr: none) and db = column sums of din
  // (nullptr: not wanted)
  void bn_backward(BnLayer& bn, float* din, const float* dout, int N, bool param_grads, const float* relu_out,
                   float* db);
  BnLayer make_bn(const std::string& name, int C);

  MlpConfig cfg_;
  ParamSet ps_;
  std::vector<float> running_;
  int64_t bn_updates_ = 0;
  bool has_bn_ = false;
  BnLayer in_bn_;
  std::vector<float> x_bn_;   // (rows, in) input after BN
  std::vector<Hidden> hidden_;
  int out_w_ = -1, out_b_ = -1;
  std::vector<float> out_;    // (rows, out)
  std::vector<float> d0_, d1_;  // (rows, max(H, in)) backward ping-pong
  std::vector<float> scratch_;  // (2 max(H, in))
  std::vector<double> dscratch_;  // (2 max(H, in)) the fused BN's column sums
  bool xhat_kept_ = true;  // false after a fused kTrainFrozen forward (no backward possible)
  std::vector<int> dense_;
  const float* last_x_ = nullptr;
  int last_n_ = 0;
  Mode last_mode_ = Mode::kTrain;
};

}  // namespace crossq::nn
