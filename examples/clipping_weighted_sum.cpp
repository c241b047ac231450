// The seed's ClippingWeightedSum layer in a model: summary, config, and a few gradient-descent steps.
#include <cstdio>

#include "layers/clipping_weighted_sum.hpp"

namespace st = strata;

int main() {
  st::Sequential model(st::Input<st::dyn, 6>{},
                       st::Dense<6>{.activation = "tanh"},
                       ClippingWeightedSum{.clip_min = -0.5, .clip_max = 0.5, .num_filters = 8});
  static_assert(decltype(model)::output_shape{} == st::shape<st::dyn, 1>{});
  model.summary();
  std::printf("%s\n", model.get_config().dump(2).c_str());

  // Synthetic regression: y = x₀ - x₁ (a target the clipped linear map can reach).
  using batch = st::tensor<float, st::shape<st::dyn, 6>>;
  const batch x = batch::random_uniform({64, 6}, /*seed=*/2, -1, 1);
  st::tensor<float, st::shape<st::dyn, 1>> y({64, 1});
  for (st::index i = 0; i < 64; ++i) y(i, 0) = 0.5f * (x(i, 0) - x(i, 1));

  const float learning_rate = 0.05f;
  for (int step = 0; step <= 100; ++step) {
    model.zero_gradients();
    const float loss = model.backward(x, [&](const auto& prediction) { return st::mean(st::square(prediction - y)); });
    model.for_each_weight([&](const std::string&, auto& weight, auto& gradient) { weight = weight - learning_rate * gradient; });
    if (step % 20 == 0) std::printf("step %3d  loss %.5f\n", step, loss);
  }
}
