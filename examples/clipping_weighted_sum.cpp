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

  const auto history = model.fit(x, y, st::loss::mean_squared_error{}, st::optim::sgd{.learning_rate = 0.05},
                                 {.epochs = 100, .batch_size = 64, .verbose = st::verbosity::silent});
  std::printf("loss %.5f after the first epoch, %.5f after the last\n", history["loss"].front(), history["loss"].back());
  return history["loss"].back() < history["loss"].front() ? 0 : 1;
}
