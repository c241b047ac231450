// Tests of strata/layers/activation.hpp: each Keras name gives the values of the strata op of the
// same name, an unknown name is refused, and every activation keeps the layer laws.

#include "support/layer_laws.hpp"

#include <array>
#include <cmath>
#include <stdexcept>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include <strata/layers/activation.hpp>

namespace st = strata;
using st::dyn;
using st::shape;

namespace {

constexpr std::array<std::string_view, 10> every_name{"linear", "relu", "sigmoid", "tanh",  "softmax",
                                                      "gelu",   "elu",  "selu",    "swish", "softplus"};

/// Uniform samples in ±[0.1, 2): away from relu's kink at 0, where finite differences straddle it.
template <st::index... Dims>
st::tensor<double, shape<Dims...>> away_from_zero(const st::extents<sizeof...(Dims)>& dims, std::uint64_t seed) {
  auto x = st::testing::uniform<Dims...>(dims, seed, -1.9, 1.9);
  for (double& value : x) value += value < 0 ? -0.1 : 0.1;
  return x;
}

/// The strata op the activation `name` stands for, applied to `x`.
template <class X>
X reference(std::string_view name, const X& x) {
  if (name == "linear") return x;
  if (name == "relu") return st::relu(x);
  if (name == "sigmoid") return st::sigmoid(x);
  if (name == "tanh") return st::tanh(x);
  if (name == "softmax") return st::softmax(x);
  if (name == "gelu") return st::gelu(x);
  if (name == "elu") return st::elu(x);
  if (name == "selu") return st::selu(x);
  if (name == "swish") return st::swish(x);
  if (name == "softplus") return st::softplus(x);
  FAIL("no reference op for " << name);
  return x;
}

}  // namespace

TEST_CASE("Activation: every name gives the values of the strata op of that name", "[layers][activation]") {
  const auto x = away_from_zero<dyn, 5>({4, 5}, 1);
  const auto x3 = away_from_zero<2, 3, 4>({2, 3, 4}, 2);
  for (const std::string_view name : every_name) {
    INFO("activation " << name);
    st::Sequential model(st::input<double, shape<dyn, 5>>{}, st::Activation{.activation = name});
    static_assert(std::is_same_v<decltype(model)::output_shape, shape<dyn, 5>>);
    const auto y = model(x);
    CHECK(st::allclose(y, reference(name, x), 1e-12, 1e-14));

    st::Sequential model3(st::input<double, shape<2, 3, 4>>{}, st::Activation{.activation = name});
    CHECK(st::allclose(model3(x3), reference(name, x3), 1e-12, 1e-14));
  }
  // a float model too, against the op in float
  const auto xf = st::tensor<float, shape<dyn, 5>>::random_uniform({3, 5}, 3);
  st::Sequential model(st::Input<dyn, 5>{}, st::Activation{.activation = "gelu"});
  CHECK(st::allclose(model(xf), st::tensor<float, shape<dyn, 5>>(st::gelu(xf))));
}

TEST_CASE("Activation: softmax runs along the last axis", "[layers][activation]") {
  st::Sequential model(st::input<double, shape<dyn, 3>>{}, st::Activation{.activation = "softmax"});
  const st::tensor<double, shape<dyn, 3>> x{{0, 0, 0}, {1, 2, 3}};
  const auto y = model(x);
  const double sum = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  CHECK(y(0, 0) == Approx(1.0 / 3));
  CHECK(y(0, 2) == Approx(1.0 / 3));
  CHECK(y(1, 0) == Approx(std::exp(1.0) / sum));
  CHECK(y(1, 2) == Approx(std::exp(3.0) / sum));
}

TEST_CASE("Activation: an unknown name throws std::invalid_argument listing the names", "[layers][activation]") {
  auto make = [] { return st::Activation{.activation = "tanhh"}; };
  REQUIRE_THROWS_AS(make(), std::invalid_argument);
  REQUIRE_THROWS_WITH(make(), Catch::Contains("'tanhh'") && Catch::Contains("linear") && Catch::Contains("relu") &&
                                  Catch::Contains("softmax") && Catch::Contains("softplus"));
  // from a config as well, naming the layer and the field
  const nlohmann::json config{{"name", "act"}, {"activation", "tanhh"}};
  REQUIRE_THROWS_AS(st::Activation::from_config(config), std::invalid_argument);
  REQUIRE_THROWS_WITH(st::Activation::from_config(config),
                      Catch::Contains("Activation") && Catch::Contains("'activation'") && Catch::Contains("tanhh"));
}

TEST_CASE("Activation: get_config writes the name", "[layers][activation]") {
  const nlohmann::json config = st::Activation{.activation = "swish"}.get_config();
  CHECK(config["activation"] == "swish");
  CHECK(config["name"] == "activation");
  CHECK(st::Activation{}.get_config()["activation"] == "linear");
  CHECK(st::Activation::from_config(config).activation == st::activation("swish"));
}

TEST_CASE("Activation: keeps the layer laws for every name", "[layers][activation][gradcheck]") {
  const auto x = away_from_zero<2, 5>({2, 5}, 4);
  const auto xd = away_from_zero<dyn, 5>({3, 5}, 5);
  const auto x3 = away_from_zero<dyn, 2, 3>({2, 2, 3}, 6);
  for (const std::string_view name : every_name) {
    INFO("activation " << name);
    const st::Activation layer{.activation = name};
    st::testing::check_layer_laws(layer, x);
    st::testing::check_layer_laws(layer, xd);
    st::testing::check_layer_laws(layer, x3);
  }
}
