// All parameters of a network in one contiguous buffer; gradients and Adam moments share its
// layout, so the optimizer is one flat loop per tensor and a checkpoint is one write (llm.c).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "crossq/core/rng.h"

namespace crossq::nn {

// one named tensor inside a ParamSet
struct Tensor {
  std::string name;           // e.g. "l0.w"
  long offset = 0;            // first element in the buffers
  int rows = 0, cols = 0;     // (rows, cols); vectors have rows == 1
  float weight_decay = 0.f;   // AdamW decoupled decay for this tensor
  bool weight_norm = false;   // rows projected to unit L2 norm after every step (the seed paper's WN)
  bool dense_weight = false;  // a Linear weight (diagnostics: norms, effective lr)
  long size() const { return static_cast<long>(rows) * cols; }
};

struct ParamSet {
  std::vector<Tensor> tensors;
  std::vector<float> w;  // (P) parameters
  std::vector<float> g;  // (P) gradients
  std::vector<float> m;  // (P) Adam first moment
  std::vector<float> v;  // (P) Adam second moment
  int64_t steps = 0;     // optimizer steps taken (bias correction)

  // registers a tensor during construction; returns its index
  int add(const std::string& name, int rows, int cols, float weight_decay = 0.f,
          bool weight_norm = false, bool dense_weight = false);
  // sizes the buffers once all tensors are added
  void finalize();
  long size() const { return static_cast<long>(w.size()); }
  float* param(int t) { return w.data() + tensors[t].offset; }
  const float* param(int t) const { return w.data() + tensors[t].offset; }
  float* grad(int t) { return g.data() + tensors[t].offset; }
  int find(const std::string& name) const;  // -1 if absent
};

struct AdamConfig {
  float lr = 3e-4f;
  float beta1 = 0.9f, beta2 = 0.999f;
  float eps = 1e-8f;
};

// one AdamW step (PyTorch semantics: w -= lr * decay * w, then the bias-corrected Adam
// update), with each tensor's own decay; decay 0 everywhere is plain Adam
void adamw_step(ParamSet& ps, const AdamConfig& cfg);
// zeroes the moments and the step count (parameter resets)
void adam_reset(ParamSet& ps);

// target = (1 - tau) * target + tau * source, over n values
void polyak_update(float* target, const float* source, long n, float tau);

// every tensor flagged weight_norm gets each row (one output unit's fan-in) rescaled to unit
// L2 norm; with include_bias, the bias tensor registered right after it joins the row's vector
void weight_norm_project(ParamSet& ps, bool include_bias = false);

// The optimizer's three sweeps over the parameter buffer in one: adamw_step, then (when
// weight_norm) weight_norm_project(ps, weight_norm_bias), then (when target is not null)
// polyak_update(target, ps.w, ps.size(), tau). Each row of a WN tensor is stepped, projected
// and averaged while it is in cache. Every element's arithmetic is the reference's; only the
// row norms are summed in another order (vectorized, in double), so results agree to float
// rounding. With reference_kernels() (nn/fused.h) it calls the three functions.
struct StepFusion {
  bool weight_norm = false;
  bool weight_norm_bias = false;
  float* target = nullptr;  // (ps.size()) Polyak target, or nullptr
  float tau = 0.005f;
};
void adamw_project_polyak(ParamSet& ps, const AdamConfig& cfg, const StepFusion& f);

// W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for dense weights and the bias after them (PyTorch's
// Linear default); other tensors keep what they hold
void init_uniform_fan_in(ParamSet& ps, int tensor, int bias_tensor, Rng& rng);

// rows [row0, row0 + rows) of a dense weight get an orthogonal (rows, cols) block times `gain`
// (orthonormal rows when rows <= cols, else orthonormal columns: flax's and PyTorch's
// `orthogonal` initializer, drawn from a Gaussian matrix by Gram-Schmidt in float64); the
// bias tensor, if given, is zeroed over the same rows
void init_orthogonal_rows(ParamSet& ps, int tensor, int bias_tensor, int row0, int rows,
                          double gain, Rng& rng);

}  // namespace crossq::nn
