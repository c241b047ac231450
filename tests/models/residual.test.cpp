// Composition beyond a chain: residual blocks and a functional block written by hand, with
// static shapes and gradients kept.

#include "support/layer_laws.hpp"

namespace st = strata;

namespace {

/// A functional block: a two-layer feed-forward network whose call composes its sub-layers, the
/// way a Keras user writes a layer that holds other layers.
struct FeedForward {
  STRATA_CONFIG(FeedForward, (st::Dense<8>, up, {.activation = "relu"}), (st::Dense<3>, down, {}));

  template <class Builder>
  auto build(Builder& b) const {
    auto up_weights = b.build(up);                                 // on the block's input
    return st::weights(up_weights, b.next(up, up_weights).build(down));   // down on up's output
  }

  auto call(auto x, const auto& up_weights, const auto& down_weights, const st::call_context& context) const {
    return st::call_layer(down, st::call_layer(up, x, up_weights, context), down_weights, context);
  }
};

}  // namespace

TEST_CASE("residual: x + f(x) with f a chain of layers, one expression") {
  st::Sequential model(st::Input<st::dyn, 4>::of<double>{},
                       st::residual(st::Dense<4>{.activation = "tanh"}, st::Dense<4>{}));
  static_assert(decltype(model)::output_shape{} == st::shape<st::dyn, 4>{});
  const auto x = st::tensor<double, st::shape<st::dyn, 4>>::random_normal({3, 4}, 1);

  const auto& [first, second] = std::get<0>(model.weights<0>());
  const auto& [w1, b1] = first;
  const auto& [w2, b2] = second;
  CHECK(w1.name == "residual/dense/kernel");
  CHECK(w2.name == "residual/dense_1/kernel");
  const st::tensor<double, st::shape<st::dyn, 4>> expected =
      x + st::matmul(st::tanh(st::matmul(x, w1.value) + b1.value), w2.value) + b2.value;
  CHECK(st::allclose(model(x), expected, 1e-12));
  CHECK(model.count_params().total == 40);

  st::testing::check_layer_laws(st::residual(st::Dense<4>{.activation = "tanh"}, st::Dense<4>{}), x);
  STRATA_REQUIRE_GRADIENTS(st::gradcheck_model(model, x));
}

TEST_CASE("residual: a frozen inner layer keeps its weights; a dyn shape change is a run-time error") {
  st::Sequential model(st::Input<st::dyn, 4>{}, st::residual(st::Dense<4>{.trainable = false}, st::Dense<4>{}));
  std::vector<std::string> trained;
  model.for_each_weight([&](const std::string& name, const auto&, const auto&) { trained.push_back(name); });
  CHECK(trained == std::vector<std::string>{"residual/dense_1/kernel", "residual/dense_1/bias"});
  CHECK(model.count_params().non_trainable == 20);

  // Features known only at run time: a block that changes them is caught when the model is built.
  CHECK_THROWS_WITH(st::Sequential(st::Input<st::dyn, st::dyn>{{st::dyn, 4}}, st::residual(st::Dense<>{.units = 5})),
                    Catch::Contains("layer 0 'residual'") && Catch::Contains("must keep its input's shape"));
}

TEST_CASE("residual: the config nests the inner layers as Keras nests layers") {
  const nlohmann::json config = st::residual(st::Dense<2>{}, st::Activation{"relu"}).get_config();
  REQUIRE(config["layers"].size() == 2);
  CHECK(config["layers"][0]["class_name"] == "Dense");
  CHECK(config["layers"][1]["config"]["activation"] == "relu");
}

TEST_CASE("functional block: a layer whose call composes other layers") {
  st::Sequential model(st::Input<st::dyn, 5>::of<double>{}, FeedForward{}, st::Dense<1>{});
  static_assert(decltype(model)::output_shape{} == st::shape<st::dyn, 1>{});
  std::vector<std::string> names;
  model.for_each_weight([&](const std::string& name, const auto&, const auto&) { names.push_back(name); });
  CHECK(names == std::vector<std::string>{"feed_forward/dense/kernel", "feed_forward/dense/bias",
                                          "feed_forward/dense_1/kernel", "feed_forward/dense_1/bias", "dense/kernel",
                                          "dense/bias"});
  CHECK(model.count_params().total == 5 * 8 + 8 + 8 * 3 + 3 + 3 + 1);
  const auto x = st::tensor<double, st::shape<st::dyn, 5>>::random_normal({4, 5}, 2);
  STRATA_REQUIRE_GRADIENTS(st::gradcheck_model(model, x));
  st::testing::check_layer_laws(FeedForward{}, x);
  CHECK(FeedForward{}.get_config()["up"]["config"]["activation"] == "relu");
}
