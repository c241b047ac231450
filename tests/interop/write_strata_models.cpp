// Writes the interop cases as strata saves them, for check_predictions.js to load in TF.js:
// OUT_DIR/<case>/{model/, input.json, expected.json}, expected.json being strata's prediction.
// One case, "trained", is a model trained by strata::fit first (BatchNormalization's moving
// statistics and Adam-updated weights, not just initial values).
//
//     write_strata_models OUT_DIR

#include <cstdio>
#include <filesystem>
#include <string>

#include "cases.hpp"

namespace {
namespace st = strata;

std::uint32_t random_state = 12345;
/// Multiples of 1/1024 in [low, high): exact in float32 and in JSON.
float uniform(float low, float high) {
  random_state = random_state * 1664525u + 1013904223u;
  const float unit = float(random_state >> 8) / float(1u << 24);
  return std::round((low + (high - low) * unit) * 1024.0f) / 1024.0f;
}

/// Sets the weights initializers leave trivial (zero biases, unit scales, fresh moving
/// statistics) to values a wrong load would show.
template <class Model>
void vary_weights(Model& model) {
  model.for_each_variable([](const std::string& name, auto& value, bool) {
    const bool offset = name.ends_with("bias") || name.ends_with("beta") || name.ends_with("moving_mean");
    const bool scale = name.ends_with("gamma") || name.ends_with("moving_variance") || name.ends_with("exponent");
    for (st::index i = 0; offset || scale ? i < value.size() : false; ++i)
      value.data()[i] = offset ? uniform(-0.3f, 0.3f) : uniform(0.5f, 1.5f);
  });
}

template <class Model>
st::dynamic_tensor make_input(bool indices) {
  st::dynamic_tensor x;
  x.shape.assign(Model::input_shape::dims.begin(), Model::input_shape::dims.end());
  x.shape[0] = interop::batch;
  st::index count = 1;
  for (st::index d : x.shape) count *= d;
  for (st::index i = 0; i < count; ++i) x.values.push_back(indices ? std::floor(uniform(0, 20)) : uniform(-1, 1));
  return x;
}

template <class Model>
void write_case(const std::filesystem::path& root, const std::string& name, Model& model, bool indices = false) {
  const st::dynamic_tensor x = make_input<Model>(indices);
  const st::dynamic_tensor y = interop::to_dynamic(model.predict(interop::to_input<Model>(x)));
  st::save(model, root / name / "model");
  st::write_tensor_json(root / name / "input.json", x);
  st::write_tensor_json(root / name / "expected.json", y);
  std::printf("%s: output %s, %lld parameters\n", name.c_str(),
              st::format_dims(y.shape).c_str(), static_cast<long long>(model.count_params().total));
}

template <class Model>
void write_varied(const std::filesystem::path& root, const std::string& name, Model model, bool indices = false) {
  vary_weights(model);
  write_case(root, name, model, indices);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  write_varied(root, "mlp", interop::make_mlp());
  write_varied(root, "activations", interop::make_activations());
  write_varied(root, "normalization", interop::make_normalization());
  write_varied(root, "dropout", interop::make_dropout());
  write_varied(root, "embedding", interop::make_embedding(), /*indices=*/true);
  write_varied(root, "custom", interop::make_custom());
  write_varied(root, "attention", interop::make_attention());
  write_varied(root, "large", interop::make_large());

  // Trained: three Gaussian blobs in 4-D, learned by an MLP with BatchNormalization and Dropout.
  auto model = st::Sequential(st::Input<st::dyn, 4>{}, st::Dense<16>{.activation = "relu"}, st::BatchNormalization{},
                              st::Dropout{.rate = 0.2}, st::Dense<3>{.activation = "softmax"});
  constexpr st::index samples = 300;
  st::tensor<float, st::shape<samples, 4>> x;
  st::tensor<std::int32_t, st::shape<samples>> labels;
  for (st::index i = 0; i < samples; ++i) {
    labels.data()[i] = static_cast<std::int32_t>(i % 3);
    for (st::index j = 0; j < 4; ++j) x.data()[i * 4 + j] = uniform(-0.5f, 0.5f) + (j == i % 3 ? 2.0f : 0.0f);
  }
  const auto history = model.fit(x, labels, st::loss::sparse_categorical_crossentropy{}, st::optim::adam{.learning_rate = 0.01},
                                 {.epochs = 5, .batch_size = 32, .verbose = st::verbosity::silent});
  std::printf("trained: loss %.3f after %zu epochs\n", history["loss"].back(), history["loss"].size());
  write_case(root, "trained", model);
  return 0;
}
