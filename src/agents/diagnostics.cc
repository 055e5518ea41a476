#include <cmath>

#include "crossq/agents/agent.h"
#include "crossq/nn/params.h"

namespace crossq {

CriticDiagnostics critic_diagnostics(const nn::ParamSet& ps, const std::vector<int>& dense,
                                     double lr, double dead_fraction) {
  CriticDiagnostics d;
  for (int t : dense) {
    const nn::Tensor& ten = ps.tensors[t];
    double w2 = 0, g2 = 0;
    for (long k = 0; k < ten.size(); ++k) {
      const double w = ps.w[ten.offset + k], g = ps.g[ten.offset + k];
      w2 += w * w;
      g2 += g * g;
    }
    d.param_norm += std::sqrt(w2);
    d.grad_norm += std::sqrt(g2);
    d.elr.push_back(w2 > 0 ? lr / w2 : 0.0);  // lr / ||W||_F^2 (van Laarhoven 2017)
  }
  for (double e : d.elr) d.elr_mean += e;
  if (!d.elr.empty()) d.elr_mean /= static_cast<double>(d.elr.size());
  d.dead_fraction = dead_fraction;
  return d;
}

}  // namespace crossq
