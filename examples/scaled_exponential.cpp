// The seed's ScaledExponential layer in a model: summary, config, and a few gradient-descent steps.
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

  const float learning_rate = 0.05f;
  for (int step = 0; step <= 100; ++step) {
    model.zero_gradients();
    const float loss = model.backward(x, [&](const auto& prediction) { return st::mean(st::square(prediction - y)); });
    model.for_each_weight([&](const std::string&, auto& weight, auto& gradient) { weight = weight - learning_rate * gradient; });
    if (step % 20 == 0) std::printf("step %3d  loss %.5f\n", step, loss);
  }
}
