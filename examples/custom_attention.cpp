// The seed's CustomAttention layer in a sequence model with a run-time sequence length: summary,
// config, and a few gradient-descent steps.
#include <cstdio>

#include "layers/custom_attention.hpp"

namespace st = strata;

int main() {
  // [model]
  // (batch, sequence, features) with batch and sequence length known only at run time.
  st::Sequential model(st::Input<st::dyn, st::dyn, 8>{},
                       CustomAttention<16>{},
                       st::LayerNormalization{},
                       st::Dense<1>{});
  static_assert(decltype(model)::output_shape{} == st::shape<st::dyn, st::dyn, 1>{});
  model.summary();
  std::printf("%s\n", model.get_config().dump(2).c_str());  // the config, as Keras writes it
  // [model]

  // Synthetic task: every position's target is the mean over the sequence of its first feature,
  // something attention can compute by spreading its weights evenly.
  using sequences = st::tensor<float, st::shape<st::dyn, st::dyn, 8>>;
  using targets = st::tensor<float, st::shape<st::dyn, st::dyn, 1>>;
  auto target_of = [](const sequences& x) {
    targets y({x.dim(0), x.dim(1), 1});
    for (st::index b = 0; b < x.dim(0); ++b) {
      float mean = 0;
      for (st::index s = 0; s < x.dim(1); ++s) mean += x(b, s, 0) / float(x.dim(1));
      for (st::index s = 0; s < x.dim(1); ++s) y(b, s, 0) = mean;
    }
    return y;
  };
  const sequences short_batch = sequences::random_uniform({16, 5, 8}, /*seed=*/3, -1, 1);
  const sequences long_batch = sequences::random_uniform({16, 9, 8}, /*seed=*/4, -1, 1);
  const targets short_targets = target_of(short_batch), long_targets = target_of(long_batch);

  st::optimizer sgd(st::optim::sgd{.learning_rate = 0.05});
  for (int step = 0; step <= 100; ++step) {
    const bool short_step = step % 2 == 0;  // the sequence length varies from step to step
    const sequences& x = short_step ? short_batch : long_batch;
    const targets& y = short_step ? short_targets : long_targets;
    // [step]
    model.zero_gradients();
    const float loss = model.backward(x, [&](const auto& prediction) { return st::mean(st::square(prediction - y)); });
    sgd.step(model);  // w -= 0.05 * gradient for every trainable weight
    // [step]
    if (step % 20 == 0) std::printf("step %3d  sequence length %ld  loss %.5f\n", step, long(x.dim(1)), loss);
  }
}
