// Run-time models (load_dynamic) and the variants of model.json found in the wild, read both
// statically and at run time.

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "support/model_files.hpp"
#include "support/strata_test.hpp"

namespace st = strata;
using strata::testing::float_bytes;
using strata::testing::scratch_folder;
using strata::testing::write_model_folder;

namespace {

/// A custom layer for the registry tests.
struct Shift {
  STRATA_CONFIG(Shift, (float, amount, 1.0f));
  auto call(auto x) const { return x + amount; }
};

using small_model = st::Sequential<st::Input<st::dyn, 6>, st::Dense<8>, st::LayerNormalization,
                                   st::BatchNormalization, st::Dropout, st::Dense<3>>;

small_model make_small_model() {
  return small_model(st::Input<st::dyn, 6>{}, st::Dense<8>{.activation = "gelu"}, st::LayerNormalization{},
                     st::BatchNormalization{}, st::Dropout{}, st::Dense<3>{.activation = "softmax"});
}

st::dynamic_tensor as_dynamic(const auto& t) {
  st::dynamic_tensor result{{t.dims().begin(), t.dims().end()}, {}};
  result.values.assign(t.data(), t.data() + t.size());
  return result;
}

/// Keras 3's model.json for Dense(2, relu) then LayerNormalization on (None, 3): nested
/// model_config, an InputLayer with batch_shape, DTypePolicy dtypes, axis as a list, and keys
/// strata has no field for.
std::string keras3_model_json(const std::string& kernel_name) {
  const std::string policy =
      R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})";
  return R"({"format": "layers-model", "generatedBy": "keras v3.1.0", "convertedBy": "TensorFlow.js Converter v4.22.0",
    "modelTopology": {"keras_version": "3.1.0", "backend": "tensorflow", "model_config": {"class_name": "Sequential",
      "config": {"name": "keras_model", "trainable": true, "dtype": )" + policy + R"(, "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [null, 3], "dtype": "float32", "sparse": false,
                                                "name": "input_layer"}},
        {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": )" + policy + R"(,
          "units": 2.0, "activation": "relu", "use_bias": true,
          "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null},
                                 "registered_name": null},
          "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
          "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null,
          "lora_rank": null}},
        {"class_name": "LayerNormalization", "config": {"name": "layer_normalization", "trainable": true,
          "dtype": )" + policy + R"(, "axis": [-1], "epsilon": 0.001, "center": true, "scale": true,
          "rms_scaling": false, "beta_initializer": "zeros", "gamma_initializer": {"class_name": "Ones", "config": {}}}}
      ]}}},
    "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [
      {"name": ")" + kernel_name + R"(", "shape": [3, 2], "dtype": "float32"},
      {"name": "dense/bias", "shape": [2], "dtype": "float32"},
      {"name": "layer_normalization/gamma", "shape": [2], "dtype": "float32"},
      {"name": "layer_normalization/beta", "shape": [2], "dtype": "float32"}]}]})";
}

const std::vector<float> keras3_weights{0.5f, -1.0f, 0.25f, 2.0f, -0.5f, 1.0f,  // kernel (3, 2)
                                        0.1f, -0.2f,                          // bias
                                        1.5f, 0.5f,                           // gamma
                                        0.0f, 0.25f};                         // beta

/// relu(x·kernel + bias), then layer normalization, written out.
std::vector<float> keras3_expected(const std::vector<float>& x) {
  std::vector<float> out;
  for (std::size_t row = 0; row < x.size() / 3; ++row) {
    double y[2];
    for (int j = 0; j < 2; ++j) {
      y[j] = keras3_weights[6 + j];
      for (int i = 0; i < 3; ++i) y[j] += x[row * 3 + i] * keras3_weights[i * 2 + j];
      y[j] = std::max(0.0, y[j]);
    }
    const double mean = (y[0] + y[1]) / 2, variance = ((y[0] - mean) * (y[0] - mean) + (y[1] - mean) * (y[1] - mean)) / 2;
    for (int j = 0; j < 2; ++j)
      out.push_back(float((y[j] - mean) / std::sqrt(variance + 1e-3) * keras3_weights[8 + j] + keras3_weights[10 + j]));
  }
  return out;
}

using keras3_type = st::Sequential<st::Input<st::dyn, 3>, st::Dense<2>, st::LayerNormalization>;

}  // namespace

TEST_CASE("load_dynamic predicts as the static model does") {
  const auto dir = scratch_folder("dynamic_same") / "model";
  auto model = make_small_model();
  st::save(model, dir);
  auto any = st::load_dynamic(dir);
  const auto x = st::tensor<float, st::shape<st::dyn, 6>>::random_uniform({4, 6}, 3, -2, 2);
  const st::dynamic_tensor y = any.predict(as_dynamic(x));
  const auto expected = model(x);
  CHECK(y.shape == std::vector<st::index>{4, 3});
  for (st::index i = 0; i < expected.size(); ++i) CHECK(y.values[std::size_t(i)] == Approx(expected.data()[i]).margin(1e-6));
  CHECK(any.summary_string() == model.summary_string());
  CHECK(any.input_dims() == std::vector<st::index>{st::dyn, 6});
  CHECK(any.output_dims() == std::vector<st::index>{st::dyn, 3});
  CHECK(any.get_config() == model.get_config());

  SECTION("and saves back what it read") {
    st::save(any, dir.parent_path() / "again");
    auto again = st::load<small_model>(dir.parent_path() / "again");
    const auto z = again(x);
    for (st::index i = 0; i < expected.size(); ++i) CHECK(z.data()[i] == expected.data()[i]);
  }
  SECTION("an input of the wrong shape is an error naming both shapes") {
    const st::dynamic_tensor wrong{{2, 5}, std::vector<float>(10)};
    CHECK_THROWS_AS(any.predict(wrong), st::shape_error);
    CHECK_THROWS_WITH(any.predict(wrong), Catch::Contains("must have shape (None, 6), found (2, 5)"));
    const st::dynamic_tensor short_data{{2, 6}, std::vector<float>(11)};
    CHECK_THROWS_WITH(any.predict(short_data), Catch::Contains("holds 12 values, found 11"));
  }
}

TEST_CASE("Flatten and BatchNormalization take dyn extents") {
  const auto dir = scratch_folder("dynamic_flatten") / "model";
  using static_type = st::Sequential<st::Input<st::dyn, 2, 3>, st::Flatten, st::BatchNormalization, st::Dense<2>>;
  static_type model(st::Input<st::dyn, 2, 3>{}, st::Flatten{}, st::BatchNormalization{}, st::Dense<2>{});
  st::save(model, dir);
  auto any = st::load_dynamic(dir);  // every extent of each layer's type is dyn here
  CHECK(any.layer(0).output_dims() == std::vector<st::index>{st::dyn, 6});
  const auto x = st::tensor<float, st::shape<st::dyn, 2, 3>>::random_uniform({3, 2, 3}, 5, -1, 1);
  const auto y = any.predict(as_dynamic(x));
  const auto expected = model(x);
  for (st::index i = 0; i < expected.size(); ++i) CHECK(y.values[std::size_t(i)] == Approx(expected.data()[i]).margin(1e-6));

  // A static model whose features are dyn trains BatchNormalization too.
  st::Sequential dyn_features(st::input<float, st::shape<st::dyn, st::dyn>>{.dims = {st::dyn, 4}},
                              st::BatchNormalization{.momentum = 0.5});
  const auto batch = st::tensor<float, st::shape<st::dyn, st::dyn>>::random_uniform({8, 4}, 2, 0, 1);
  const auto& trained = dyn_features.forward(batch, {.training = true});
  double column_mean = 0;
  for (st::index r = 0; r < 8; ++r) column_mean += trained.data()[r * 4] / 8;
  CHECK(column_mean == Approx(0).margin(1e-5));
}

TEST_CASE("Keras 3 and TF.js variants of model.json load statically and at run time") {
  const std::vector<float> x{0.5f, -1.0f, 2.0f, 1.0f, 1.0f, 1.0f};
  const std::vector<float> expected = keras3_expected(x);
  std::vector<std::string> warnings;
  const auto previous = st::set_warning_handler([&](std::string_view message) { warnings.emplace_back(message); });

  for (const std::string kernel_name : {"dense/kernel", "dense/kernel:0", "keras_model/dense/kernel"}) {
    DYNAMIC_SECTION("kernel saved as " << kernel_name) {
      const auto dir = write_model_folder(scratch_folder("keras3") / "model", keras3_model_json(kernel_name),
                                          float_bytes(keras3_weights));
      auto typed = st::load<keras3_type>(dir);
      st::tensor<float, st::shape<st::dyn, 3>> input({2, 3});
      std::copy(x.begin(), x.end(), input.data());
      const auto by_type = typed(input);
      for (std::size_t i = 0; i < expected.size(); ++i) CHECK(by_type.data()[i] == Approx(expected[i]).margin(1e-6));

      auto any = st::load_dynamic(dir);
      CHECK(any.name() == "keras_model");
      const auto at_run_time = any.predict({{2, 3}, x});
      for (std::size_t i = 0; i < expected.size(); ++i) CHECK(at_run_time.values[i] == Approx(expected[i]).margin(1e-6));
    }
  }
  // Keys strata has no field for are said once per layer read, unless unset (null or false).
  CHECK(warnings.empty());
  st::set_warning_handler(previous);
}

TEST_CASE("config variants: numbers, lists, nulls, dtypes and unknown keys") {
  std::vector<std::string> warnings;
  const auto previous = st::set_warning_handler([&](std::string_view message) { warnings.emplace_back(message); });
  auto dense = [](const char* config) { return st::Dense<>::from_config(nlohmann::json::parse(config)); };

  CHECK(dense(R"({"units": 16.0})").units == 16);
  CHECK_THROWS_WITH(dense(R"({"units": 16.5})"), Catch::Contains("'units'") && Catch::Contains("expected an integer"));
  CHECK_THROWS_WITH(dense(R"({"units": 1e30})"), Catch::Contains("expected an integer that fits a 64-bit"));
  CHECK(dense(R"({"units": 4, "use_bias": null})").use_bias == true);  // null: the default stays
  CHECK(st::LayerNormalization::from_config(nlohmann::json::parse(R"({"axis": [1]})")).axis == 1);
  CHECK_THROWS_WITH(st::LayerNormalization::from_config(nlohmann::json::parse(R"({"axis": [1, 2]})")),
                    Catch::Contains("expected one integer, found the list [1,2]"));
  CHECK(st::Embedding<>::from_config(nlohmann::json::parse(R"({"input_dim": 3, "mask_zero": null})")).mask_zero == false);
  CHECK_THROWS_WITH(dense(R"({"units": 4, "dtype": 32})"), Catch::Contains("\"dtype\" must be a string"));

  REQUIRE(warnings.empty());
  (void)dense(R"({"units": 4, "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}, "lora_rank": null})");
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("Dense 'Dense': config key \"kernel_regularizer\" is not one of its fields"));
  (void)dense(R"({"units": 4, "dtype": "mixed_float16", "name": "head"})");
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[1], Catch::Contains("Dense 'head' has dtype \"mixed_float16\""));
  st::set_warning_handler(previous);
}

TEST_CASE("the layer registry: unknown class names and custom layers") {
  const auto dir = scratch_folder("registry") / "model";
  st::Sequential model(st::Input<st::dyn, 2>{}, Shift{.amount = 2.5f}, st::Dense<1>{});
  st::save(model, dir);

  CHECK_THROWS_AS(st::load_dynamic(dir), st::data_error);
  CHECK_THROWS_WITH(st::load_dynamic(dir),
                    Catch::Contains("layer 0 'shift' (Shift): unknown layer class \"Shift\"; the registered ones are "
                                    "Activation, BatchNormalization, Dense, Dropout, Embedding, Flatten, "
                                    "LayerNormalization") &&
                        Catch::Contains(dir.string()));

  st::layer_registry registry = st::layer_registry::global();  // the built-ins, and one more
  registry.add<Shift>();
  CHECK(registry.contains("Shift"));
  auto any = st::load_dynamic(dir, registry);
  const auto y = any.predict({{1, 2}, {1.0f, -1.0f}});
  st::tensor<float, st::shape<st::dyn, 2>> x({1, 2});
  x.data()[0] = 1.0f;
  x.data()[1] = -1.0f;
  CHECK(y.values[0] == Approx(model(x).data()[0]));
  CHECK(any.get_config()["layers"][0]["config"]["amount"] == 2.5);
}
