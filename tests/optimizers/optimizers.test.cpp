// Optimizers: the first steps of each rule against values computed by hand (tests/ comments give
// the formulas), schedules, clipping, weight decay, state matched by name, and errors.

#include <cmath>
#include <string>
#include <vector>

#include "support/strata_test.hpp"

namespace st = strata;
using Catch::Detail::Approx;
using Catch::Matchers::Contains;
using vector = st::tensor<double, st::shape<st::dyn>>;

namespace {

/// Weights the optimizer can visit, with gradients set by the test before each step.
struct toy_model {
  std::vector<std::string> names;
  std::vector<vector> values, gradients;
  std::vector<bool> trainable;

  void add(std::string name, vector value) {
    names.push_back(std::move(name));
    gradients.emplace_back(value.dims());
    values.push_back(std::move(value));
    trainable.push_back(true);
  }
  template <class Visitor>
  void for_each_weight(Visitor&& visit) {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (trainable[i]) visit(names[i], values[i], gradients[i]);
  }
};

/// Two steps of `optimizer` on w = (1, -2) with gradients (0.5, -0.1) then (0.2, 0.3).
template <class Optimizer>
std::vector<vector> two_steps(Optimizer& optimizer) {
  toy_model model;
  model.add("w", vector{1.0, -2.0});
  std::vector<vector> after;
  for (const vector& g : {vector{0.5, -0.1}, vector{0.2, 0.3}}) {
    model.gradients[0] = g;
    optimizer.step(model);
    after.push_back(model.values[0]);
  }
  return after;
}

void check_close(const vector& actual, std::initializer_list<double> expected, double tolerance = 1e-6) {
  REQUIRE(actual.size() == st::index(expected.size()));
  st::index i = 0;
  for (double e : expected) {
    INFO("element " << i);
    CHECK(actual(i++) == Approx(e).margin(tolerance).epsilon(0));
  }
}

}  // namespace

TEST_CASE("Adam's first two steps match the hand-computed update", "[optimizers][adam]") {
  // m_t = β₁m + (1-β₁)g, v_t = β₂v + (1-β₂)g², w -= lr·m̂/(√v̂ + ε/√(1-β₂ᵗ)), lr 0.01, ε 1e-7
  st::optimizer<st::optim::adam, double> adam(st::optim::adam{.learning_rate = 0.01});
  const auto steps = two_steps(adam);
  check_close(steps[0], {0.9900000632451532, -1.9900003162177664});
  check_close(steps[1], {0.9810143639880274, -1.994942165129777});
  CHECK(adam.iterations() == 2);
  CHECK(st::optim::adam{}.epsilon == 1e-7);  // Keras' default, not PyTorch's 1e-8
}

TEST_CASE("SGD with momentum and with Nesterov momentum", "[optimizers][sgd]") {
  SECTION("plain") {
    st::optimizer<st::optim::sgd, double> sgd(st::optim::sgd{.learning_rate = 0.1});
    check_close(two_steps(sgd)[1], {1 - 0.1 * 0.7, -2 - 0.1 * 0.2});
  }
  SECTION("momentum: v = μv - lr·g, w += v") {
    st::optimizer<st::optim::sgd, double> sgd(st::optim::sgd{.learning_rate = 0.1, .momentum = 0.9});
    const auto steps = two_steps(sgd);
    check_close(steps[0], {0.95, -1.99});
    check_close(steps[1], {0.885, -2.011});
  }
  SECTION("nesterov: w += μv - lr·g") {
    st::optimizer<st::optim::sgd, double> sgd(st::optim::sgd{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
    const auto steps = two_steps(sgd);
    check_close(steps[0], {0.905, -1.981});
    check_close(steps[1], {0.8265, -2.0299});
  }
}

TEST_CASE("RMSprop, plain and centred with momentum", "[optimizers][rmsprop]") {
  SECTION("plain: s = ρs + (1-ρ)g², w -= lr·g/√(s + ε)") {
    st::optimizer<st::optim::rmsprop, double> rms(st::optim::rmsprop{.learning_rate = 0.01});
    const auto steps = two_steps(rms);
    check_close(steps[0], {0.9683772866436797, -1.9683788044185708});
    check_close(steps[1], {0.9560914074878829, -1.998529786599044});
  }
  SECTION("centred, momentum 0.9") {
    st::optimizer<st::optim::rmsprop, double> rms(
        st::optim::rmsprop{.learning_rate = 0.01, .momentum = 0.9, .centered = true});
    const auto steps = two_steps(rms);
    check_close(steps[0], {0.9666667407404939, -1.9666685183642119});
    check_close(steps[1], {0.9232663332830761, -1.9675160067660944});
  }
}

TEST_CASE("AdamW decays the weights by weight_decay · lr before the Adam update", "[optimizers][adamw]") {
  st::optimizer<st::optim::adamw, double> adamw(st::optim::adamw{.learning_rate = 0.1, .weight_decay = 0.5});
  toy_model model;
  model.add("w", vector{2.0, -4.0});
  adamw.step(model);  // zero gradient: Adam moves nothing, the decay alone acts
  check_close(model.values[0], {2.0 * 0.95, -4.0 * 0.95});
  CHECK(st::optim::adamw{}.weight_decay == 0.004);
}

TEST_CASE("learning-rate schedules follow Keras' formulas", "[optimizers][schedules]") {
  const st::optim::exponential_decay decay{.initial_learning_rate = 0.1, .decay_steps = 10, .decay_rate = 0.5};
  CHECK(decay(0) == Approx(0.1));
  CHECK(decay(5) == Approx(0.1 * std::sqrt(0.5)));
  CHECK(decay(20) == Approx(0.025));
  auto staircase = decay;
  staircase.staircase = true;
  CHECK(staircase(9) == Approx(0.1));
  CHECK(staircase(10) == Approx(0.05));

  const st::optim::cosine_decay cosine{.initial_learning_rate = 1.0, .decay_steps = 100, .alpha = 0.1};
  CHECK(cosine(0) == Approx(1.0));
  CHECK(cosine(50) == Approx(0.55));
  CHECK(cosine(100) == Approx(0.1));
  CHECK(cosine(400) == Approx(0.1));
  const st::optim::cosine_decay warm{
      .initial_learning_rate = 0.0, .decay_steps = 100, .warmup_target = 1.0, .warmup_steps = 10};
  CHECK(warm(5) == Approx(0.5));
  CHECK(warm(10) == Approx(1.0));
  CHECK(warm(60) == Approx(0.5));

  SECTION("an optimizer reads its rate at its step count") {
    st::optimizer<st::optim::sgd, double> sgd(st::optim::sgd{.learning_rate = decay});
    toy_model model;
    model.add("w", vector{0.0});
    for (int i = 0; i < 5; ++i) {
      model.gradients[0] = vector{1.0};
      sgd.step(model);
    }
    double expected = 0;
    for (int i = 0; i < 5; ++i) expected -= decay(i);
    CHECK(model.values[0](0) == Approx(expected));
    CHECK(sgd.learning_rate() == Approx(decay(5)));
  }
}

TEST_CASE("gradient clipping by global norm, by norm and by value", "[optimizers][clipping]") {
  toy_model model;
  model.add("a", vector{0.0, 0.0});
  model.add("b", vector{0.0});
  auto run = [&](st::optim::clipping clip) {
    st::optimizer<st::optim::sgd, double> sgd(st::optim::sgd{.learning_rate = 1.0, .clip = clip});
    model.values = {vector{0.0, 0.0}, vector{0.0}};
    model.gradients = {vector{3.0, 4.0}, vector{12.0}};  // norms 5 and 12, global 13
    sgd.step(model);
  };
  run({.global_norm = 1.3});
  check_close(model.values[0], {-0.3, -0.4});
  check_close(model.values[1], {-1.2});
  run({.norm = 1.0});
  check_close(model.values[0], {-0.6, -0.8});
  check_close(model.values[1], {-1.0});
  run({.value = 3.5});
  check_close(model.values[0], {-3.0, -3.5});
  check_close(model.values[1], {-3.5});
  run({.global_norm = 100.0});  // under the bound: unchanged
  check_close(model.values[1], {-12.0});

  CHECK_THROWS_WITH(run({.norm = 1.0, .value = 1.0}), Contains("only one"));
  CHECK_THROWS_WITH(run({.value = -1.0}), Contains("value must be positive"));
}

TEST_CASE("optimizer state follows each weight by name when the trainable set changes", "[optimizers]") {
  st::optimizer<st::optim::sgd, double> sgd(st::optim::sgd{.learning_rate = 0.1, .momentum = 0.5});
  toy_model model;
  model.add("first", vector{0.0});
  model.add("second", vector{0.0});
  auto step = [&] {
    model.gradients = {vector{1.0}, vector{1.0}};
    sgd.step(model);
  };
  step();  // second: v = -0.1, w = -0.1
  model.trainable[0] = false;
  step();  // second: v = -0.05 - 0.1 = -0.15, w = -0.25 (its own velocity, not first's)
  CHECK(model.values[1](0) == Approx(-0.25));
  CHECK(model.values[0](0) == Approx(-0.1));
  model.trainable[0] = true;
  step();  // first: v = -0.05 - 0.1, w = -0.25; second: v = -0.075 - 0.1, w = -0.425
  CHECK(model.values[0](0) == Approx(-0.25));
  CHECK(model.values[1](0) == Approx(-0.425));

  std::vector<std::string> names;
  sgd.for_each_state([&](const std::string& name, auto&) { names.push_back(name); });
  CHECK(names == std::vector<std::string>{"first/momentum", "second/momentum"});
}

TEST_CASE("a gradient that does not fit its weight is an error naming it", "[optimizers][errors]") {
  st::optimizer<st::optim::adam, double> adam;
  toy_model model;
  model.add("dense/kernel", vector{1.0, 2.0});
  model.gradients[0] = vector{1.0};
  CHECK_THROWS_WITH(adam.step(model), Contains("dense/kernel") && Contains("1 elements"));
}
