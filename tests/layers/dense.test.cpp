// Tests of strata/layers/dense.hpp: activation(x · kernel + bias) against hand-computed values,
// use_bias, run-time units, the config, and the layer laws.

#include "support/layer_laws.hpp"

#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include <strata/layers/dense.hpp>

namespace st = strata;
using st::dyn;
using st::shape;
using json = nlohmann::json;

namespace {

// One input spec and one units count for most tests: each model type costs compile time (GEMM).
using batch = st::tensor<double, shape<dyn, 3>>;
using input = st::input<double, shape<dyn, 3>>;

// x (2, 3), kernel (3, 2), bias (2):
//   x · kernel = [[ 1·0.1 + 2·0.3 + 3·(-0.5),  1·(-0.2) + 2·0.4 + 3·0.6],    = [[-0.8,  2.4],
//                 [-1·0.1 + 0.5·0.3 + 2·(-0.5), -1·(-0.2) + 0.5·0.4 + 2·0.6]]    [-0.95, 1.6]]
const batch x_values{{1, 2, 3}, {-1, 0.5, 2}};
const st::tensor<double, shape<3, 2>> kernel_values{{0.1, -0.2}, {0.3, 0.4}, {-0.5, 0.6}};
const st::tensor<double, shape<2>> bias_values{0.5, -1};

/// Overwrites the kernel (and the bias, when the layer has one) of the Dense layer at position 0.
template <class Model>
void set_weights(Model& model) {
  auto& [kernel, bias] = model.template weights<0>();
  kernel.value = kernel_values;
  if (bias.present) bias.value = bias_values;
}

template <class Tensor>
void require_values(const Tensor& actual, const std::vector<std::vector<double>>& expected) {
  REQUIRE(actual.dims()[0] == st::index(expected.size()));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    REQUIRE(actual.dims()[1] == st::index(expected[i].size()));
    for (std::size_t j = 0; j < expected[i].size(); ++j) {
      INFO("(" << i << ", " << j << ")");
      CHECK(actual(i, j) == Approx(expected[i][j]).margin(1e-12));
    }
  }
}

}  // namespace

TEST_CASE("Dense: values are x · kernel + bias", "[layers][dense]") {
  st::Sequential model(input{}, st::Dense<2>{});
  static_assert(std::is_same_v<decltype(model)::output_shape, shape<dyn, 2>>);
  auto& [kernel, bias] = model.weights<0>();
  kernel.value = kernel_values;
  bias.value = bias_values;
  require_values(model(x_values), {{-0.3, 1.4}, {-0.45, 0.6}});
  CHECK(model.count_params().total == 3 * 2 + 2);
}

TEST_CASE("Dense: the activation is applied to x · kernel + bias", "[layers][dense]") {
  st::Sequential model(input{}, st::Dense<2>{.activation = "relu"});
  model.for_each_variable([](const std::string& name, auto& value, bool trainable) {
    CHECK(trainable);
    if constexpr (std::remove_cvref_t<decltype(value)>::rank == 2) {
      CHECK(name == "dense/kernel");
      value = kernel_values;
    } else {
      CHECK(name == "dense/bias");
      value = bias_values;
    }
  });
  require_values(model(x_values), {{0, 1.4}, {0, 0.6}});
}

TEST_CASE("Dense: use_bias = false has no bias weight, parameter or term", "[layers][dense]") {
  st::Sequential model(input{}, st::Dense<2>{.use_bias = false});
  set_weights(model);
  require_values(model(x_values), {{-0.8, 2.4}, {-0.95, 1.6}});

  const auto counts = model.count_params();
  CHECK(counts.total == 6);
  CHECK(counts.trainable == 6);
  CHECK(counts.non_trainable == 0);
  std::vector<std::string> visited;
  model.for_each_weight([&](const std::string& name, auto&, auto&) { visited.push_back(name); });
  CHECK(visited == std::vector<std::string>{"dense/kernel"});
  std::vector<std::string> variables;
  model.for_each_variable([&](const std::string& name, auto&, bool) { variables.push_back(name); });
  CHECK(variables == std::vector<std::string>{"dense/kernel"});

  // backward leaves no gradient to an absent bias
  model.zero_gradients();
  model.backward(x_values, [](const auto& y) { return st::sum(y); });
  auto& bias = std::get<1>(model.weights<0>());
  CHECK_FALSE(bias.present);
  for (const double g : bias.gradient) CHECK(g == 0);
  for (const double b : bias.value) CHECK(b == 0);
}

TEST_CASE("Dense: units known at run time give a dyn output extent", "[layers][dense]") {
  st::Sequential model(input{}, st::Dense<>{.units = 4});
  static_assert(std::is_same_v<decltype(model)::output_shape, shape<dyn, dyn>>);
  const auto y = model(st::testing::uniform<dyn, 3>({2, 3}, 1));
  CHECK(y.dims() == st::extents<2>{2, 4});
  auto& kernel = std::get<0>(model.weights<0>());
  CHECK(kernel.value.dims() == st::extents<2>{3, 4});
  CHECK(model.count_params().total == 3 * 4 + 4);
  CHECK(model.summary_string().find("(None, 4)") != std::string::npos);
}

TEST_CASE("Dense: units that disagree with the static units are an error naming the layer", "[layers][dense]") {
  auto build = [] { st::Sequential model(input{}, st::Dense<2>{.units = 5}); };
  REQUIRE_THROWS_AS(build(), std::invalid_argument);
  REQUIRE_THROWS_WITH(build(), Catch::Contains("layer 0 'dense' (Dense)") && Catch::Contains("Dense<2>") &&
                                   Catch::Contains("units = 5"));
}

TEST_CASE("Dense: get_config has Keras' keys and values", "[layers][dense]") {
  const st::Dense<4> layer{.activation = "relu", .name = "hidden"};
  const json config = layer.get_config();
  CHECK(config["name"] == "hidden");
  CHECK(config["trainable"] == true);
  CHECK(config["dtype"] == "float32");
  CHECK(config["units"] == 4);
  CHECK(config["activation"] == "relu");
  CHECK(config["use_bias"] == true);
  CHECK(config["kernel_initializer"] == json{{"class_name", "GlorotUniform"}, {"config", {{"seed", nullptr}}}});
  CHECK(config["bias_initializer"] == json{{"class_name", "Zeros"}, {"config", json::object()}});
  CHECK(st::Dense<>{.units = 7}.get_config()["units"] == 7);
  CHECK(st::Dense<4>{}.get_config()["name"] == "dense");
  CHECK(st::Dense<4>{}.get_config()["activation"] == "linear");

  const auto back = st::Dense<4>::from_config(config);
  CHECK(back.units == 4);
  CHECK(back.activation == st::activation("relu"));
  CHECK(back.name == "hidden");
}

TEST_CASE("Dense: keeps the layer laws", "[layers][dense][gradcheck]") {
  SECTION("static input (2, 3)") {
    st::testing::check_layer_laws(st::Dense<2>{.activation = "tanh"}, st::testing::uniform<2, 3>({2, 3}, 1));
  }
  SECTION("dyn batch (None, 3)") {
    st::testing::check_layer_laws(st::Dense<2>{.activation = "sigmoid"}, st::testing::uniform<dyn, 3>({5, 3}, 2));
    st::testing::check_layer_laws(st::Dense<2>{.use_bias = false}, st::testing::uniform<dyn, 3>({5, 3}, 3));
    st::testing::check_layer_laws(st::Dense<>{.units = 4}, st::testing::uniform<dyn, 3>({2, 3}, 4));
  }
  SECTION("rank-3 input (None, 2, 3)") {
    st::testing::check_layer_laws(st::Dense<2>{.activation = "tanh"}, st::testing::uniform<dyn, 2, 3>({3, 2, 3}, 5));
  }
}
