// Static sequential models: gradients through the layers (dyn batch and sequence included),
// their accumulation, and frozen layers.

#include "support/layer_laws.hpp"

namespace st = strata;

TEST_CASE("Sequential: dyn batch and dyn sequence length, end to end") {
  st::Sequential model(st::Input<st::dyn, st::dyn, 4>::of<double>{}, st::Dense<5>{.activation = "tanh"},
                       st::LayerNormalization{}, st::Dense<2>{});
  static_assert(decltype(model)::output_shape{} == st::shape<st::dyn, st::dyn, 2>{});
  using batch = st::tensor<double, st::shape<st::dyn, st::dyn, 4>>;
  for (const st::extents<3>& dims : {st::extents<3>{3, 5, 4}, st::extents<3>{1, 9, 4}, st::extents<3>{2, 1, 4}}) {
    const batch x = batch::random_normal(dims, 2);
    CHECK(model(x).dims() == st::extents<3>{dims[0], dims[1], 2});
    STRATA_REQUIRE_GRADIENTS(st::gradcheck_model(model, x));
  }
}

TEST_CASE("Sequential: gradients accumulate until zeroed, and match finite differences") {
  st::Sequential model(st::Input<st::dyn, 3>::of<double>{}, st::Dense<4>{.activation = "gelu"},
                       st::BatchNormalization{}, st::Dense<2>{.activation = "softmax"});
  const auto x = st::tensor<double, st::shape<st::dyn, 3>>::random_normal({5, 3}, 3);
  auto loss = [](const auto& y) { return st::sum(st::square(y)); };

  model.zero_gradients();
  const double first = model.backward(x, loss);
  std::vector<st::tensor<double, st::shape<st::dyn>>> once;
  model.for_each_weight([&](const std::string&, const auto&, const auto& g) {
    once.emplace_back(st::extents<1>{g.size()});
    std::copy(g.begin(), g.end(), once.back().begin());
  });
  const double second = model.backward(x, loss);
  CHECK(second == Approx(first));
  std::size_t i = 0;
  model.for_each_weight([&](const std::string& name, const auto&, const auto& g) {
    INFO(name);
    for (st::index k = 0; k < g.size(); ++k) CHECK(g.data()[k] == Approx(2 * once[i].data()[k]).margin(1e-12));
    ++i;
  });
  model.zero_gradients();
  model.for_each_weight([](const std::string&, const auto&, const auto& g) {
    for (double v : g) CHECK(v == 0);
  });
  STRATA_REQUIRE_GRADIENTS(st::gradcheck_model(model, x));
}

TEST_CASE("Sequential: a frozen layer gets no gradient and counts as non-trainable") {
  st::Sequential model(st::Input<st::dyn, 3>{}, st::Dense<4>{.trainable = false}, st::Dense<1>{});
  CHECK(model.count_params().non_trainable == 16);
  CHECK(model.count_params().trainable == 5);
  std::vector<std::string> trained;
  model.for_each_weight([&](const std::string& name, const auto&, const auto&) { trained.push_back(name); });
  CHECK(trained == std::vector<std::string>{"dense_1/kernel", "dense_1/bias"});

  const auto x = st::tensor<float, st::shape<st::dyn, 3>>::random_normal({4, 3}, 1);
  model.backward(x, [](const auto& y) { return st::sum(y); });
  const auto& frozen_kernel_gradient = std::get<0>(model.weights<0>()).gradient;
  for (float g : frozen_kernel_gradient) CHECK(g == 0);
}

