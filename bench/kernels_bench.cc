// The fused element-wise kernels of a CrossQ critic at the paper's size (512 rows of the joint
// batch, 512 units): ReLU + BatchNorm forward in train mode, its backward, and the AdamW + WN +
// Polyak sweep over a critic's parameters. Throughput in elements per second.
#include <vector>

#include <benchmark/benchmark.h>

#include "crossq/core/rng.h"
#include "crossq/nn/fused.h"

namespace crossq::nn {
namespace {

struct BnCase {
  int N = 512, C = 512;
  std::vector<float> a, a0, out, xhat, mean, rstd, r, d, gamma, beta, rmean, rvar, bias, dy, din, dg, dbt, db, scratch;
  std::vector<double> dscratch;
  BnCase() {
    Rng rng(1);
    const size_t n = static_cast<size_t>(N) * C;
    a0.resize(n);
    for (auto& x : a0) x = static_cast<float>(rng.normal());
    a = a0;
    out.resize(n);
    xhat.resize(n);
    dy.resize(n);
    for (auto& x : dy) x = static_cast<float>(rng.normal());
    din.resize(n);
    for (auto* v : {&mean, &rstd, &r, &d, &beta, &rmean, &dg, &dbt, &db, &bias}) v->assign(static_cast<size_t>(C), 0.f);
    gamma.assign(static_cast<size_t>(C), 1.f);
    rvar.assign(static_cast<size_t>(C), 1.f);
    scratch.resize(4 * static_cast<size_t>(C));
    dscratch.resize(4 * static_cast<size_t>(C));
  }
};

void BM_ReluBatchNormForwardTrain(benchmark::State& state) {
  BnCase k;
  BatchNormRun<float> run{k.rmean.data(), k.rvar.data(), 0.99f, 1e-3f, true, false, 3.f, 5.f};
  for (auto _ : state) {
    relu_batchnorm_forward_train(k.out.data(), k.a.data(), k.xhat.data(), k.mean.data(), k.rstd.data(), k.r.data(),
                                 k.d.data(), k.dscratch.data(), k.gamma.data(), k.beta.data(), run, k.N, k.C, true);
    benchmark::DoNotOptimize(k.out.data());
  }
  state.SetItemsProcessed(state.iterations() * k.N * k.C);
}
BENCHMARK(BM_ReluBatchNormForwardTrain)->Unit(benchmark::kMicrosecond);

void BM_BatchNormReluBackwardTrain(benchmark::State& state) {
  BnCase k;
  BatchNormRun<float> run{k.rmean.data(), k.rvar.data(), 0.99f, 1e-3f, true, false, 3.f, 5.f};
  relu_batchnorm_forward_train(k.out.data(), k.a.data(), k.xhat.data(), k.mean.data(), k.rstd.data(), k.r.data(),
                               k.d.data(), k.dscratch.data(), k.gamma.data(), k.beta.data(), run, k.N, k.C, true);
  for (auto _ : state) {
    batchnorm_relu_backward_train(k.din.data(), k.dg.data(), k.dbt.data(), k.db.data(), k.scratch.data(), k.dy.data(),
                                  k.xhat.data(), k.rstd.data(), k.r.data(), k.d.data(), k.gamma.data(), k.a.data(), k.N,
                                  k.C);
    benchmark::DoNotOptimize(k.din.data());
  }
  state.SetItemsProcessed(state.iterations() * k.N * k.C);
}
BENCHMARK(BM_BatchNormReluBackwardTrain)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace crossq::nn
