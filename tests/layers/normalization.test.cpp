// Tests of strata/layers/normalization.hpp: LayerNormalization and BatchNormalization against
// hand-computed values (Keras' biased variance, epsilon inside the square root), the moving
// statistics, parameter counts, center / scale, and the layer laws.

#include "support/layer_laws.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <strata/layers/normalization.hpp>

namespace st = strata;
using st::dyn;
using st::shape;

namespace {

constexpr double epsilon = 1e-3;  // Keras' default

/// The values of the variable `name` (moving_mean, gamma, ...), read with for_each_variable.
template <class Model>
std::vector<double> variable(Model& model, const std::string& name) {
  std::vector<double> values;
  bool found = false;
  model.for_each_variable([&](const std::string& variable_name, const auto& value, bool) {
    if (variable_name != name) return;
    found = true;
    values.assign(value.begin(), value.end());
  });
  INFO("variable " << name);
  REQUIRE(found);
  return values;
}

template <class Model>
void set_variable(Model& model, const std::string& name, const std::vector<double>& values) {
  bool found = false;
  model.for_each_variable([&](const std::string& variable_name, auto& value, bool) {
    if (variable_name != name) return;
    found = true;
    REQUIRE(value.size() == st::index(values.size()));
    std::copy(values.begin(), values.end(), value.begin());
  });
  INFO("variable " << name);
  REQUIRE(found);
}

// A 4 × 2 batch: column 0 has mean 3 and variance (4 + 1 + 0 + 9) / 4 = 3.5,
// column 1 mean 30 and variance (400 + 100 + 0 + 900) / 4 = 350.
const st::tensor<double, shape<dyn, 2>> batch_x{{1, 10}, {2, 20}, {3, 30}, {6, 60}};
constexpr std::array<double, 2> batch_mean{3, 30};
constexpr std::array<double, 2> batch_variance{3.5, 350};

}  // namespace

TEST_CASE("LayerNormalization: (x - mean) / sqrt(var + epsilon) over the last axis", "[layers][normalization]") {
  st::Sequential model(st::input<double, shape<dyn, 4>>{}, st::LayerNormalization{});
  // row 0: mean 3.5, variance (2.5² + 1.5² + 0.5² + 3.5²) / 4 = 5.25; row 1: constant, normalises to 0
  const st::tensor<double, shape<dyn, 4>> x{{1, 2, 4, 7}, {5, 5, 5, 5}};
  const std::array<double, 4> row{1, 2, 4, 7};
  auto y = model(x);
  for (std::size_t j = 0; j < 4; ++j) {
    INFO("column " << j);
    CHECK(y(0, j) == Approx((row[j] - 3.5) / std::sqrt(5.25 + epsilon)));
    CHECK(y(1, j) == Approx(0).margin(1e-12));
  }

  // gamma scales and beta shifts each feature
  const std::vector<double> gamma{1, 2, 0.5, -1}, beta{0.1, 0.2, 0.3, 0.4};
  set_variable(model, "layer_normalization/gamma", gamma);
  set_variable(model, "layer_normalization/beta", beta);
  y = model(x);
  for (std::size_t j = 0; j < 4; ++j) {
    INFO("column " << j);
    CHECK(y(0, j) == Approx((row[j] - 3.5) / std::sqrt(5.25 + epsilon) * gamma[j] + beta[j]));
    CHECK(y(1, j) == Approx(beta[j]));
  }

  // the epsilon of the config is the one used
  st::Sequential loose(st::input<double, shape<dyn, 4>>{}, st::LayerNormalization{.epsilon = 0.75});
  CHECK(loose(x)(0, 0) == Approx((1 - 3.5) / std::sqrt(5.25 + 0.75)));
}

TEST_CASE("LayerNormalization: parameters, center and scale", "[layers][normalization]") {
  st::Sequential model(st::input<double, shape<dyn, 2, 5>>{}, st::LayerNormalization{});
  CHECK(model.count_params().total == 10);
  CHECK(model.count_params().trainable == 10);

  st::Sequential bare(st::input<double, shape<dyn, 4>>{}, st::LayerNormalization{.center = false, .scale = false});
  CHECK(bare.count_params().total == 0);
  st::Sequential no_beta(st::input<double, shape<dyn, 4>>{}, st::LayerNormalization{.center = false});
  CHECK(no_beta.count_params().total == 4);
  std::vector<std::string> names;
  no_beta.for_each_weight([&](const std::string& name, auto&, auto&) { names.push_back(name); });
  CHECK(names == std::vector<std::string>{"layer_normalization/gamma"});

  // without gamma and beta: the plain normalisation (an absent gamma scales by 1)
  const st::tensor<double, shape<dyn, 4>> x{{1, 2, 4, 7}};
  const std::array<double, 4> row{1, 2, 4, 7};
  st::Sequential no_gamma(st::input<double, shape<dyn, 4>>{}, st::LayerNormalization{.scale = false});
  set_variable(no_gamma, "layer_normalization/beta", {0.1, 0.2, 0.3, 0.4});
  const auto y = bare(x), z = no_gamma(x);
  for (std::size_t j = 0; j < 4; ++j) {
    INFO("column " << j);
    CHECK(y(0, j) == Approx((row[j] - 3.5) / std::sqrt(5.25 + epsilon)));
    CHECK(z(0, j) == Approx((row[j] - 3.5) / std::sqrt(5.25 + epsilon) + 0.1 * double(j + 1)));
  }

  // an axis other than the last is refused, naming the layer
  auto other_axis = [] { st::Sequential m(st::input<double, shape<dyn, 4>>{}, st::LayerNormalization{.axis = 0}); };
  REQUIRE_THROWS_AS(other_axis(), std::invalid_argument);
  REQUIRE_THROWS_WITH(other_axis(), Catch::Contains("LayerNormalization") && Catch::Contains("axis 0"));
}

TEST_CASE("BatchNormalization: training normalises with the batch statistics", "[layers][normalization]") {
  st::Sequential model(st::input<double, shape<dyn, 2>>{}, st::BatchNormalization{});
  const std::vector<double> gamma{2, 0.5}, beta{1, -1};
  set_variable(model, "batch_normalization/gamma", gamma);
  set_variable(model, "batch_normalization/beta", beta);
  const auto& y = model.forward(batch_x, {.training = true});
  for (st::index i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 2; ++j) {
      INFO("(" << i << ", " << j << ")");
      const double normalized = (batch_x(i, j) - batch_mean[j]) / std::sqrt(batch_variance[j] + epsilon);
      CHECK(y(i, j) == Approx(normalized * gamma[j] + beta[j]));
    }
}

TEST_CASE("BatchNormalization: one training step moves the moving statistics; inference uses them",
          "[layers][normalization]") {
  const double momentum = 0.9;
  st::Sequential model(st::input<double, shape<dyn, 2>>{},
                       st::BatchNormalization{.momentum = momentum,
                                              .moving_mean_initializer = st::init::Constant{.value = 1},
                                              .moving_variance_initializer = st::init::Constant{.value = 2}});
  CHECK(variable(model, "batch_normalization/moving_mean") == std::vector<double>{1, 1});
  CHECK(variable(model, "batch_normalization/moving_variance") == std::vector<double>{2, 2});

  // inference before any training: the initial moving statistics
  const auto before = model(batch_x);
  CHECK(before(0, 1) == Approx((10 - 1) / std::sqrt(2 + epsilon)));
  CHECK(variable(model, "batch_normalization/moving_mean") == std::vector<double>{1, 1});  // not moved

  model.forward(batch_x, {.training = true});
  const auto moving_mean = variable(model, "batch_normalization/moving_mean");
  const auto moving_variance = variable(model, "batch_normalization/moving_variance");
  for (std::size_t j = 0; j < 2; ++j) {
    INFO("feature " << j);
    CHECK(moving_mean[j] == Approx(momentum * 1 + (1 - momentum) * batch_mean[j]));
    CHECK(moving_variance[j] == Approx(momentum * 2 + (1 - momentum) * batch_variance[j]));
  }

  const auto y = model(batch_x);
  for (st::index i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 2; ++j) {
      INFO("(" << i << ", " << j << ")");
      CHECK(y(i, j) == Approx((batch_x(i, j) - moving_mean[j]) / std::sqrt(moving_variance[j] + epsilon)));
    }
  // inference leaves the moving statistics alone
  CHECK(variable(model, "batch_normalization/moving_mean") == moving_mean);

  // a backward pass is one training step too
  model.backward(batch_x, [](const auto& out) { return st::sum(out); });
  const auto after = variable(model, "batch_normalization/moving_mean");
  for (std::size_t j = 0; j < 2; ++j)
    CHECK(after[j] == Approx(momentum * moving_mean[j] + (1 - momentum) * batch_mean[j]));
}

TEST_CASE("BatchNormalization: a frozen one runs in inference mode while the model trains, as in Keras",
          "[layers][normalization]") {
  st::Sequential model(st::input<double, shape<dyn, 2>>{}, st::BatchNormalization{.trainable = false});
  const auto inference = model(batch_x);
  const auto& trained = model.forward(batch_x, {.training = true});
  CHECK(st::allclose(trained, inference, 0, 0));  // the moving statistics, not the batch's
  CHECK(variable(model, "batch_normalization/moving_mean") == std::vector<double>{0, 0});
  CHECK(variable(model, "batch_normalization/moving_variance") == std::vector<double>{1, 1});
  CHECK(model.count_params().trainable == 0);
}

TEST_CASE("BatchNormalization: statistics over every axis but the last (rank 3)", "[layers][normalization]") {
  st::Sequential model(st::input<double, shape<dyn, 2, 2>>{}, st::BatchNormalization{});
  // the 4 rows of features are those of batch_x
  const st::tensor<double, shape<dyn, 2, 2>> x{{{1, 10}, {2, 20}}, {{3, 30}, {6, 60}}};
  const auto& y = model.forward(x, {.training = true});
  for (st::index b = 0; b < 2; ++b)
    for (st::index t = 0; t < 2; ++t)
      for (std::size_t j = 0; j < 2; ++j)
        CHECK(y(b, t, j) == Approx((x(b, t, j) - batch_mean[j]) / std::sqrt(batch_variance[j] + epsilon)));
}

TEST_CASE("BatchNormalization: gamma and beta trainable, moving statistics not, as in Keras",
          "[layers][normalization]") {
  st::Sequential model(st::input<double, shape<dyn, 2>>{}, st::BatchNormalization{});
  auto counts = model.count_params();
  CHECK(counts.total == 8);
  CHECK(counts.trainable == 4);
  CHECK(counts.non_trainable == 4);
  std::vector<std::string> weights, variables;
  model.for_each_weight([&](const std::string& name, auto&, auto&) { weights.push_back(name); });
  CHECK(weights == std::vector<std::string>{"batch_normalization/gamma", "batch_normalization/beta"});
  model.for_each_variable([&](const std::string& name, auto&, bool trainable) {
    variables.push_back(name);
    CHECK(trainable == (name.ends_with("gamma") || name.ends_with("beta")));
  });
  CHECK(variables == std::vector<std::string>{"batch_normalization/gamma", "batch_normalization/beta",
                                              "batch_normalization/moving_mean",
                                              "batch_normalization/moving_variance"});

  SECTION("center = false removes beta") {
    st::Sequential no_beta(st::input<double, shape<dyn, 2>>{}, st::BatchNormalization{.center = false});
    CHECK(no_beta.count_params().trainable == 2);
    CHECK(no_beta.count_params().non_trainable == 4);
    std::vector<std::string> names;
    no_beta.for_each_weight([&](const std::string& name, auto&, auto&) { names.push_back(name); });
    CHECK(names == std::vector<std::string>{"batch_normalization/gamma"});
  }
  SECTION("scale = false removes gamma; both false leave the plain normalisation") {
    st::Sequential no_gamma(st::input<double, shape<dyn, 2>>{}, st::BatchNormalization{.scale = false});
    CHECK(no_gamma.count_params().trainable == 2);
    std::vector<std::string> names;
    no_gamma.for_each_weight([&](const std::string& name, auto&, auto&) { names.push_back(name); });
    CHECK(names == std::vector<std::string>{"batch_normalization/beta"});
    set_variable(no_gamma, "batch_normalization/beta", {0.5, -0.5});
    const auto& z = no_gamma.forward(batch_x, {.training = true});
    for (st::index i = 0; i < 4; ++i) {
      INFO("row " << i);
      CHECK(z(i, 0) == Approx((batch_x(i, 0) - batch_mean[0]) / std::sqrt(batch_variance[0] + epsilon) + 0.5));
      CHECK(z(i, 1) == Approx((batch_x(i, 1) - batch_mean[1]) / std::sqrt(batch_variance[1] + epsilon) - 0.5));
    }

    st::Sequential bare(st::input<double, shape<dyn, 2>>{}, st::BatchNormalization{.center = false, .scale = false});
    CHECK(bare.count_params().trainable == 0);
    CHECK(bare.count_params().non_trainable == 4);
    const auto& y = bare.forward(batch_x, {.training = true});
    for (st::index i = 0; i < 4; ++i)
      for (std::size_t j = 0; j < 2; ++j)
        CHECK(y(i, j) == Approx((batch_x(i, j) - batch_mean[j]) / std::sqrt(batch_variance[j] + epsilon)));
  }
}

TEST_CASE("Normalization: get_config has Keras' keys", "[layers][normalization]") {
  const nlohmann::json bn = st::BatchNormalization{.momentum = 0.9}.get_config();
  CHECK(bn["momentum"] == 0.9);
  CHECK(bn["epsilon"] == 1e-3);
  CHECK(bn["axis"] == -1);
  CHECK(bn["center"] == true);
  CHECK(bn["scale"] == true);
  CHECK(bn["moving_variance_initializer"]["class_name"] == "Ones");
  const nlohmann::json ln = st::LayerNormalization{}.get_config();
  CHECK(ln["name"] == "layer_normalization");
  CHECK(ln["gamma_initializer"]["class_name"] == "Ones");
  CHECK(ln["beta_initializer"]["class_name"] == "Zeros");
}

TEST_CASE("LayerNormalization: keeps the layer laws", "[layers][normalization][gradcheck]") {
  st::testing::check_layer_laws(st::LayerNormalization{}, st::testing::uniform<3, 4>({3, 4}, 1));
  st::testing::check_layer_laws(st::LayerNormalization{}, st::testing::uniform<dyn, 4>({2, 4}, 2));
  st::testing::check_layer_laws(st::LayerNormalization{}, st::testing::uniform<dyn, 2, 5>({2, 2, 5}, 3));
  st::testing::check_layer_laws(st::LayerNormalization{.center = false}, st::testing::uniform<dyn, 4>({3, 4}, 4));
}

TEST_CASE("BatchNormalization: keeps the layer laws (gradients through the batch statistics)",
          "[layers][normalization][gradcheck]") {
  st::testing::check_layer_laws(st::BatchNormalization{}, st::testing::uniform<4, 3>({4, 3}, 5));
  st::testing::check_layer_laws(st::BatchNormalization{}, st::testing::uniform<dyn, 2>({5, 2}, 6));
  st::testing::check_layer_laws(st::BatchNormalization{.momentum = 0.5}, st::testing::uniform<dyn, 2, 2>({3, 2, 2}, 7));
  st::testing::check_layer_laws(st::BatchNormalization{.scale = false}, st::testing::uniform<dyn, 2>({4, 2}, 8));
}
