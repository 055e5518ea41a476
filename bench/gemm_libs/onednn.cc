#include <omp.h>

#include <memory>
#include <vector>

#include <dnnl.hpp>

#include "backends.h"

namespace {
dnnl::engine& eng() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
// the memory descriptors of op(A) (M, K), op(B) (K, N) and C (M, N) over row-major storage
dnnl::memory::desc desc_a(const Shape& s, dnnl::memory::data_type t) {
  using tag = dnnl::memory::format_tag;
  return dnnl::memory::desc({s.M, s.K}, t, s.ta ? tag::ba : tag::ab);
}
dnnl::memory::desc desc_b(const Shape& s, dnnl::memory::data_type t) {
  using tag = dnnl::memory::format_tag;
  return dnnl::memory::desc({s.K, s.N}, t, s.tb ? tag::ba : tag::ab);
}
dnnl::memory::desc desc_c(const Shape& s) {
  return dnnl::memory::desc({s.M, s.N}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab);
}
}  // namespace

void onednn_threads(int n) { omp_set_num_threads(n); }

std::string onednn_isa() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx2: return "avx2";
    default: return "other";
  }
}

Product onednn_product(const Shape& s) {
  using dt = dnnl::memory::data_type;
  const auto ad = desc_a(s, dt::f32), bd = desc_b(s, dt::f32), cd = desc_c(s);
  auto pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(ad, bd, cd), eng());
  auto prim = std::make_shared<dnnl::matmul>(pd);
  auto stream = std::make_shared<dnnl::stream>(eng());
  auto am = std::make_shared<dnnl::memory>(ad, eng(), static_cast<void*>(nullptr));
  auto bm = std::make_shared<dnnl::memory>(bd, eng(), static_cast<void*>(nullptr));
  auto cm = std::make_shared<dnnl::memory>(cd, eng(), static_cast<void*>(nullptr));
  return [=](const float* A, const float* B, float* C) {
    am->set_data_handle(const_cast<float*>(A));
    bm->set_data_handle(const_cast<float*>(B));
    cm->set_data_handle(C);
    prim->execute(*stream, {{DNNL_ARG_SRC, *am}, {DNNL_ARG_WEIGHTS, *bm}, {DNNL_ARG_DST, *cm}});
    stream->wait();
  };
}

Bf16Product onednn_bf16_product(const Shape& s, const float* A, const float* B) {
  using dt = dnnl::memory::data_type;
  try {
    const auto ad = desc_a(s, dt::bf16), bd = desc_b(s, dt::bf16), cd = desc_c(s);
    auto pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(ad, bd, cd), eng());
    auto prim = std::make_shared<dnnl::matmul>(pd);
    auto stream = std::make_shared<dnnl::stream>(eng());
    auto am = std::make_shared<dnnl::memory>(ad, eng());
    auto bm = std::make_shared<dnnl::memory>(bd, eng());
    auto cm = std::make_shared<dnnl::memory>(cd, eng(), static_cast<void*>(nullptr));
    // the inputs in bf16, converted once by a reorder (outside the timing)
    const auto af = desc_a(s, dt::f32), bf = desc_b(s, dt::f32);
    dnnl::memory a32(af, eng(), const_cast<float*>(A)), b32(bf, eng(), const_cast<float*>(B));
    dnnl::reorder(a32, *am).execute(*stream, a32, *am);
    dnnl::reorder(b32, *bm).execute(*stream, b32, *bm);
    stream->wait();
    return [=](float* C) {
      cm->set_data_handle(C);
      prim->execute(*stream, {{DNNL_ARG_SRC, *am}, {DNNL_ARG_WEIGHTS, *bm}, {DNNL_ARG_DST, *cm}});
      stream->wait();
    };
  } catch (const dnnl::error&) {
    return {};
  }
}
