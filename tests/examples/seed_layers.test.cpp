// The seed's three custom layers (defined in examples/layers/): Keras' config keys and weight
// names, values against the seed's formulas, and gradient checks w.r.t. every weight and the input.

#include "layers/clipping_weighted_sum.hpp"
#include "layers/custom_attention.hpp"
#include "layers/scaled_exponential.hpp"
#include "support/layer_laws.hpp"

namespace st = strata;

namespace {

template <class Model>
std::vector<std::string> weight_names(Model& model) {
  std::vector<std::string> names;
  model.for_each_variable([&](const std::string& name, const auto&, bool) { names.push_back(name); });
  return names;
}

}  // namespace

TEST_CASE("seed ScaledExponential: config, weights, values, gradients") {
  const ScaledExponential layer{.scale_factor = 0.5f};
  CHECK(layer.get_config() ==
        nlohmann::json{{"name", "scaled_exponential"}, {"trainable", true}, {"dtype", "float32"}, {"scale_factor", 0.5}});
  st::Sequential model(st::Input<st::dyn, 3>::of<double>{}, layer);
  CHECK(weight_names(model) == std::vector<std::string>{"scaled_exponential/exponent"});
  auto& exponent = std::get<0>(model.weights<0>()).value;
  for (double e : exponent) CHECK(e == 1.0);  // initializer 'ones'
  exponent = st::tensor<double, st::shape<3>>{0.5, -1.0, 2.0};
  const st::tensor<double, st::shape<st::dyn, 3>> x{{1.0, 2.0, 0.0}, {-1.0, 0.5, 0.25}};
  const auto y = model(x);
  CHECK(y(0, 0) == Approx(0.5 * std::exp(0.5)));
  CHECK(y(0, 1) == Approx(0.5 * std::exp(-2.0)));
  CHECK(y(1, 2) == Approx(0.5 * std::exp(0.5)));
  st::testing::check_layer_laws(layer, x);
  st::testing::check_layer_laws(layer, st::tensor<double, st::shape<2, 3>>::random_normal({2, 3}, 4));

  // The public checker users run on their own layers, as docs/custom-layers.md shows it.
  // [gradcheck]
  auto x4 = strata::tensor<double, strata::shape<strata::dyn, 3>>::random_normal({4, 3}, /*seed=*/1);
  auto report = strata::gradcheck_layer(ScaledExponential{}, x4);
  if (!report.ok) std::puts(report.message().c_str());  // names the worst weight entry
  // [gradcheck]
  CHECK(report.ok);
  CHECK(report.worst_error < 1e-6);
}

TEST_CASE("seed ClippingWeightedSum: config, weights, values, gradients") {
  const ClippingWeightedSum layer{.clip_min = -0.5, .clip_max = 0.5, .num_filters = 4};
  const nlohmann::json config = layer.get_config();
  CHECK(config["clip_min"] == -0.5);
  CHECK(config["clip_max"] == 0.5);
  CHECK(config["num_filters"] == 4);
  st::Sequential model(st::Input<st::dyn, 3>::of<double>{}, layer);
  static_assert(decltype(model)::output_shape{} == st::shape<st::dyn, 1>{});
  CHECK(weight_names(model) == std::vector<std::string>{"clipping_weighted_sum/weight_matrix", "clipping_weighted_sum/bias"});
  auto& [weight_matrix, bias] = model.weights<0>();
  CHECK(weight_matrix.value.dims() == st::extents<2>{3, 4});
  bias.value = st::tensor<double, st::shape<st::dyn>>{0.1, 0.2, 0.3, 0.4};

  // Values from the seed's formula: sum_j (clip(x) · W + b)_j.
  const st::tensor<double, st::shape<st::dyn, 3>> x{{0.2, -0.9, 0.7}, {1.5, 0.1, -0.3}};
  const auto y = model(x);
  for (st::index row = 0; row < 2; ++row) {
    double expected = 0;
    for (st::index j = 0; j < 4; ++j) {
      expected += bias.value(j);
      for (st::index i = 0; i < 3; ++i) expected += std::clamp(x(row, i), -0.5, 0.5) * weight_matrix.value(i, j);
    }
    CHECK(y(row, 0) == Approx(expected));
  }
  // Inputs away from the clip bounds, where the gradient is defined.
  st::testing::check_layer_laws(layer, x);
}

TEST_CASE("seed CustomAttention: config, weights, values, gradients with a dyn sequence length") {
  const CustomAttention<4> layer{};
  CHECK(layer.get_config()["attention_size"] == 4);
  st::Sequential model(st::Input<st::dyn, st::dyn, 5>::of<double>{}, layer);
  static_assert(decltype(model)::output_shape{} == st::shape<st::dyn, st::dyn, 4>{});
  CHECK(weight_names(model) == std::vector<std::string>{"custom_attention/query_projection",
                                                        "custom_attention/key_projection",
                                                        "custom_attention/value_projection"});
  const auto& [query, key, value] = model.weights<0>();
  using sequences = st::tensor<double, st::shape<st::dyn, st::dyn, 5>>;
  for (st::index length : {1, 3, 6}) {
    const sequences x = sequences::random_normal({2, length, 5}, 5);
    // The seed's formula, as plain expressions.
    const st::tensor<double, st::shape<st::dyn, st::dyn, 4>> expected = st::matmul(
        st::softmax(st::matmul(st::matmul(x, query.value), st::transpose(st::matmul(x, key.value))), st::axis<-1>),
        st::matmul(x, value.value));
    CHECK(st::allclose(model(x), expected, 1e-12));
    st::testing::check_layer_laws(layer, x);
  }
}
