// Static sequential models: shapes through the pipeline, summary, prediction, names,
// reproducible initialisation, config, and run-time errors naming the layer.

#include "support/layer_laws.hpp"

namespace st = strata;

TEST_CASE("Sequential: the model type carries every layer's output shape") {
  st::Sequential model(st::Input<st::dyn, 4>{}, st::Dense<8>{.activation = "relu"}, st::Dropout{.rate = 0.2},
                       st::Dense<3>{}, st::Reshape<3, 1>{}, st::Flatten{});
  using model_type = decltype(model);
  static_assert(model_type::output_shape{} == st::shape<st::dyn, 3>{});
  static_assert(model_type::input_shape{} == st::shape<st::dyn, 4>{});
  static_assert(std::same_as<model_type::scalar_type, float>);
  static_assert(model_type::layer_count == 5);

  const auto x = st::tensor<float, st::shape<st::dyn, 4>>::random_normal({6, 4}, 1);
  const auto y = model(x);
  CHECK(y.dims() == st::extents<2>{6, 3});
  CHECK(st::allclose(model.predict(x), y));  // inference: Dropout is the identity
}

TEST_CASE("Sequential: summary prints a Keras-style table with parameter counts") {
  st::Sequential model(st::Input<st::dyn, 16>{}, st::Dense<32>{.activation = "relu"}, st::BatchNormalization{},
                       st::Dense<10>{.name = "logits"});
  const std::string text = model.summary_string();
  INFO(text);
  CHECK_THAT(text, Catch::StartsWith("Model: \"sequential\"\n"));
  CHECK_THAT(text, Catch::Contains(" Layer (type)") && Catch::Contains("Output Shape") && Catch::Contains("Param #"));
  CHECK_THAT(text, Catch::Matches("(.|\n)* dense \\(Dense\\) +\\(None, 32\\) +544 *\n(.|\n)*"));
  CHECK_THAT(text, Catch::Matches("(.|\n)* batch_normalization \\(BatchNormalization\\) +\\(None, 32\\) +128 *\n(.|\n)*"));
  CHECK_THAT(text, Catch::Matches("(.|\n)* logits \\(Dense\\) +\\(None, 10\\) +330 *\n(.|\n)*"));
  CHECK_THAT(text, Catch::Contains("Total params: 1,002\nTrainable params: 938\nNon-trainable params: 64\n"));

  const auto counts = model.count_params();
  CHECK(counts.total == 1002);
  CHECK(counts.trainable == 938);
  CHECK(counts.non_trainable == 64);
}

TEST_CASE("Sequential: weights are named as Keras names them, unique per model") {
  st::Sequential model(st::Input<st::dyn, 2>{}, st::Dense<3>{}, st::Dense<3>{}, st::Dense<1>{.name = "out"},
                       st::BatchNormalization{});
  std::vector<std::string> names;
  model.for_each_variable([&](const std::string& name, const auto&, bool) { names.push_back(name); });
  CHECK(names == std::vector<std::string>{"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "out/kernel",
                                          "out/bias", "batch_normalization/gamma", "batch_normalization/beta",
                                          "batch_normalization/moving_mean", "batch_normalization/moving_variance"});
  names.clear();
  model.for_each_weight([&](const std::string& name, const auto&, const auto&) { names.push_back(name); });
  CHECK(names.size() == 8);  // the moving statistics get no gradient
  CHECK(model.layer_name<1>() == "dense_1");
}

TEST_CASE("Sequential: a wrong run-time extent throws shape_error naming the layer") {
  // (None, None, 4) → Reshape to (None, 6): only sequences of length 1.5 would fit.
  st::Sequential model(st::Input<st::dyn, st::dyn, 4>{}, st::Dense<3>{}, st::Reshape<6>{});
  const auto x = st::tensor<float, st::shape<st::dyn, st::dyn, 4>>::random_normal({2, 3, 4}, 1);
  CHECK_THROWS_AS(model(x), st::shape_error);
  CHECK_THROWS_WITH(model(x), Catch::Contains("layer 1 'reshape' (Reshape)") && Catch::Contains("(2, 3, 3)") &&
                                  Catch::Contains("do not fit"));

  // Features only known at run time: the input is checked against them.
  st::Sequential run_time_features(st::Input<st::dyn, st::dyn>{{st::dyn, 3}}, st::Dense<2>{});
  const auto wrong = st::tensor<float, st::shape<st::dyn, st::dyn>>::random_normal({2, 5}, 1);
  CHECK_THROWS_WITH(run_time_features(wrong), Catch::Contains("(None, 3)") && Catch::Contains("(2, 5)"));
  const auto right = st::tensor<float, st::shape<st::dyn, st::dyn>>::random_normal({2, 3}, 1);
  CHECK(run_time_features(right).dims() == st::extents<2>{2, 2});

  // A weight needs an extent that is unknown when the model is built.
  CHECK_THROWS_WITH(st::Sequential(st::Input<st::dyn, st::dyn>{}, st::Dense<2>{}),
                    Catch::Contains("layer 0 'dense' (Dense)") && Catch::Contains("must be known"));
}

TEST_CASE("Sequential: weights are reproducible from the seed") {
  auto kernel_of = [](std::uint64_t seed) {
    st::Sequential model(st::Input<st::dyn, 3>{}, st::Dense<4>{});
    model.initialize(seed);
    return std::get<0>(model.weights<0>()).value;
  };
  CHECK(st::allclose(kernel_of(1), kernel_of(1), 0, 0));
  CHECK_FALSE(st::allclose(kernel_of(1), kernel_of(2)));
  st::Sequential a(st::Input<st::dyn, 3>{}, st::Dense<4>{});
  st::Sequential b(st::Input<st::dyn, 3>{}, st::Dense<4>{});
  CHECK(st::allclose(std::get<0>(a.weights<0>()).value, std::get<0>(b.weights<0>()).value, 0, 0));
}

TEST_CASE("Sequential: get_config lists the layers, the first with batch_input_shape") {
  st::Sequential model(st::Input<st::dyn, 5>{}, st::Dense<2>{.activation = "relu"}, st::Dense<1>{});
  const nlohmann::json config = model.get_config();
  CHECK(config["name"] == "sequential");
  REQUIRE(config["layers"].size() == 2);
  CHECK(config["layers"][0]["class_name"] == "Dense");
  CHECK(config["layers"][0]["config"]["batch_input_shape"] == nlohmann::json::parse("[null, 5]"));
  CHECK(config["layers"][0]["config"]["activation"] == "relu");
  CHECK(config["layers"][1]["config"]["name"] == "dense_1");
  CHECK_FALSE(config["layers"][1]["config"].contains("batch_input_shape"));
}

TEST_CASE("Sequential: the model owns its buffers; moving it keeps it working") {
  st::Sequential model(st::Input<st::dyn, 3>{}, st::Dense<2>{});
  const auto x = st::tensor<float, st::shape<st::dyn, 3>>::random_normal({2, 3}, 1);
  const auto before = model(x);
  auto moved = std::move(model);
  CHECK(st::allclose(moved(x), before));
}

TEST_CASE("Sequential: layer names must be unique; generated names skip taken ones") {
  CHECK_THROWS_WITH(st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<2>{.name = "a"}, st::Dense<2>{.name = "a"}),
                    Catch::Contains("two layers are named 'a'"));
  st::Sequential model(st::Input<st::dyn, 2>{}, st::Dense<2>{.name = "dense_1"}, st::Dense<2>{}, st::Dense<2>{});
  CHECK(model.layer_name<0>() == "dense_1");
  CHECK(model.layer_name<1>() == "dense");
  CHECK(model.layer_name<2>() == "dense_2");
}

TEST_CASE("Sequential: a pass with an explicit step leaves the model's own step count alone") {
  auto make = [] { return st::Sequential(st::Input<st::dyn, 8>{}, st::Dropout{.rate = 0.5}); };
  auto a = make();
  auto b = make();
  const auto x = st::tensor<float, st::shape<st::dyn, 8>>::full({4, 8}, 1.0f);
  const auto explicit_step = a.forward(x, {.training = true, .step = 41});
  (void)explicit_step;
  const auto from_a = a.forward(x, {.training = true});
  const auto from_b = b.forward(x, {.training = true});
  CHECK(st::allclose(from_a, from_b, 0, 0));  // both drew their first counted step's mask
  const auto next_b = b.forward(x, {.training = true});
  CHECK_FALSE(st::allclose(next_b, from_b));  // a new step draws a new mask
}

TEST_CASE("Sequential: set_trainable freezes and unfreezes a layer") {
  st::Sequential model(st::Input<st::dyn, 3>{}, st::Dense<2>{}, st::Dense<1>{});
  model.set_trainable<0>(false);
  CHECK(model.count_params().trainable == 3);
  CHECK_FALSE(model.layer<0>().trainable);
  model.set_trainable<0>(true);
  CHECK(model.count_params().trainable == 11);
}
