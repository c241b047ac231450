// One training step of the Fashion-MNIST MLP (784-256-128-10, batch 128, sparse cross-entropy
// from logits, Adam): strata's model.backward + optimizer.step against the same step written by
// hand with Eigen (preallocated buffers, fused where Eigen fuses), in the same process, on 1 and
// 2 threads. Counts heap allocations per step after a warm-up step.
//
//   build-tests/bench/training_step --benchmark_repetitions=10 --benchmark_report_aggregates_only=true

#include <cstdint>

#include <benchmark/benchmark.h>
#include <Eigen/Core>

#include <strata/strata.hpp>

#include "allocation_counter.hpp"

namespace {

namespace st = strata;
constexpr st::index batch = 128, inputs = 784, hidden1 = 256, hidden2 = 128, classes = 10;

using images = st::tensor<float, st::shape<st::dyn, inputs>>;
using labels = st::tensor<std::int32_t, st::shape<st::dyn>>;

struct data {
  images x = images::random_uniform({batch, inputs}, 1, 0.0f, 1.0f);
  labels y = [] {
    labels result(labels::extents_type{batch});
    for (st::index i = 0; i < batch; ++i) result(i) = std::int32_t(i % classes);
    return result;
  }();
};

template <class Step>
void run(benchmark::State& state, Step&& step) {
  st::set_threads(int(state.range(0)));
  state.counters["allocs_per_step"] = bench::allocations_per_iteration(state, step);
  state.counters["threads"] = double(st::threads());
}

void strata_step(benchmark::State& state) {
  data d;
  st::Sequential model(st::Input<st::dyn, inputs>{}, st::Dense<hidden1>{.activation = "relu"},
                       st::Dense<hidden2>{.activation = "relu"}, st::Dense<classes>{});
  st::optimizer adam(st::optim::adam{.learning_rate = 1e-3});
  const st::loss::sparse_categorical_crossentropy loss{.from_logits = true};
  run(state, [&] {
    model.zero_gradients();
    benchmark::DoNotOptimize(model.backward(d.x, [&](const auto& logits) { return loss(logits, d.y); }));
    adam.step(model);
  });
}

// The same step by hand: row-major activations, Keras' Adam, every buffer allocated once.
struct hand_written_mlp {
  using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using row = Eigen::Matrix<float, 1, Eigen::Dynamic>;
  struct parameter {
    matrix value, gradient, m, v;
    explicit parameter(st::index rows, st::index cols)
        : value(matrix::Random(rows, cols) * 0.05f), gradient(matrix::Zero(rows, cols)), m(matrix::Zero(rows, cols)),
          v(matrix::Zero(rows, cols)) {}
  };
  parameter w1{inputs, hidden1}, b1{1, hidden1}, w2{hidden1, hidden2}, b2{1, hidden2}, w3{hidden2, classes},
      b3{1, classes};
  matrix h1{batch, hidden1}, h2{batch, hidden2}, z{batch, classes}, dz{batch, classes}, dh2{batch, hidden2},
      dh1{batch, hidden1};
  std::int64_t step_count = 0;

  float step(const data& d) {
    const Eigen::Map<const matrix> x(d.x.data(), batch, inputs);
    h1.noalias() = x * w1.value;
    h1 = (h1.rowwise() + b1.value.row(0)).cwiseMax(0.0f);
    h2.noalias() = h1 * w2.value;
    h2 = (h2.rowwise() + b2.value.row(0)).cwiseMax(0.0f);
    z.noalias() = h2 * w3.value;
    z.rowwise() += b3.value.row(0);
    float loss = 0;
    for (st::index i = 0; i < batch; ++i) {  // softmax cross-entropy and its gradient, row by row
      const float top = z.row(i).maxCoeff();
      dz.row(i) = (z.row(i).array() - top).exp().matrix();
      const float total = dz.row(i).sum();
      loss += std::log(total) + top - z(i, d.y(i));
      dz.row(i) /= total * float(batch);
      dz(i, d.y(i)) -= 1.0f / float(batch);
    }
    w3.gradient.noalias() = h2.transpose() * dz;
    b3.gradient = dz.colwise().sum();
    dh2.noalias() = dz * w3.value.transpose();
    dh2 = (h2.array() > 0).select(dh2, 0.0f);
    w2.gradient.noalias() = h1.transpose() * dh2;
    b2.gradient = dh2.colwise().sum();
    dh1.noalias() = dh2 * w2.value.transpose();
    dh1 = (h1.array() > 0).select(dh1, 0.0f);
    w1.gradient.noalias() = x.transpose() * dh1;
    b1.gradient = dh1.colwise().sum();
    ++step_count;
    const float t = float(step_count);
    const float alpha = 1e-3f * std::sqrt(1 - std::pow(0.999f, t)) / (1 - std::pow(0.9f, t));
    for (parameter* p : {&w1, &b1, &w2, &b2, &w3, &b3}) {
      p->m.array() += (p->gradient.array() - p->m.array()) * 0.1f;
      p->v.array() += (p->gradient.array().square() - p->v.array()) * 0.001f;
      p->value.array() -= alpha * p->m.array() / (p->v.array().sqrt() + 1e-7f);
    }
    return loss / float(batch);
  }
};

void hand_written_step(benchmark::State& state) {
  data d;
  hand_written_mlp mlp;
  run(state, [&] { benchmark::DoNotOptimize(mlp.step(d)); });
}

}  // namespace

BENCHMARK(hand_written_step)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(strata_step)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_MAIN();
