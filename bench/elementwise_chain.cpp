// Forward + backward of sum(0.5 * exp(x * w)) for x (4096, 256), w (256): strata against
// hand-written Eigen in the same binary, with heap allocations per iteration counted.
//
//   build-bench/bench/elementwise_chain --benchmark_repetitions=10 --benchmark_report_aggregates_only=true


#include <benchmark/benchmark.h>

#include <strata/strata.hpp>

#include "allocation_counter.hpp"

namespace {

namespace st = strata;
constexpr st::index rows = 4096, features = 256;
using input = st::tensor<float, st::shape<st::dyn, features>>;
using weights = st::tensor<float, st::shape<features>>;

struct problem {
  input x = input::random_uniform({rows, features}, 1, -1.0f, 1.0f);
  weights w = weights::random_uniform({features}, 2, -1.0f, 1.0f);
  weights dw;
};

// Reports heap allocations per iteration, counted after a warm-up iteration.
template <class Step>
void run(benchmark::State& state, Step&& step) {
  state.counters["allocs_per_iter"] = bench::allocations_per_iteration(state, step);
  state.counters["elements"] =
      benchmark::Counter(double(rows * features) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void strata_value_and_gradient(benchmark::State& state) {
  problem p;
  auto loss = st::sum(0.5f * st::exp(p.x * p.w));
  run(state, [&] {
    p.dw.fill(0);
    benchmark::DoNotOptimize(st::backward(loss, st::wrt(p.w, p.dw)));
    benchmark::ClobberMemory();
  });
}

// The loop an expert writes: one pass, exp computed once, loss and gradient accumulated together.
void eigen_fused_loop(benchmark::State& state) {
  problem p;
  p.dw.resize({features});
  Eigen::Array<float, Eigen::Dynamic, 1> e(features);
  run(state, [&] {
    auto x = std::as_const(p.x).canvas();  // column i is row i of x
    auto w = std::as_const(p.w).flat();
    auto dw = p.dw.flat();
    dw.setZero();
    float loss = 0;
    for (st::index i = 0; i < rows; ++i) {
      e = (x.col(i) * w).exp();
      loss += e.sum();
      dw += e * x.col(i);
    }
    dw *= 0.5f;
    benchmark::DoNotOptimize(loss *= 0.5f);
    benchmark::ClobberMemory();
  });
}

// The same in two fused Eigen expressions (forward, then backward with exp recomputed).
void eigen_two_expressions(benchmark::State& state) {
  problem p;
  p.dw.resize({features});
  run(state, [&] {
    auto x = std::as_const(p.x).canvas();
    auto w = std::as_const(p.w).flat();
    float loss = 0.5f * (x.colwise() * w).exp().sum();
    p.dw.flat() = 0.5f * ((x.colwise() * w).exp() * x).rowwise().sum();
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  });
}

BENCHMARK(eigen_fused_loop)->Unit(benchmark::kMicrosecond);
BENCHMARK(eigen_two_expressions)->Unit(benchmark::kMicrosecond);
BENCHMARK(strata_value_and_gradient)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
