// The seed's ScaledExponential layer in a model: summary, config, and training with fit.
#include <cstdio>

#include "layers/scaled_exponential.hpp"

namespace st = strata;

int main() {
  // The layer's gradients against finite differences, in double: run this on your own layers.
  // [gradcheck]
  auto x4 = strata::tensor<double, strata::shape<strata::dyn, 3>>::random_normal({4, 3}, /*seed=*/1);
  auto report = strata::gradcheck_layer(ScaledExponential{}, x4);
  std::printf("%s\n", report.message().c_str());  // names the worst weight or input entry
  // [gradcheck]
  if (!report.ok) return 1;

  st::Sequential model(st::Input<st::dyn, 4>{},                      // any batch size, 4 features
                       ScaledExponential{.scale_factor = 0.5f},
                       st::Dense<8>{.activation = "tanh"},
                       st::Dense<1>{});
  static_assert(decltype(model)::output_shape{} == st::shape<st::dyn, 1>{});
  model.summary();
  std::printf("%s\n", model.get_config().dump(2).c_str());

  // Synthetic regression: y = sum of the features' squares.
  using batch = st::tensor<float, st::shape<st::dyn, 4>>;
  const batch x = batch::random_uniform({64, 4}, /*seed=*/1, -1, 1);
  const st::tensor<float, st::shape<st::dyn, 1>> y = st::sum(st::square(x), st::axis<-1>, st::keepdims);

  // [fit]
  const auto history = model.fit(x, y, st::loss::mean_squared_error{}, st::optim::sgd{.learning_rate = 0.05},
                                 {.epochs = 100, .batch_size = 64, .verbose = st::verbosity::silent});
  // [fit]
  std::printf("loss %.5f after the first epoch, %.5f after the last\n", history["loss"].front(), history["loss"].back());
  return history["loss"].back() < history["loss"].front() ? 0 : 1;
}
