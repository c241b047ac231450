// Tests of strata/layers/dropout.hpp: the identity at inference, inverted dropout in training
// (the kept fraction, the scale, reproducible masks), the rate checks, and the layer laws.

#include "support/layer_laws.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include <strata/layers/activation.hpp>
#include <strata/layers/dropout.hpp>

namespace st = strata;
using st::dyn;
using st::shape;

namespace {

using batch = st::tensor<float, shape<dyn, dyn>>;

/// Which elements a training pass kept (nonzero), for an input without zeros.
std::vector<bool> mask_of(const batch& y) {
  std::vector<bool> kept;
  kept.reserve(std::size_t(y.size()));
  for (const float value : y) kept.push_back(value != 0);
  return kept;
}

template <class Model>
std::vector<bool> training_mask(Model& model, const batch& x, std::uint64_t step) {
  return mask_of(model.forward(x, {.training = true, .step = step}));
}

}  // namespace

TEST_CASE("Dropout: inference is the identity", "[layers][dropout]") {
  const auto x = batch::random_uniform({6, 7}, 1);
  st::Sequential model(st::Input<dyn, dyn>{}, st::Dropout{.rate = 0.5});
  const auto y = model(x);
  REQUIRE(y.dims() == x.dims());
  CHECK(std::equal(y.begin(), y.end(), x.begin()));
  const auto& z = model.forward(x, {.training = false, .step = 3});
  CHECK(std::equal(z.begin(), z.end(), x.begin()));
}

TEST_CASE("Dropout: training keeps about 1 - rate of the elements, scaled by 1 / (1 - rate)", "[layers][dropout]") {
  const double rate = 0.3;
  const auto x = batch::random_uniform({100, 100}, 2, 0.5f, 1.5f);
  st::Sequential model(st::Input<dyn, dyn>{}, st::Dropout{.rate = rate});
  const auto& y = model.forward(x, {.training = true, .step = 1});
  st::index kept = 0;
  for (st::index i = 0; i < x.size(); ++i) {
    if (y.data()[i] == 0) continue;
    ++kept;
    INFO("element " << i);
    REQUIRE(y.data()[i] == Approx(x.data()[i] / (1 - rate)).epsilon(1e-6));
  }
  CHECK(double(kept) / double(x.size()) == Approx(1 - rate).margin(0.02));

  // rate 0 keeps everything, unscaled
  st::Sequential keep_all(st::Input<dyn, dyn>{}, st::Dropout{.rate = 0});
  const auto& all = keep_all.forward(x, {.training = true, .step = 1});
  CHECK(std::equal(all.begin(), all.end(), x.begin()));
}

TEST_CASE("Dropout: the same step draws the same mask, another step another", "[layers][dropout]") {
  const auto x = batch::ones({20, 30});
  st::Sequential model(st::Input<dyn, dyn>{}, st::Dropout{.rate = 0.5});
  const auto first = training_mask(model, x, 4);
  CHECK(training_mask(model, x, 4) == first);
  CHECK(training_mask(model, x, 5) != first);
  CHECK(training_mask(model, x, 5) == training_mask(model, x, 5));

  // without a step the model counts training passes: each draws a new mask
  const auto a = mask_of(model.forward(x, {.training = true}));
  const auto b = mask_of(model.forward(x, {.training = true}));
  CHECK(a != b);

  // backward passes the gradient through the kept elements only, scaled as they are
  model.zero_gradients();
  st::tensor<float, shape<dyn, dyn>> dx;
  model.backward(x, [](const auto& y) { return st::sum(y); }, {.training = true, .step = 4}, &dx);
  for (std::size_t i = 0; i < first.size(); ++i) {
    INFO("element " << i);
    CHECK(dx.data()[i] == Approx(first[i] ? 2.0 : 0.0));
  }
}

TEST_CASE("Dropout: a seed makes the masks the same in two models", "[layers][dropout]") {
  const auto x = batch::ones({20, 30});
  st::Sequential a(st::Input<dyn, dyn>{}, st::Dropout{.rate = 0.4, .seed = 5});
  st::Sequential b(st::Input<dyn, dyn>{}, st::Dropout{.rate = 0.4, .seed = 5});
  b.initialize(12345);  // another model seed: a seeded Dropout draws the same masks regardless
  CHECK(training_mask(a, x, 1) == training_mask(b, x, 1));
  CHECK(training_mask(a, x, 2) == training_mask(b, x, 2));
  CHECK(training_mask(a, x, 1) != training_mask(a, x, 2));
  // ... and wherever it stands in the model
  st::Sequential c(st::Input<dyn, dyn>{}, st::Activation{}, st::Dropout{.rate = 0.4, .seed = 5});
  CHECK(training_mask(a, x, 1) == training_mask(c, x, 1));
  // another seed, other masks
  st::Sequential d(st::Input<dyn, dyn>{}, st::Dropout{.rate = 0.4, .seed = 6});
  CHECK(training_mask(a, x, 1) != training_mask(d, x, 1));
}

TEST_CASE("Dropout: a rate outside [0, 1) throws", "[layers][dropout]") {
  auto build = [](double rate) { st::Sequential model(st::Input<dyn, 4>{}, st::Dropout{.rate = rate}); };
  REQUIRE_THROWS_AS(build(1.0), std::invalid_argument);
  REQUIRE_THROWS_WITH(build(1.0), Catch::Contains("'dropout' (Dropout)") && Catch::Contains("rate"));
  REQUIRE_THROWS_AS(build(-0.1), std::invalid_argument);
  REQUIRE_THROWS_AS(build(1.5), std::invalid_argument);
  REQUIRE_NOTHROW(build(0.0));
  REQUIRE_NOTHROW(build(0.99));
}

TEST_CASE("Dropout: get_config writes rate and seed", "[layers][dropout]") {
  const nlohmann::json config = st::Dropout{.rate = 0.25, .seed = 7}.get_config();
  CHECK(config["rate"] == 0.25);
  CHECK(config["seed"] == 7);
  CHECK(st::Dropout{}.get_config()["seed"].is_null());
  const auto back = st::Dropout::from_config(config);
  CHECK(back.rate == 0.25);
  CHECK(back.seed == std::optional<std::uint64_t>(7));
}

TEST_CASE("Dropout: keeps the layer laws", "[layers][dropout][gradcheck]") {
  st::testing::check_layer_laws(st::Dropout{.rate = 0.3}, st::testing::uniform<4, 5>({4, 5}, 1));
  st::testing::check_layer_laws(st::Dropout{.rate = 0.5, .seed = 3}, st::testing::uniform<dyn, 5>({6, 5}, 2));
  st::testing::check_layer_laws(st::Dropout{.rate = 0.2}, st::testing::uniform<dyn, 2, 3>({3, 2, 3}, 3));
}
